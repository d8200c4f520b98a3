package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/store"
)

// recorder collects the changes a Store announces.
type recorder struct {
	mu  sync.Mutex
	got []store.Change
}

func (r *recorder) add(c store.Change) { r.mu.Lock(); r.got = append(r.got, c); r.mu.Unlock() }

func (r *recorder) take() []store.Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.got
	r.got = nil
	return out
}

func (r *recorder) waitFor(t *testing.T, want store.Change, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < within {
		for _, c := range r.take() {
			if c == want {
				return time.Since(start)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no %+v within %s", want, within)
	return 0
}

// TestChangeStream: a write through any Store of this process is announced
// before it returns, to every Store of the file; a write by another
// process (here a connection that announces nothing) within the poll
// interval; last-used times never; closing says changes can no longer be
// followed.
func TestChangeStream(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	gw, cli := open(t, dir), open(t, dir)
	var seen recorder
	cancel := gw.Subscribe(seen.add)
	defer cancel()

	if err := gw.CreateKey(ctx, key("a"), "t"); err != nil {
		t.Fatal(err)
	}
	if got := seen.take(); len(got) != 1 || got[0] != (store.Change{Kind: store.KeyChanged, Key: "a"}) {
		t.Fatalf("own write: %+v", got)
	}
	if err := cli.RevokeKey(ctx, "a", time.Now(), "cli"); err != nil {
		t.Fatal(err)
	}
	if got := seen.take(); len(got) != 1 || got[0] != (store.Change{Kind: store.KeyChanged, Key: "a"}) {
		t.Fatalf("another Store's write: %+v", got)
	}
	if err := cli.AddUser(ctx, store.User{Name: "bob", Hash: "x"}, "cli"); err != nil {
		t.Fatal(err)
	}
	if got := seen.take(); len(got) != 1 || got[0] != (store.Change{Kind: store.UserChanged, User: "bob"}) {
		t.Fatalf("user: %+v", got)
	}
	if err := gw.TouchKeys(ctx, map[string]time.Time{"a": time.Now()}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * PollInterval)
	if got := seen.take(); len(got) != 0 {
		t.Fatalf("last-used times announced %+v", got)
	}

	// Another process: a plain connection writes the row and its audit event.
	other, err := sql.Open("sqlite", "file:"+filepath.Join(dir, FileName)+"?_pragma=busy_timeout(2000)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Exec(`UPDATE users SET hash = 'y' WHERE name = 'bob'`); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(`INSERT INTO audit (time, actor, action, subject, detail) VALUES (1, 'cli', 'user.passwd', 'bob', '')`); err != nil {
		t.Fatal(err)
	}
	took := seen.waitFor(t, store.Change{Kind: store.UserChanged, User: "bob"}, 2*time.Second)
	t.Logf("another process's change announced after %s (poll interval %s)", took, PollInterval)
	if got := seen.take(); len(got) != 0 {
		t.Fatalf("announced twice or more: %+v", got)
	}

	gw.Close()
	if got := seen.take(); len(got) != 1 || got[0].Kind != store.Unavailable {
		t.Fatalf("close: %+v", got)
	}
}

// TestCacheFollowsChanges: a change drops exactly the entries it concerns;
// a value read before a change is not stored after it; while changes
// cannot be followed every Get misses.
func TestCacheFollowsChanges(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	c := store.NewCache[string](s, 10, func(k store.Key, ch store.Change) bool { return ch.Kind == store.KeyChanged && ch.Key == k.ID })
	defer c.Close()
	_, _, gen := c.Get("ha")
	c.Put(gen, "ha", key("a"))
	c.Put(gen, "hb", key("b"))
	_, _, stale := c.Get("hc")
	if err := s.CreateKey(ctx, key("a"), "t"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.Get("ha"); ok {
		t.Fatal("the changed key is still cached")
	}
	if _, ok, _ := c.Get("hb"); !ok {
		t.Fatal("an unrelated key was dropped")
	}
	c.Put(stale, "hc", key("c"))
	if _, ok, _ := c.Get("hc"); ok {
		t.Fatal("a value read before a change was stored after it")
	}
	s.Close()
	if _, ok, _ := c.Get("hb"); ok {
		t.Fatal("a cache hit while changes cannot be followed")
	}
}

// TestMigrationKeepsKeysAsAPIKeys: a database of schema 1 (before key
// kinds) opens with every key an API key, nothing lost.
func TestMigrationKeepsKeysAsAPIKeys(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{migrations[0], "PRAGMA user_version = 1",
		`INSERT INTO keys (id, name, environment, scopes, hash, created) VALUES ('old', 'n', 'live', 'read', x'01', 1)`} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s := open(t, dir)
	k, err := s.KeyByID(context.Background(), "old")
	if err != nil || k.Kind != store.KindAPI || k.Scopes[0] != "read" {
		t.Fatalf("%+v %v", k, err)
	}
}

// TestFileProblems: a database file deleted or replaced under the process,
// or a disk too full to write a revocation, is a known problem.
func TestFileProblems(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	if err := s.Problem(); err != nil {
		t.Fatalf("fresh store: %v", err)
	}
	defer func(v uint64) { minFreeBytes = v }(minFreeBytes)
	minFreeBytes = 1 << 62
	s.checkFile()
	if err := s.Problem(); err == nil || !strings.Contains(err.Error(), "bytes free") {
		t.Fatalf("full disk: %v", err)
	}
	minFreeBytes = 0
	os.Remove(filepath.Join(dir, FileName))
	s.checkFile()
	if err := s.Problem(); err == nil || !strings.Contains(err.Error(), "is gone") {
		t.Fatalf("deleted file: %v", err)
	}
	open(t, dir) // the CLI would now make another database
	s.checkFile()
	if err := s.Problem(); err == nil || !strings.Contains(err.Error(), "replaced") {
		t.Fatalf("replaced file: %v", err)
	}
}
