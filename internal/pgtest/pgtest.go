// Package pgtest gives tests a PostgreSQL of their own: a fresh schema in
// the machine's PostgreSQL service (127.0.0.1:5432, database test, trust
// auth), dropped at the end. Without the service the test skips with a
// message — and fails under CI=true, where the service must be there.
// FreezingProxy stands between a test's store and the service, and can
// make every connection hang without closing it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is the PostgreSQL the tests use; AUTHGATE_TEST_POSTGRES overrides it.
func Server() string {
	if v := os.Getenv("AUTHGATE_TEST_POSTGRES"); v != "" {
		return v
	}
	return "postgres://root@127.0.0.1:5432/test?sslmode=disable"
}

// DSN creates a fresh schema and returns a DSN whose search_path is it;
// its connections carry the schema's name as application_name, so a test
// can drop its own connections (see Terminate) and no one else's.
func DSN(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, Server())
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL is not reachable at %s, and CI must provide it: %v", Server(), err)
		}
		t.Skipf("PostgreSQL is not reachable at %s (install and start postgresql, or set AUTHGATE_TEST_POSTGRES): %v", Server(), err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	schema := "authgate_t_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, Server()); err == nil {
			c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			c.Close(ctx)
		}
	})
	return Server() + "&search_path=" + schema + "&application_name=" + schema
}

// Terminate drops the connections of dsn's schema that run a query
// starting with prefix ("" for all): what a PostgreSQL restart looks like
// to them.
func Terminate(t testing.TB, dsn, prefix string) {
	t.Helper()
	i := strings.LastIndex(dsn, "application_name=")
	if i < 0 {
		t.Fatal("not a pgtest DSN")
	}
	name := dsn[i+len("application_name="):]
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, Server())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = $1 AND query LIKE $2 AND pid <> pg_backend_pid()`, name, prefix+"%"); err != nil {
		t.Fatal(err)
	}
}
