package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/eventually"
	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/store/storetest"
)

// TestOtherProcessChangesAreFound: a write by another process (here a
// connection that announces nothing) is found within the poll interval,
// and announced once.
func TestOtherProcessChangesAreFound(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	gw := open(t, dir)
	for _, name := range []string{"bob", "carol"} {
		if err := gw.AddUser(ctx, store.User{Name: name, Hash: "x"}, "t"); err != nil {
			t.Fatal(err)
		}
	}
	var seen storetest.Recorder
	defer gw.Subscribe(seen.Add)()
	other, err := sql.Open("sqlite", "file:"+filepath.Join(dir, FileName)+"?_pragma=busy_timeout(2000)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	passwd := func(name string) {
		t.Helper()
		if _, err := other.Exec(`UPDATE users SET hash = 'y' WHERE name = ?`, name); err != nil {
			t.Fatal(err)
		}
		if _, err := other.Exec(`INSERT INTO audit (time, actor, action, subject, detail) VALUES (1, 'cli', 'user.passwd', ?, '')`, name); err != nil {
			t.Fatal(err)
		}
	}
	seen.Take() // this process's own announcements
	bob, carol := store.Change{Kind: store.UserChanged, User: "bob"}, store.Change{Kind: store.UserChanged, User: "carol"}
	passwd("bob")
	took := seen.WaitFor(t, bob, 2*time.Second)
	t.Logf("another process's change announced after %s (poll interval %s)", took, PollInterval)
	// A later change announced means the polls after bob's have run: any
	// second announcement of bob's change came before it.
	passwd("carol")
	var after []store.Change
	eventually.True(t, 10*time.Second, "a later change by the other process announced", func() bool {
		after = append(after, seen.Take()...)
		return slices.Contains(after, carol)
	})
	if slices.Contains(after, bob) {
		t.Fatalf("bob's change announced twice or more: %+v", after)
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
