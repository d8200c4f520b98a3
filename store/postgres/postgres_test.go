package postgres

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authgate/authgate/internal/pgtest"
	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/store/storetest"
)

func open(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestStoreSuite runs the behaviour every store has (package storetest):
// two instances on one database.
func TestStoreSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (store.Store, store.Store) {
		dsn := pgtest.DSN(t)
		return open(t, dsn), open(t, dsn)
	})
}

// TestMigrationsOnceAndNewerRefused: instances starting together migrate
// once; a schema newer than this authgate is refused.
func TestMigrationsOnceAndNewerRefused(t *testing.T) {
	dsn := pgtest.DSN(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(context.Background(), dsn, Options{})
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent start: %v", err)
		}
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	conn.Exec(context.Background(), "UPDATE authgate_schema SET version = 99")
	if _, err := Open(context.Background(), dsn, Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("newer schema: %v", err)
	}
}

// TestListenerReconnects: when the listening connection is killed (what a
// PostgreSQL restart looks like), subscribers hear Unavailable, then
// AllChanged once it is back, and later changes arrive again.
func TestListenerReconnects(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, b := open(t, dsn), open(t, dsn)
	var seen storetest.Recorder
	defer a.Subscribe(seen.Add)()
	pgtest.Terminate(t, dsn, "LISTEN ")
	seen.WaitFor(t, store.Change{Kind: store.Unavailable}, 5*time.Second)
	seen.WaitFor(t, store.Change{Kind: store.AllChanged}, 10*time.Second)
	if err := b.RevokeKey(context.Background(), "none", time.Now(), "t"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke: %v", err)
	}
	if err := b.CreateKey(context.Background(), storetest.Key("k"), "t"); err != nil {
		t.Fatal(err)
	}
	seen.WaitFor(t, store.Change{Kind: store.KeyChanged, Key: "k"}, 2*time.Second)
}
