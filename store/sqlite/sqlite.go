// Package sqlite is the embedded Store: one SQLite file (WAL mode,
// synchronous writes, versioned migrations) through the pure-Go
// modernc.org/sqlite driver.
package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	sqlite3 "modernc.org/sqlite"
	sqlitelib "modernc.org/sqlite/lib"

	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/store/internal/sqlstore"
)

// FileName is the database file inside the data folder.
const FileName = "authgate.db"

var migrations = []string{
	`CREATE TABLE keys (
		id TEXT PRIMARY KEY,
		name TEXT NOT NULL,
		environment TEXT NOT NULL,
		scopes TEXT NOT NULL,
		hash BLOB NOT NULL UNIQUE,
		created INTEGER NOT NULL,
		expires INTEGER NOT NULL DEFAULT 0,
		revoked_at INTEGER NOT NULL DEFAULT 0,
		last_used INTEGER NOT NULL DEFAULT 0,
		replaced_by TEXT NOT NULL DEFAULT ''
	);
	CREATE TABLE users (
		name TEXT PRIMARY KEY,
		hash TEXT NOT NULL,
		scopes TEXT NOT NULL,
		created INTEGER NOT NULL,
		updated INTEGER NOT NULL
	);
	CREATE TABLE audit (
		seq INTEGER PRIMARY KEY AUTOINCREMENT,
		time INTEGER NOT NULL,
		actor TEXT NOT NULL,
		action TEXT NOT NULL,
		subject TEXT NOT NULL,
		detail TEXT NOT NULL
	);`,
	// 2: key kinds; every key made before was an API key.
	`ALTER TABLE keys ADD COLUMN kind TEXT NOT NULL DEFAULT 'api';`,
	// 3: a key's own quota.
	`ALTER TABLE keys ADD COLUMN quota_requests INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE keys ADD COLUMN quota_per INTEGER NOT NULL DEFAULT 0;`,
}

// Store is the SQLite implementation of store.Store.
type Store struct {
	// Records are the keys, users and audit trail, through the queries
	// both SQL stores share.
	sqlstore.Records

	db   *sql.DB
	path string

	// version is a dedicated connection: PRAGMA data_version only tells
	// about other connections' commits when asked on the same connection.
	verMu   sync.Mutex
	verConn *sql.Conn
	verStmt *sql.Stmt
	// verDriverStmt is the same statement prepared at the driver level on
	// verConn's connection, which this Store holds for its whole life.
	verDriverStmt driver.Stmt

	feed feed
	// file is the database file as opened; problem what checkFile found.
	file      os.FileInfo
	problem   atomic.Pointer[error]
	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database in dir. A file that is not
// an authgate SQLite database is an error naming it, and is left untouched.
func Open(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	if err := checkHeader(path); err != nil {
		return nil, err
	}
	dsn := "file:" + path + "?_pragma=busy_timeout(2000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	s := &Store{db: db, path: path}
	s.Records = sqlstore.NewRecords(sqlstore.Driver{DB: database{conn{db}, db}, Classify: classify, Committed: s.committed})
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if s.verConn, err = db.Conn(ctx); err == nil {
		s.verStmt, err = s.verConn.PrepareContext(ctx, "PRAGMA data_version")
	}
	if err == nil {
		s.file, err = os.Stat(path)
	}
	if err == nil {
		s.checkFile()
		err = s.startFeed(ctx)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// checkHeader refuses an existing file that is not a SQLite database,
// before the driver could touch it.
func checkHeader(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("database %s cannot be read: %w", path, err)
	}
	defer f.Close()
	head := make([]byte, 16)
	n, _ := f.Read(head)
	if n == 0 {
		return nil // empty file: a fresh database
	}
	if !bytes.Equal(head[:n], []byte("SQLite format 3\x00")[:n]) || n < 16 {
		return fmt.Errorf("database %s is not a SQLite database (corrupt or another file); it was left untouched: restore it from a backup or move it away", path)
	}
	return nil
}

func (s *Store) migrate(ctx context.Context) error {
	var version int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("not a usable database: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("database schema %d is newer than this authgate knows (%d): upgrade authgate", version, len(migrations))
	}
	if version > 0 {
		var result string
		if err := s.db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&result); err != nil || result != "ok" {
			return fmt.Errorf("database fails its integrity check (%s %v); it was left untouched", result, err)
		}
	}
	for i := version; i < len(migrations); i++ {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// Path returns the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database; subscribers are told that changes can no
// longer be followed. Closing twice is harmless.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.stopFeed()
		s.verMu.Lock()
		if s.verDriverStmt != nil {
			s.verConn.Raw(func(any) error { return s.verDriverStmt.Close() })
		}
		s.verStmt.Close()
		s.verConn.Close()
		s.verMu.Unlock()
		s.closeErr = s.db.Close()
	})
	return s.closeErr
}

// classify wraps err: busy, locked and I/O failures become
// store.ErrUnavailable.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var se *sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlitelib.SQLITE_CONSTRAINT:
			return store.ErrExists // the only constraints are the unique names and hashes
		case sqlitelib.SQLITE_BUSY, sqlitelib.SQLITE_LOCKED, sqlitelib.SQLITE_IOERR, sqlitelib.SQLITE_CANTOPEN,
			sqlitelib.SQLITE_CORRUPT, sqlitelib.SQLITE_NOTADB, sqlitelib.SQLITE_FULL, sqlitelib.SQLITE_READONLY:
			return fmt.Errorf("%w: %v", store.ErrUnavailable, err)
		}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sql.ErrConnDone) {
		return fmt.Errorf("%w: %v", store.ErrUnavailable, err)
	}
	return err
}

// Version is PRAGMA data_version on a dedicated connection: it changes
// whenever another connection (or process) commits.
func (s *Store) Version(ctx context.Context) (int64, error) {
	s.verMu.Lock()
	defer s.verMu.Unlock()
	var v int64
	err := s.verConn.Raw(func(dc any) error {
		if s.verDriverStmt == nil {
			pc, ok := dc.(driver.ConnPrepareContext)
			if !ok {
				return s.verStmt.QueryRowContext(ctx).Scan(&v)
			}
			st, err := pc.PrepareContext(ctx, "PRAGMA data_version")
			if err != nil {
				return err
			}
			s.verDriverStmt = st
		}
		sq, ok := s.verDriverStmt.(driver.StmtQueryContext)
		if !ok {
			return s.verStmt.QueryRowContext(ctx).Scan(&v)
		}
		rows, err := sq.QueryContext(ctx, nil)
		if err != nil {
			return err
		}
		defer rows.Close()
		dest := make([]driver.Value, 1)
		if err := rows.Next(dest); err != nil {
			return err
		}
		n, ok := dest[0].(int64)
		if !ok {
			return fmt.Errorf("data_version: unexpected %T", dest[0])
		}
		v = n
		return nil
	})
	return v, classify(err)
}
