package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/authgate/authgate/store"
)

// PollInterval is how often a Store looks for other processes' changes
// (the CLI writing the same file): PRAGMA data_version on a dedicated
// connection, then the audit rows it has not seen. Changes made through
// any Store of this process are announced at once instead.
var PollInterval = 100 * time.Millisecond

// openStores are the Stores of this process by database path: a write
// through one announces its change to all of them before it returns.
var openStores = struct {
	sync.Mutex
	byPath map[string]map[*Store]bool
}{byPath: map[string]map[*Store]bool{}}

// feed is a Store's change stream.
type feed struct {
	// emitMu orders announcements and guards lastSeq and down.
	emitMu  sync.Mutex
	lastSeq int64
	down    bool

	changes store.Changes

	stop chan struct{}
	done chan struct{}
}

// Subscribe implements store.Store.
func (s *Store) Subscribe(fn func(store.Change)) func() { return s.feed.changes.Subscribe(fn) }

// announce hands ch to every subscriber; seq (when positive) is the audit
// row it came from, so that the poller does not announce it again.
// Callers hold emitMu.
func (s *Store) announce(ch store.Change, seq int64) {
	if seq > s.feed.lastSeq {
		s.feed.lastSeq = seq
	}
	s.feed.changes.Announce(ch)
}

// startFeed registers s among the open Stores of its path and starts
// polling for other processes' changes.
func (s *Store) startFeed(ctx context.Context) error {
	s.feed.stop, s.feed.done = make(chan struct{}), make(chan struct{})
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM audit`).Scan(&s.feed.lastSeq); err != nil {
		return err
	}
	openStores.Lock()
	if openStores.byPath[s.path] == nil {
		openStores.byPath[s.path] = map[*Store]bool{}
	}
	openStores.byPath[s.path][s] = true
	openStores.Unlock()
	go s.poll()
	return nil
}

// stopFeed unregisters s, stops its poller and tells subscribers that
// changes can no longer be followed.
func (s *Store) stopFeed() {
	openStores.Lock()
	delete(openStores.byPath[s.path], s)
	if len(openStores.byPath[s.path]) == 0 {
		delete(openStores.byPath, s.path)
	}
	openStores.Unlock()
	close(s.feed.stop)
	<-s.feed.done
	s.feed.emitMu.Lock()
	s.feed.down = true
	s.announce(store.Change{Kind: store.Unavailable}, 0)
	s.feed.emitMu.Unlock()
}

// committed announces a change written through this process, to every
// Store of the same file.
func (s *Store) committed(ch store.Change, seq int64) {
	openStores.Lock()
	peers := make([]*Store, 0, len(openStores.byPath[s.path]))
	for p := range openStores.byPath[s.path] {
		peers = append(peers, p)
	}
	openStores.Unlock()
	for _, p := range peers {
		p.feed.emitMu.Lock()
		if !p.feed.down {
			p.announce(ch, seq)
		}
		p.feed.emitMu.Unlock()
	}
}

// poll looks for other processes' changes until the Store closes.
func (s *Store) poll() {
	defer close(s.feed.done)
	t := time.NewTicker(PollInterval)
	defer t.Stop()
	version, _ := s.Version(context.Background())
	for polls := 1; ; polls++ {
		select {
		case <-s.feed.stop:
			return
		case <-t.C:
		}
		if polls%fileCheckEvery == 0 {
			s.checkFile()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		v, err := s.Version(ctx)
		if err == nil && v != version {
			err = s.announceNew(ctx)
			if err == nil {
				version = v
			}
		}
		cancel()
		s.feed.emitMu.Lock()
		switch {
		case err != nil && !s.feed.down:
			s.feed.down = true
			s.announce(store.Change{Kind: store.Unavailable}, 0)
		case err == nil && s.feed.down:
			s.feed.down = false
			s.announce(store.Change{Kind: store.AllChanged}, 0)
		}
		s.feed.emitMu.Unlock()
	}
}

// announceNew announces the audit rows after the last one seen.
func (s *Store) announceNew(ctx context.Context) error {
	s.feed.emitMu.Lock()
	after := s.feed.lastSeq
	s.feed.emitMu.Unlock()
	rows, err := s.db.QueryContext(ctx, `SELECT seq, action, subject FROM audit WHERE seq > ? ORDER BY seq LIMIT 10000`, after)
	if err != nil {
		return classify(err)
	}
	defer rows.Close()
	type row struct {
		seq             int64
		action, subject string
	}
	var found []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.seq, &r.action, &r.subject); err != nil {
			return classify(err)
		}
		found = append(found, r)
	}
	if err := rows.Err(); err != nil {
		return classify(err)
	}
	s.feed.emitMu.Lock()
	defer s.feed.emitMu.Unlock()
	if len(found) == 10000 {
		s.announce(store.Change{Kind: store.AllChanged}, found[len(found)-1].seq)
		return nil
	}
	for _, r := range found {
		if r.seq > s.feed.lastSeq && !s.feed.down {
			s.announce(store.ChangeOf(r.action, r.subject), r.seq)
		}
	}
	return nil
}

// fileCheckEvery is how many polls pass between checks of the database
// file itself; minFreeBytes is the free space below which writes (a
// revocation) may fail.
const fileCheckEvery = 20

var minFreeBytes uint64 = 16 << 20

// Problem implements store.Store.
func (s *Store) Problem() error {
	if p := s.problem.Load(); p != nil {
		return *p
	}
	return nil
}

// checkFile finds what the data_version poll cannot: the database file
// deleted or replaced under the running process (the CLI would then use
// another database than the gateway), or a disk too full to write a
// revocation.
func (s *Store) checkFile() {
	var problem error
	info, err := os.Stat(s.path)
	switch {
	case err != nil:
		problem = fmt.Errorf("the database file %s is gone (%v): this process still uses the deleted one, the CLI would make another; restore it or restart", s.path, err)
	case !os.SameFile(info, s.file):
		problem = fmt.Errorf("the database file %s was replaced: this process still uses the old one; restart to use the new one", s.path)
	default:
		if free, ok := freeBytes(filepath.Dir(s.path)); ok && free < minFreeBytes {
			problem = fmt.Errorf("the disk of %s has %d bytes free: changes such as revocations may fail to be written", s.path, free)
		}
	}
	s.problem.Store(&problem)
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.Version(ctx)
	return err
}
