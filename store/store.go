// Package store holds what authgate must remember: API keys, users,
// revocations (a key's revoked_at) and the audit trail of who changed
// what. Store is the interface; store/sqlite is the embedded default, and a
// PostgreSQL implementation for several gateway instances fits the same
// interface.
package store

import (
	"context"
	"errors"
	"time"
)

// Errors every implementation returns (wrapped) for the callers to test.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	// ErrUnavailable marks a store that cannot answer now (busy, locked,
	// I/O error): the gateway answers 503, never 401.
	ErrUnavailable = errors.New("store unavailable")
)

// Key is an API key as stored: never the secret, only its SHA-256.
type Key struct {
	// ID is the short public id shown in lists and used to revoke.
	ID          string
	Name        string
	Environment string
	Scopes      []string
	// Hash is SHA-256 of the whole key string.
	Hash      []byte
	Created   time.Time
	Expires   time.Time // zero: never
	RevokedAt time.Time // zero: not revoked
	LastUsed  time.Time // zero: never used
	// ReplacedBy is the id of the key that rotation created from this one.
	ReplacedBy string
}

// User is a Basic-auth user. Hash is a PHC argon2id string, or a bcrypt
// hash imported from htpasswd (re-hashed to argon2id at the next login).
type User struct {
	Name    string
	Hash    string
	Scopes  []string
	Created time.Time
	Updated time.Time
}

// AuditEvent records one change.
type AuditEvent struct {
	Time    time.Time
	Actor   string
	Action  string
	Subject string
	Detail  string
}

// Store is authgate's persistent state. Every change also appends an
// audit event in the same transaction.
type Store interface {
	CreateKey(ctx context.Context, k Key, actor string) error
	KeyByHash(ctx context.Context, hash []byte) (Key, error)
	KeyByID(ctx context.Context, id string) (Key, error)
	Keys(ctx context.Context) ([]Key, error)
	RevokeKey(ctx context.Context, id string, at time.Time, actor string) error
	// RotateKey stores next and makes old expire at oldExpires.
	RotateKey(ctx context.Context, oldID string, oldExpires time.Time, next Key, actor string) error
	// TouchKeys records last-used times in one batch.
	TouchKeys(ctx context.Context, used map[string]time.Time) error

	AddUser(ctx context.Context, u User, actor string) error
	User(ctx context.Context, name string) (User, error)
	Users(ctx context.Context) ([]User, error)
	SetPassword(ctx context.Context, name, hash, actor string) error
	RemoveUser(ctx context.Context, name, actor string) error

	Audit(ctx context.Context, limit int) ([]AuditEvent, error)

	// Version changes whenever any process commits a change; callers that
	// cache what they read compare it before trusting the cache.
	Version(ctx context.Context) (int64, error)
	Close() error
}
