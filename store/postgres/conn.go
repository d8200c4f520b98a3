package postgres

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/store/internal/sqlstore"
)

// queryer is what a pgx pool and a pgx transaction share.
type queryer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// conn adapts a pgx pool or transaction to sqlstore.Conn.
type conn struct{ q queryer }

func (c conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := c.q.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (c conn) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	return c.q.Query(ctx, query, args...)
}

func (c conn) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return c.q.QueryRow(ctx, query, args...)
}

// ExecAll sends stmts as one batch: one round trip.
func (c conn) ExecAll(ctx context.Context, stmts []sqlstore.Stmt) error {
	batch := &pgx.Batch{}
	for _, st := range stmts {
		batch.Queue(st.Query, st.Args...)
	}
	return c.q.SendBatch(ctx, batch).Close()
}

// database is the Store's pool as sqlstore.DB. A read-only transaction
// is REPEATABLE READ: one snapshot for all its queries.
type database struct {
	conn
	pool *pgxpool.Pool
}

func (d database) Begin(ctx context.Context, readOnly bool) (sqlstore.Tx, error) {
	var opts pgx.TxOptions
	if readOnly {
		opts = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	}
	t, err := d.pool.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return tx{conn{t}, t}, nil
}

// tx is a pgx transaction as sqlstore.Tx.
type tx struct {
	conn
	t pgx.Tx
}

func (t tx) Commit(ctx context.Context) error   { return t.t.Commit(ctx) }
func (t tx) Rollback(ctx context.Context) error { return t.t.Rollback(ctx) }

// notify tells every instance about a write, in its transaction:
// PostgreSQL delivers the notification on commit.
func (s *Store) notify(ctx context.Context, tx sqlstore.Conn, ev store.AuditEvent) error {
	payload, _ := json.Marshal(notice{Origin: s.origin, Action: ev.Action, Subject: ev.Subject})
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, s.channel, string(payload))
	return err
}

// announce tells this instance's subscribers about a committed write.
func (s *Store) announce(ch store.Change, _ int64) { s.changes.Announce(ch) }
