// Package store holds what authgate must remember: API keys, users,
// revocations (a key's revoked_at) and the audit trail of who changed
// what. Store is the interface; store/sqlite is the embedded default, and a
// PostgreSQL implementation for several gateway instances fits the same
// interface.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/authgate/authgate/reason"
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
	// Kind is KindAPI (opens the API's routes), KindAdmin (opens the
	// admin listener and nothing else) or KindViewer (opens the admin
	// listener read-only); package apikey holds the kinds' rules.
	Kind string
	// QuotaRequests per QuotaPer bound the key's requests on every route
	// (0: no quota of its own).
	QuotaRequests int
	QuotaPer      time.Duration
}

// Key kinds: a key opens either the API or the admin listener, never
// both; a viewer key opens the admin listener read-only.
const (
	KindAPI    = "api"
	KindAdmin  = "admin"
	KindViewer = "viewer"
)

// KindOrAPI is a key's kind as stored: KindAPI when none is set.
func KindOrAPI(kind string) string {
	if kind == "" {
		return KindAPI
	}
	return kind
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
// audit event in the same transaction, and is announced to subscribers.
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

	// Export reads everything, in one consistent view.
	Export(ctx context.Context) (Snapshot, error)
	// Import writes a snapshot in one transaction, every field as it is.
	// Into a store that holds keys or users it is refused with ErrExists,
	// unless merge: then what exists (by key id, by user name) is kept
	// and the rest added; the audit events are appended. Caches are told
	// that everything changed.
	Import(ctx context.Context, s Snapshot, merge bool) error

	// Subscribe calls fn with every change to keys, users and revocations:
	// at once (before the write returns) for a write through this process,
	// and within a short delay for another process's or instance's. fn runs
	// on the notifier's goroutine: it must be quick and must not call the
	// store. Caches invalidate exactly what changed (see Cache). A
	// subscriber that comes while changes cannot be followed hears
	// Unavailable at once.
	Subscribe(fn func(Change)) (cancel func())
	// Ping reports whether the store answers (readiness); it does not
	// hang (PostgreSQL: it fails after the query timeout).
	Ping(ctx context.Context) error
	// Problem is the store's last known problem from its own background
	// checks (a deleted database file, a full disk, a lost change
	// stream), nil when healthy. It does no I/O.
	Problem() error
	Close() error
}

// ChangeKind says what a Change is about.
type ChangeKind uint8

// The kinds of change.
const (
	// KeyChanged: the key Change.Key (its id) was created, revoked or
	// rotated.
	KeyChanged ChangeKind = iota + 1
	// UserChanged: the user Change.User was added, changed or removed.
	UserChanged
	// AllChanged: changes may have been missed (the stream was down, an
	// unknown change came): forget everything read before.
	AllChanged
	// Unavailable: changes cannot be followed now (the store is closed or
	// does not answer): trust nothing cached until AllChanged.
	Unavailable
)

// Change is one event of the change stream. Writes that change no
// decision (last-used times) are not in it.
type Change struct {
	Kind ChangeKind
	Key  string
	User string
}

// ChangeOf maps an audit action and its subject to the change it is.
func ChangeOf(action, subject string) Change {
	switch {
	case strings.HasPrefix(action, "key."):
		return Change{Kind: KeyChanged, Key: subject}
	case strings.HasPrefix(action, "user."):
		return Change{Kind: UserChanged, User: subject}
	}
	return Change{Kind: AllChanged}
}

// About names, in a not-found or already-exists error, the key or user an
// operation was about ("there is no API key \"x\"", "a user \"carol\"
// already exists"); action is an audit action or just its kind ("key",
// "user"). The error still matches ErrNotFound or ErrExists; other
// errors are returned as they are.
func About(err error, action, subject string) error {
	what, a := "API key", "an"
	if strings.HasPrefix(action, "user") {
		what, a = "user", "a"
	}
	if len(subject) > 64 {
		subject = subject[:64] + "…"
	}
	switch {
	case errors.Is(err, ErrNotFound):
		return &aboutError{err: ErrNotFound, msg: fmt.Sprintf("there is no %s %q", what, subject)}
	case errors.Is(err, ErrExists):
		return &aboutError{err: ErrExists, msg: fmt.Sprintf("%s %s %q already exists", a, what, subject)}
	}
	return err
}

// aboutError is a store sentinel error with its subject named.
type aboutError struct {
	err error
	msg string
}

func (e *aboutError) Error() string { return e.msg }
func (e *aboutError) Unwrap() error { return e.err }

// Reason is the reason an error of a store operation (or of the rules
// around it) answers with: a reason error as it is, not-found and exists
// as not_found and already_exists, an unavailable store as 503 with
// Retry-After, and anything else as the gateway's own fault (503).
func Reason(err error) *reason.Error {
	var re *reason.Error
	switch {
	case errors.As(err, &re):
		return re
	case errors.Is(err, ErrNotFound):
		return reason.New(reason.NotFound, "%s", err.Error())
	case errors.Is(err, ErrExists):
		return reason.New(reason.AlreadyExists, "%s", err.Error())
	case errors.Is(err, ErrUnavailable):
		return &reason.Error{Code: reason.AuthUnavailable, Detail: "the store did not answer", RetryAfter: 5 * time.Second}
	}
	return &reason.Error{Code: reason.AuthUnavailable, Detail: "the operation failed inside the gateway"}
}

// Defaults of the store's bounds (store.query_timeout, store.heartbeat).
const (
	// DefaultQueryTimeout bounds every store call: past it the call fails
	// with ErrUnavailable (503), whatever the database does.
	DefaultQueryTimeout = 2 * time.Second
	// DefaultHeartbeat is how often a change stream that hears nothing
	// proves that it is still connected.
	DefaultHeartbeat = time.Second
)
