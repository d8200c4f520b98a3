// Package pgtest gives tests a PostgreSQL of their own: a fresh schema in
// the machine's PostgreSQL service (127.0.0.1:5432, database test, trust
// auth), dropped at the end. Without the service the test skips with a
// message — and fails under CI=true, where the service must be there.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
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

// DSN creates a fresh schema and returns a DSN whose search_path is it.
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
	return Server() + "&search_path=" + schema
}
