package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/authgate/authgate/store"
)

// Export implements store.Store.
func (s *Store) Export(ctx context.Context) (store.Snapshot, error) {
	var snap store.Snapshot
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return snap, classify(err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+keyColumns+` FROM keys ORDER BY id`)
	if err != nil {
		return snap, classify(err)
	}
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			rows.Close()
			return snap, err
		}
		snap.Keys = append(snap.Keys, k)
	}
	rows.Close()
	if rows, err = tx.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`); err != nil {
		return snap, classify(err)
	}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return snap, err
		}
		snap.Users = append(snap.Users, u)
	}
	rows.Close()
	if rows, err = tx.QueryContext(ctx, `SELECT time, actor, action, subject, detail FROM audit ORDER BY seq`); err != nil {
		return snap, classify(err)
	}
	defer rows.Close()
	for rows.Next() {
		var ev store.AuditEvent
		var t int64
		if err := rows.Scan(&t, &ev.Actor, &ev.Action, &ev.Subject, &ev.Detail); err != nil {
			return snap, classify(err)
		}
		ev.Time = fromUnix(t)
		snap.Audit = append(snap.Audit, ev)
	}
	return snap, classify(rows.Err())
}

// Import implements store.Store.
func (s *Store) Import(ctx context.Context, snap store.Snapshot, merge bool) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return classify(err)
	}
	defer tx.Rollback()
	verb := "INSERT"
	if merge {
		verb = "INSERT OR IGNORE"
	} else {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM keys) + (SELECT COUNT(*) FROM users)`).Scan(&n); err != nil {
			return classify(err)
		}
		if n > 0 {
			return fmt.Errorf("%w: the target holds %d keys and users (merge to add to them)", store.ErrExists, n)
		}
	}
	for _, k := range snap.Keys {
		if _, err := tx.ExecContext(ctx, verb+` INTO keys (`+keyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			k.ID, k.Name, k.Environment, joinScopes(k.Scopes), k.Hash, unix(k.Created), unix(k.Expires), unix(k.RevokedAt),
			unix(k.LastUsed), k.ReplacedBy, store.KindOrAPI(k.Kind), k.QuotaRequests, int64(k.QuotaPer)); err != nil {
			return classify(err)
		}
	}
	for _, u := range snap.Users {
		if _, err := tx.ExecContext(ctx, verb+` INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?)`,
			u.Name, u.Hash, joinScopes(u.Scopes), unix(u.Created), unix(u.Updated)); err != nil {
			return classify(err)
		}
	}
	for _, e := range snap.Audit {
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit (time, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)`,
			unix(e.Time), e.Actor, e.Action, e.Subject, e.Detail); err != nil {
			return classify(err)
		}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO audit (time, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)`,
		time.Now().UnixNano(), "authgate:import", "store.import", "", strings.TrimSpace(snap.Counts()))
	if err != nil {
		return classify(err)
	}
	seq, _ := res.LastInsertId()
	if err := tx.Commit(); err != nil {
		return classify(err)
	}
	s.committed(store.Change{Kind: store.AllChanged}, seq)
	return nil
}
