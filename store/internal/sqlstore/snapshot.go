package sqlstore

import (
	"context"
	"fmt"

	"github.com/authgate/authgate/store"
)

// Export implements store.Store, in one read-only transaction.
func (r Records) Export(ctx context.Context) (store.Snapshot, error) {
	ctx, cancel := r.d.Bound(ctx)
	defer cancel()
	var snap store.Snapshot
	err := r.transact(ctx, true, func(tx Conn) (err error) {
		if snap.Keys, err = collect(ctx, r, tx, scanKey, `SELECT `+keyColumns+` FROM keys ORDER BY id`); err != nil {
			return err
		}
		if snap.Users, err = collect(ctx, r, tx, scanUser, `SELECT `+userColumns+` FROM users ORDER BY name`); err != nil {
			return err
		}
		snap.Audit, err = collect(ctx, r, tx, scanAudit, `SELECT `+auditColumns+` FROM audit ORDER BY seq`)
		return err
	})
	if err != nil {
		return store.Snapshot{}, err
	}
	return snap, nil
}

// Import implements store.Store: one write, audited as store.import,
// that announces that everything changed.
func (r Records) Import(ctx context.Context, snap store.Snapshot, merge bool) error {
	ctx, cancel := r.d.Bound(ctx)
	defer cancel()
	conflict := ""
	if merge {
		conflict = " ON CONFLICT DO NOTHING"
	}
	stmts := make([]Stmt, 0, len(snap.Keys)+len(snap.Users)+len(snap.Audit))
	for _, k := range snap.Keys {
		stmts = append(stmts, insertKey(k, conflict))
	}
	for _, u := range snap.Users {
		stmts = append(stmts, insertUser(u, conflict))
	}
	for _, e := range snap.Audit {
		stmts = append(stmts, insertAudit(e, ""))
	}
	ev := store.AuditEvent{Actor: "authgate:import", Action: "store.import", Detail: snap.Counts()}
	return r.write(ctx, ev, func(tx Conn) error {
		if !merge {
			var n int
			if err := tx.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM keys) + (SELECT COUNT(*) FROM users)`).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("%w: the target holds %d keys and users (merge to add to them)", store.ErrExists, n)
			}
		}
		return tx.ExecAll(ctx, stmts)
	})
}
