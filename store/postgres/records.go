package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authgate/authgate/store"
)

const keyColumns, userColumns = store.KeyColumns, store.UserColumns

func scanKey(row pgx.Row) (store.Key, error) {
	k, err := store.ScanKey(row.Scan)
	return k, classify(err)
}

func scanUser(row pgx.Row) (store.User, error) {
	u, err := store.ScanUser(row.Scan)
	return u, classify(err)
}

func insertKey(ctx context.Context, tx pgx.Tx, k store.Key) error {
	_, err := tx.Exec(ctx, `INSERT INTO keys (`+keyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, '', $8, $9, $10)`,
		k.ID, k.Name, k.Environment, strings.Join(k.Scopes, " "), k.Hash, unix(k.Created), unix(k.Expires), store.KindOrAPI(k.Kind),
		k.QuotaRequests, int64(k.QuotaPer))
	return err
}

// CreateKey implements store.Store.
func (s *Store) CreateKey(ctx context.Context, k store.Key, actor string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.write(ctx, store.AuditEvent{Actor: actor, Action: "key.create", Subject: k.ID,
		Detail: fmt.Sprintf("name=%s env=%s kind=%s scopes=%s", k.Name, k.Environment, k.Kind, strings.Join(k.Scopes, " "))},
		func(tx pgx.Tx) error { return insertKey(ctx, tx, k) })
}

// KeyByHash implements store.Store.
func (s *Store) KeyByHash(ctx context.Context, hash []byte) (store.Key, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return scanKey(s.pool.QueryRow(ctx, `SELECT `+keyColumns+` FROM keys WHERE hash = $1`, hash))
}

// KeyByID implements store.Store.
func (s *Store) KeyByID(ctx context.Context, id string) (store.Key, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	k, err := scanKey(s.pool.QueryRow(ctx, `SELECT `+keyColumns+` FROM keys WHERE id = $1`, id))
	return k, store.About(err, "key", id)
}

// Keys implements store.Store.
func (s *Store) Keys(ctx context.Context) ([]store.Key, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+keyColumns+` FROM keys ORDER BY created, id`)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []store.Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, classify(rows.Err())
}

// RevokeKey implements store.Store. Revoking twice keeps the first time.
func (s *Store) RevokeKey(ctx context.Context, id string, at time.Time, actor string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.write(ctx, store.AuditEvent{Actor: actor, Action: "key.revoke", Subject: id}, func(tx pgx.Tx) error {
		return mustAffect(tx.Exec(ctx,
			`UPDATE keys SET revoked_at = CASE WHEN revoked_at = 0 THEN $1 ELSE revoked_at END WHERE id = $2`, unix(at), id))
	})
}

// RotateKey implements store.Store.
func (s *Store) RotateKey(ctx context.Context, oldID string, oldExpires time.Time, next store.Key, actor string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.write(ctx, store.AuditEvent{Actor: actor, Action: "key.rotate", Subject: oldID,
		Detail: fmt.Sprintf("new=%s old_expires=%s", next.ID, oldExpires.UTC().Format(time.RFC3339))}, func(tx pgx.Tx) error {
		if err := mustAffect(tx.Exec(ctx,
			`UPDATE keys SET replaced_by = $1, expires = CASE WHEN expires = 0 OR expires > $2 THEN $2 ELSE expires END
			 WHERE id = $3 AND revoked_at = 0`, next.ID, unix(oldExpires), oldID)); err != nil {
			return err
		}
		return insertKey(ctx, tx, next)
	})
}

// TouchKeys implements store.Store; it writes no audit event and
// announces nothing (last-used times change no decision).
func (s *Store) TouchKeys(ctx context.Context, used map[string]time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	batch := &pgx.Batch{}
	for id, at := range used {
		batch.Queue(`UPDATE keys SET last_used = GREATEST(last_used, $1) WHERE id = $2`, unix(at), id)
	}
	return classify(s.pool.SendBatch(ctx, batch).Close())
}

// AddUser implements store.Store.
func (s *Store) AddUser(ctx context.Context, u store.User, actor string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	now := unix(time.Now())
	return s.write(ctx, store.AuditEvent{Actor: actor, Action: "user.add", Subject: u.Name, Detail: "scopes=" + strings.Join(u.Scopes, " ")},
		func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5)`,
				u.Name, u.Hash, strings.Join(u.Scopes, " "), now, now)
			return err
		})
}

// User implements store.Store.
func (s *Store) User(ctx context.Context, name string) (store.User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE name = $1`, name))
	return u, store.About(err, "user", name)
}

// Users implements store.Store.
func (s *Store) Users(ctx context.Context) ([]store.User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, classify(rows.Err())
}

// SetPassword implements store.Store.
func (s *Store) SetPassword(ctx context.Context, name, hash, actor string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.write(ctx, store.AuditEvent{Actor: actor, Action: "user.passwd", Subject: name}, func(tx pgx.Tx) error {
		return mustAffect(tx.Exec(ctx, `UPDATE users SET hash = $1, updated = $2 WHERE name = $3`, hash, time.Now().UnixNano(), name))
	})
}

// RemoveUser implements store.Store.
func (s *Store) RemoveUser(ctx context.Context, name, actor string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.write(ctx, store.AuditEvent{Actor: actor, Action: "user.remove", Subject: name}, func(tx pgx.Tx) error {
		return mustAffect(tx.Exec(ctx, `DELETE FROM users WHERE name = $1`, name))
	})
}

// Audit implements store.Store: the newest events first.
func (s *Store) Audit(ctx context.Context, limit int) ([]store.AuditEvent, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT time, actor, action, subject, detail FROM audit ORDER BY seq DESC LIMIT $1`, limit)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []store.AuditEvent
	for rows.Next() {
		var ev store.AuditEvent
		var t int64
		if err := rows.Scan(&t, &ev.Actor, &ev.Action, &ev.Subject, &ev.Detail); err != nil {
			return nil, classify(err)
		}
		ev.Time = fromUnix(t)
		out = append(out, ev)
	}
	return out, classify(rows.Err())
}
