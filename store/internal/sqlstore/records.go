package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/authgate/authgate/store"
)

// fresh is k as a new key: never revoked, used or replaced.
func fresh(k store.Key) store.Key {
	k.RevokedAt, k.LastUsed, k.ReplacedBy = time.Time{}, time.Time{}, ""
	return k
}

// exec runs one statement on c.
func exec(ctx context.Context, c Conn, st Stmt) error {
	_, err := c.Exec(ctx, st.Query, st.Args...)
	return err
}

// CreateKey implements store.Store.
func (r Records) CreateKey(ctx context.Context, k store.Key, actor string) error {
	ctx, cancel := r.d.Bound(ctx)
	defer cancel()
	return r.write(ctx, store.AuditEvent{Actor: actor, Action: "key.create", Subject: k.ID,
		Detail: fmt.Sprintf("name=%s env=%s kind=%s scopes=%s", k.Name, k.Environment, k.Kind, joinScopes(k.Scopes))},
		func(tx Conn) error { return exec(ctx, tx, insertKey(fresh(k), "")) })
}

// KeyByHash implements store.Store.
func (r Records) KeyByHash(ctx context.Context, hash []byte) (store.Key, error) {
	return one(ctx, r, scanKey, `SELECT `+keyColumns+` FROM keys WHERE hash = $1`, hash)
}

// KeyByID implements store.Store.
func (r Records) KeyByID(ctx context.Context, id string) (store.Key, error) {
	k, err := one(ctx, r, scanKey, `SELECT `+keyColumns+` FROM keys WHERE id = $1`, id)
	return k, store.About(err, "key", id)
}

// Keys implements store.Store.
func (r Records) Keys(ctx context.Context) ([]store.Key, error) {
	return list(ctx, r, scanKey, `SELECT `+keyColumns+` FROM keys ORDER BY created, id`)
}

// RevokeKey implements store.Store. Revoking twice keeps the first time.
func (r Records) RevokeKey(ctx context.Context, id string, at time.Time, actor string) error {
	ctx, cancel := r.d.Bound(ctx)
	defer cancel()
	return r.write(ctx, store.AuditEvent{Actor: actor, Action: "key.revoke", Subject: id}, func(tx Conn) error {
		return mustAffect(tx.Exec(ctx,
			`UPDATE keys SET revoked_at = CASE WHEN revoked_at = 0 THEN $1 ELSE revoked_at END WHERE id = $2`, nanos(at), id))
	})
}

// RotateKey implements store.Store.
func (r Records) RotateKey(ctx context.Context, oldID string, oldExpires time.Time, next store.Key, actor string) error {
	ctx, cancel := r.d.Bound(ctx)
	defer cancel()
	return r.write(ctx, store.AuditEvent{Actor: actor, Action: "key.rotate", Subject: oldID,
		Detail: fmt.Sprintf("new=%s old_expires=%s", next.ID, oldExpires.UTC().Format(time.RFC3339))}, func(tx Conn) error {
		if err := mustAffect(tx.Exec(ctx,
			`UPDATE keys SET replaced_by = $1, expires = CASE WHEN expires = 0 OR expires > $2 THEN $2 ELSE expires END
			 WHERE id = $3 AND revoked_at = 0`, next.ID, nanos(oldExpires), oldID)); err != nil {
			return err
		}
		return exec(ctx, tx, insertKey(fresh(next), ""))
	})
}

// TouchKeys implements store.Store: one transaction, no audit event, no
// change announced (last-used times change no decision). A time never
// moves back.
func (r Records) TouchKeys(ctx context.Context, used map[string]time.Time) error {
	ctx, cancel := r.d.Bound(ctx)
	defer cancel()
	stmts := make([]Stmt, 0, len(used))
	for id, at := range used {
		stmts = append(stmts, Stmt{`UPDATE keys SET last_used = $1 WHERE id = $2 AND last_used < $1`, []any{nanos(at), id}})
	}
	return r.transact(ctx, false, func(tx Conn) error { return r.d.Classify(tx.ExecAll(ctx, stmts)) })
}

// AddUser implements store.Store.
func (r Records) AddUser(ctx context.Context, u store.User, actor string) error {
	ctx, cancel := r.d.Bound(ctx)
	defer cancel()
	u.Created = time.Now()
	u.Updated = u.Created
	return r.write(ctx, store.AuditEvent{Actor: actor, Action: "user.add", Subject: u.Name, Detail: "scopes=" + joinScopes(u.Scopes)},
		func(tx Conn) error { return exec(ctx, tx, insertUser(u, "")) })
}

// User implements store.Store.
func (r Records) User(ctx context.Context, name string) (store.User, error) {
	u, err := one(ctx, r, scanUser, `SELECT `+userColumns+` FROM users WHERE name = $1`, name)
	return u, store.About(err, "user", name)
}

// Users implements store.Store.
func (r Records) Users(ctx context.Context) ([]store.User, error) {
	return list(ctx, r, scanUser, `SELECT `+userColumns+` FROM users ORDER BY name`)
}

// SetPassword implements store.Store.
func (r Records) SetPassword(ctx context.Context, name, hash, actor string) error {
	ctx, cancel := r.d.Bound(ctx)
	defer cancel()
	return r.write(ctx, store.AuditEvent{Actor: actor, Action: "user.passwd", Subject: name}, func(tx Conn) error {
		return mustAffect(tx.Exec(ctx, `UPDATE users SET hash = $1, updated = $2 WHERE name = $3`, hash, time.Now().UnixNano(), name))
	})
}

// RemoveUser implements store.Store.
func (r Records) RemoveUser(ctx context.Context, name, actor string) error {
	ctx, cancel := r.d.Bound(ctx)
	defer cancel()
	return r.write(ctx, store.AuditEvent{Actor: actor, Action: "user.remove", Subject: name}, func(tx Conn) error {
		return mustAffect(tx.Exec(ctx, `DELETE FROM users WHERE name = $1`, name))
	})
}

// Audit implements store.Store: the newest events first.
func (r Records) Audit(ctx context.Context, limit int) ([]store.AuditEvent, error) {
	return list(ctx, r, scanAudit, `SELECT `+auditColumns+` FROM audit ORDER BY seq DESC LIMIT $1`, limit)
}
