package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	if err := gw.AddUser(ctx, store.User{Name: "bob", Hash: "x"}, "t"); err != nil {
		t.Fatal(err)
	}
	var seen storetest.Recorder
	defer gw.Subscribe(seen.Add)()
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
	took := seen.WaitFor(t, store.Change{Kind: store.UserChanged, User: "bob"}, 2*time.Second)
	t.Logf("another process's change announced after %s (poll interval %s)", took, PollInterval)
	time.Sleep(2 * PollInterval)
	if got := seen.Take(); len(got) != 0 {
		t.Fatalf("announced twice or more: %+v", got)
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
