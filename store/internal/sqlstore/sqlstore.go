// Package sqlstore is what the SQL stores share: the queries on keys,
// users and the audit trail written once, the mapping between their rows
// and the store types, and the shapes of the transactions (a write and
// its audit row commit together; Export reads one consistent view;
// Import writes one transaction). Records implements that half of
// store.Store; store/sqlite and store/postgres embed it and keep what
// truly differs: opening and migrating their schema, the change stream
// (PRAGMA data_version polling, LISTEN/NOTIFY), the mapping of their
// errors, and the adapter from their driver (database/sql, pgx) to Conn.
//
// Queries are written with numbered placeholders ($1, $2, …), which
// PostgreSQL takes as they are and SQLite takes too (a $NNN parameter of
// modernc.org/sqlite binds the NNNth argument); only SQL that both
// dialects accept is used (no GREATEST or MAX(a, b), ON CONFLICT DO
// NOTHING rather than INSERT OR IGNORE, RETURNING for the audit row).
package sqlstore

import (
	"context"
	"time"

	"github.com/authgate/authgate/store"
)

// Row is one row of an answer.
type Row interface {
	Scan(dest ...any) error
}

// Rows is an answer of several rows, read with Next and Scan.
type Rows interface {
	Row
	Next() bool
	Err() error
	Close()
}

// Stmt is a statement and its arguments.
type Stmt struct {
	Query string
	Args  []any
}

// Conn is a database or a transaction, as its driver's adapter shows it.
// Errors are the driver's, for Driver.Classify.
type Conn interface {
	// Exec runs a statement and says how many rows it changed.
	Exec(ctx context.Context, query string, args ...any) (affected int64, err error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
	// ExecAll runs stmts in order and stops at the first failure; a
	// driver that can sends them in one round trip (a pgx batch).
	ExecAll(ctx context.Context, stmts []Stmt) error
}

// Tx is a transaction.
type Tx interface {
	Conn
	Commit(ctx context.Context) error
	// Rollback after Commit does nothing.
	Rollback(ctx context.Context) error
}

// DB is a database: a Conn that begins transactions. A read-only
// transaction sees one consistent view of the database.
type DB interface {
	Conn
	Begin(ctx context.Context, readOnly bool) (Tx, error)
}

// Driver is what Records needs from a store's driver.
type Driver struct {
	DB DB
	// Classify maps the driver's errors to the store's: no rows is
	// store.ErrNotFound, a unique violation store.ErrExists, a database
	// that cannot answer store.ErrUnavailable. It returns those sentinels
	// (wrapped or not) as they are.
	Classify func(error) error
	// Bound, when set, gives every call its deadline.
	Bound func(context.Context) (context.Context, context.CancelFunc)
	// InWrite, when set, runs in every write's transaction after its
	// audit row (PostgreSQL notifies the other instances there, to be
	// delivered on commit).
	InWrite func(ctx context.Context, tx Conn, ev store.AuditEvent) error
	// Committed runs once a write has committed, before the write
	// returns: the change to announce, and seq, the audit row's number.
	Committed func(ch store.Change, seq int64)
}

// Records implements the keys, users, audit, Export and Import methods
// of store.Store over a Driver; a store embeds it.
type Records struct {
	d Driver
}

// NewRecords returns the Records of d.
func NewRecords(d Driver) Records {
	if d.Bound == nil {
		d.Bound = func(ctx context.Context) (context.Context, context.CancelFunc) { return ctx, func() {} }
	}
	return Records{d: d}
}

// transact runs fn in a transaction and commits it; fn's errors are
// returned as they are.
func (r Records) transact(ctx context.Context, readOnly bool, fn func(tx Conn) error) error {
	tx, err := r.d.DB.Begin(ctx, readOnly)
	if err != nil {
		return r.d.Classify(err)
	}
	defer tx.Rollback(ctx)
	if err := fn(tx); err != nil {
		return err
	}
	return r.d.Classify(tx.Commit(ctx))
}

// write runs fn in a transaction with ev's audit row (its time now) and
// the driver's InWrite; once committed, the change is handed to the
// driver's Committed. fn's not-found and already-exists errors name
// ev's subject, if it has one.
func (r Records) write(ctx context.Context, ev store.AuditEvent, fn func(tx Conn) error) error {
	ev.Time = time.Now()
	var seq int64
	err := r.transact(ctx, false, func(tx Conn) error {
		if err := fn(tx); err != nil {
			if ev.Subject == "" {
				return r.d.Classify(err)
			}
			return store.About(r.d.Classify(err), ev.Action, ev.Subject)
		}
		audit := insertAudit(ev, " RETURNING seq")
		if err := tx.QueryRow(ctx, audit.Query, audit.Args...).Scan(&seq); err != nil {
			return r.d.Classify(err)
		}
		if r.d.InWrite != nil {
			return r.d.Classify(r.d.InWrite(ctx, tx, ev))
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.d.Committed(store.ChangeOf(ev.Action, ev.Subject), seq)
	return nil
}

// mustAffect turns "no row changed" into store.ErrNotFound.
func mustAffect(affected int64, err error) error {
	if err == nil && affected == 0 {
		return store.ErrNotFound
	}
	return err
}

// collect reads every row of a query with scan.
func collect[T any](ctx context.Context, r Records, c Conn, scan func(Row) (T, error), query string, args ...any) ([]T, error) {
	rows, err := c.Query(ctx, query, args...)
	if err != nil {
		return nil, r.d.Classify(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, r.d.Classify(err)
		}
		out = append(out, v)
	}
	return out, r.d.Classify(rows.Err())
}

// one reads the row of a query on the database with scan, within the
// call's bound.
func one[T any](ctx context.Context, r Records, scan func(Row) (T, error), query string, args ...any) (T, error) {
	ctx, cancel := r.d.Bound(ctx)
	defer cancel()
	v, err := scan(r.d.DB.QueryRow(ctx, query, args...))
	return v, r.d.Classify(err)
}

// list reads every row of a query on the database, within the call's
// bound.
func list[T any](ctx context.Context, r Records, scan func(Row) (T, error), query string, args ...any) ([]T, error) {
	ctx, cancel := r.d.Bound(ctx)
	defer cancel()
	return collect(ctx, r, r.d.DB, scan, query, args...)
}
