package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authgate/authgate/store"
)

// Export implements store.Store.
func (s *Store) Export(ctx context.Context) (store.Snapshot, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var snap store.Snapshot
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return snap, classify(err)
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `SELECT `+keyColumns+` FROM keys ORDER BY id`)
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
	if rows, err = tx.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`); err != nil {
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
	if rows, err = tx.Query(ctx, `SELECT time, actor, action, subject, detail FROM audit ORDER BY seq`); err != nil {
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
	ctx, cancel := s.bound(ctx)
	defer cancel()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return classify(err)
	}
	defer tx.Rollback(ctx)
	onConflict := ""
	if merge {
		onConflict = " ON CONFLICT DO NOTHING"
	} else {
		var n int
		if err := tx.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM keys) + (SELECT COUNT(*) FROM users)`).Scan(&n); err != nil {
			return classify(err)
		}
		if n > 0 {
			return fmt.Errorf("%w: the target holds %d keys and users (merge to add to them)", store.ErrExists, n)
		}
	}
	batch := &pgx.Batch{}
	for _, k := range snap.Keys {
		batch.Queue(`INSERT INTO keys (`+keyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`+onConflict,
			k.ID, k.Name, k.Environment, strings.Join(k.Scopes, " "), k.Hash, unix(k.Created), unix(k.Expires), unix(k.RevokedAt),
			unix(k.LastUsed), k.ReplacedBy, store.KindOrAPI(k.Kind), k.QuotaRequests, int64(k.QuotaPer))
	}
	for _, u := range snap.Users {
		batch.Queue(`INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5)`+onConflict,
			u.Name, u.Hash, strings.Join(u.Scopes, " "), unix(u.Created), unix(u.Updated))
	}
	for _, e := range snap.Audit {
		batch.Queue(`INSERT INTO audit (time, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)`,
			unix(e.Time), e.Actor, e.Action, e.Subject, e.Detail)
	}
	batch.Queue(`INSERT INTO audit (time, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)`,
		time.Now().UnixNano(), "authgate:import", "store.import", "", snap.Counts())
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return classify(err)
	}
	payload, _ := json.Marshal(notice{Origin: s.origin, Action: "store.import"})
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, s.channel, string(payload)); err != nil {
		return classify(err)
	}
	if err := tx.Commit(ctx); err != nil {
		return classify(err)
	}
	s.changes.Announce(store.Change{Kind: store.AllChanged})
	return nil
}
