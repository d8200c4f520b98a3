package sqlite

import (
	"context"
	"database/sql"

	"github.com/authgate/authgate/store/internal/sqlstore"
)

// queryer is what *sql.DB and *sql.Tx share.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn adapts a database/sql database or transaction to sqlstore.Conn.
type conn struct{ q queryer }

func (c conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := c.q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (c conn) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	r, err := c.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return rows{r}, nil
}

func (c conn) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return c.q.QueryRowContext(ctx, query, args...)
}

// ExecAll runs stmts one by one: SQLite has no round trips to save.
func (c conn) ExecAll(ctx context.Context, stmts []sqlstore.Stmt) error {
	for _, st := range stmts {
		if _, err := c.q.ExecContext(ctx, st.Query, st.Args...); err != nil {
			return err
		}
	}
	return nil
}

// rows is *sql.Rows as sqlstore.Rows.
type rows struct{ *sql.Rows }

func (r rows) Close() { r.Rows.Close() }

// database is the Store's *sql.DB as sqlstore.DB.
type database struct {
	conn
	db *sql.DB
}

func (d database) Begin(ctx context.Context, readOnly bool) (sqlstore.Tx, error) {
	t, err := d.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: readOnly})
	if err != nil {
		return nil, err
	}
	return tx{conn{t}, t}, nil
}

// tx is a *sql.Tx as sqlstore.Tx.
type tx struct {
	conn
	t *sql.Tx
}

func (t tx) Commit(context.Context) error   { return t.t.Commit() }
func (t tx) Rollback(context.Context) error { return t.t.Rollback() }
