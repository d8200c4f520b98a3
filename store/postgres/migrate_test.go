package postgres

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authgate/authgate/internal/eventually"
	"github.com/authgate/authgate/internal/pgtest"
)

// TestMigrateAsADeployStep: a fresh schema is version 0; with NoMigrate
// (store.migrate: never) an instance refuses it rather than migrating;
// Migrate applies every migration once (a second run has nothing to do),
// after which NoMigrate instances open; a schema newer than this build is
// refused by Migrate (and left as it is), by Open with and without
// NoMigrate, and reported by SchemaVersion.
func TestMigrateAsADeployStep(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	if v, err := SchemaVersion(ctx, dsn, "t"); err != nil || v != 0 {
		t.Fatalf("fresh schema: version %d, %v", v, err)
	}
	if _, err := Open(ctx, dsn, Options{NoMigrate: true}); err == nil || !strings.Contains(err.Error(), "store migrate") {
		t.Fatalf("NoMigrate on a fresh schema: %v", err)
	}
	if v, _ := SchemaVersion(ctx, dsn, "t"); v != 0 {
		t.Fatalf("NoMigrate changed the schema to version %d", v)
	}
	if from, to, err := Migrate(ctx, dsn, "t"); err != nil || from != 0 || to != Latest() {
		t.Fatalf("migrate: %d → %d, %v", from, to, err)
	}
	if from, to, err := Migrate(ctx, dsn, "t"); err != nil || from != Latest() || to != Latest() {
		t.Fatalf("migrate again: %d → %d, %v", from, to, err)
	}
	s, err := Open(ctx, dsn, Options{NoMigrate: true})
	if err != nil {
		t.Fatalf("NoMigrate on a migrated schema: %v", err)
	}
	s.Close()

	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	newer := Latest() + 1
	if _, err := conn.Exec(ctx, "UPDATE authgate_schema SET version = $1", newer); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Migrate(ctx, dsn, "t"); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("migrate a newer schema: %v", err)
	}
	for _, no := range []bool{false, true} {
		if _, err := Open(ctx, dsn, Options{NoMigrate: no}); err == nil || !strings.Contains(err.Error(), "newer") {
			t.Fatalf("open a newer schema (NoMigrate %v): %v", no, err)
		}
	}
	if v, err := SchemaVersion(ctx, dsn, "t"); err != nil || v != newer {
		t.Fatalf("newer schema: version %d, %v", v, err)
	}
}

// TestApplicationName: the store's connections carry ApplicationName in
// pg_stat_activity, unless the DSN names them itself.
func TestApplicationName(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	own := dsn[strings.LastIndex(dsn, "application_name=")+len("application_name="):]
	unnamed := strings.Replace(dsn, "&application_name="+own, "", 1)
	instance := "gw-" + own
	for _, tt := range []struct{ dsn, want string }{{unnamed, instance}, {dsn, own}} {
		s, err := Open(ctx, tt.dsn, Options{ApplicationName: instance})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		err = s.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND pid = pg_backend_pid()`, tt.want).Scan(&n)
		s.Close()
		if err != nil || n != 1 {
			t.Fatalf("application_name is not %q: %d %v", tt.want, n, err)
		}
	}
}

// TestChangeStreamLossToldOnce: each loss of the change stream and each
// recovery is told once to OnStream (a loss with its problem, naming
// since when), however short; each recovery is counted in Reconnects.
func TestChangeStreamLossToldOnce(t *testing.T) {
	dsn := pgtest.DSN(t)
	var mu sync.Mutex
	var told []string
	s, err := Open(context.Background(), dsn, Options{OnStream: func(problem error) {
		mu.Lock()
		defer mu.Unlock()
		if problem != nil {
			told = append(told, "lost: "+problem.Error())
		} else {
			told = append(told, "back")
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	events := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), told...)
	}
	if s.Reconnects() != 0 || len(events()) != 0 {
		t.Fatalf("after the first connection: %d reconnects, told %q", s.Reconnects(), events())
	}
	for round := 1; round <= 2; round++ {
		pgtest.Terminate(t, dsn, "LISTEN ")
		eventually.True(t, 10*time.Second, "the stream back", func() bool { return s.Reconnects() == uint64(round) })
		ev := events()
		if len(ev) != 2*round || !strings.HasPrefix(ev[2*round-2], "lost: the change stream from PostgreSQL is lost since ") || ev[2*round-1] != "back" {
			t.Fatalf("round %d: told %q, want one loss and one recovery a round", round, ev)
		}
		if s.Problem() != nil {
			t.Fatalf("back, yet: %v", s.Problem())
		}
	}
}
