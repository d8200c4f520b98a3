package sqlstore

import (
	"strings"
	"time"

	"github.com/authgate/authgate/store"
)

// The column lists, in the order scanKey and scanUser read them. Times
// are Unix nanoseconds, 0 for none; scopes one space-separated string.
const (
	keyColumns   = `id, name, environment, scopes, hash, created, expires, revoked_at, last_used, replaced_by, kind, quota_requests, quota_per`
	userColumns  = `name, hash, scopes, created, updated`
	auditColumns = `time, actor, action, subject, detail`
)

// scanKey reads a row of keyColumns; the error is the driver's, for the
// caller to classify.
func scanKey(row Row) (store.Key, error) {
	var k store.Key
	var scopes string
	var created, expires, revoked, used, per int64
	if err := row.Scan(&k.ID, &k.Name, &k.Environment, &scopes, &k.Hash, &created, &expires, &revoked, &used, &k.ReplacedBy, &k.Kind,
		&k.QuotaRequests, &per); err != nil {
		return k, err
	}
	k.QuotaPer = time.Duration(per)
	k.Scopes = strings.Fields(scopes)
	k.Created, k.Expires, k.RevokedAt, k.LastUsed = fromNanos(created), fromNanos(expires), fromNanos(revoked), fromNanos(used)
	return k, nil
}

// insertKey is k's statement, every field as it is; conflict, when set,
// says what to do with an existing id or hash (" ON CONFLICT DO NOTHING").
func insertKey(k store.Key, conflict string) Stmt {
	return Stmt{`INSERT INTO keys (` + keyColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)` + conflict, []any{k.ID, k.Name, k.Environment, joinScopes(k.Scopes), k.Hash, nanos(k.Created), nanos(k.Expires), nanos(k.RevokedAt),
		nanos(k.LastUsed), k.ReplacedBy, store.KindOrAPI(k.Kind), k.QuotaRequests, int64(k.QuotaPer)}}
}

// scanUser reads a row of userColumns.
func scanUser(row Row) (store.User, error) {
	var u store.User
	var scopes string
	var created, updated int64
	if err := row.Scan(&u.Name, &u.Hash, &scopes, &created, &updated); err != nil {
		return u, err
	}
	u.Scopes = strings.Fields(scopes)
	u.Created, u.Updated = fromNanos(created), fromNanos(updated)
	return u, nil
}

// insertUser is u's statement; conflict as for insertKey.
func insertUser(u store.User, conflict string) Stmt {
	return Stmt{`INSERT INTO users (` + userColumns + `) VALUES ($1, $2, $3, $4, $5)` + conflict,
		[]any{u.Name, u.Hash, joinScopes(u.Scopes), nanos(u.Created), nanos(u.Updated)}}
}

// scanAudit reads a row of auditColumns.
func scanAudit(row Row) (store.AuditEvent, error) {
	var ev store.AuditEvent
	var t int64
	if err := row.Scan(&t, &ev.Actor, &ev.Action, &ev.Subject, &ev.Detail); err != nil {
		return ev, err
	}
	ev.Time = fromNanos(t)
	return ev, nil
}

// insertAudit is ev's statement; returning, when set, is a RETURNING
// clause.
func insertAudit(ev store.AuditEvent, returning string) Stmt {
	return Stmt{`INSERT INTO audit (` + auditColumns + `) VALUES ($1, $2, $3, $4, $5)` + returning,
		[]any{nanos(ev.Time), ev.Actor, ev.Action, ev.Subject, ev.Detail}}
}

func joinScopes(s []string) string { return strings.Join(s, " ") }

// nanos is t as stored: Unix nanoseconds, 0 for the zero time.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos is the time nanos stored.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
