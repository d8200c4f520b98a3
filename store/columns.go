package store

import (
	"strings"
	"time"
)

// The column lists of the SQL stores, in the order ScanKey and ScanUser
// read them. Times are Unix nanoseconds, 0 for none; scopes one
// space-separated string.
const (
	KeyColumns  = `id, name, environment, scopes, hash, created, expires, revoked_at, last_used, replaced_by, kind, quota_requests, quota_per`
	UserColumns = `name, hash, scopes, created, updated`
)

// ScanKey reads a row of KeyColumns; the error is the driver's, for the
// store to classify.
func ScanKey(scan func(dest ...any) error) (Key, error) {
	var k Key
	var scopes string
	var created, expires, revoked, used, per int64
	if err := scan(&k.ID, &k.Name, &k.Environment, &scopes, &k.Hash, &created, &expires, &revoked, &used, &k.ReplacedBy, &k.Kind,
		&k.QuotaRequests, &per); err != nil {
		return k, err
	}
	k.QuotaPer = time.Duration(per)
	k.Scopes = strings.Fields(scopes)
	k.Created, k.Expires, k.RevokedAt, k.LastUsed = FromNanos(created), FromNanos(expires), FromNanos(revoked), FromNanos(used)
	return k, nil
}

// ScanUser reads a row of UserColumns.
func ScanUser(scan func(dest ...any) error) (User, error) {
	var u User
	var scopes string
	var created, updated int64
	if err := scan(&u.Name, &u.Hash, &scopes, &created, &updated); err != nil {
		return u, err
	}
	u.Scopes = strings.Fields(scopes)
	u.Created, u.Updated = FromNanos(created), FromNanos(updated)
	return u, nil
}

// Nanos is t as stored: Unix nanoseconds, 0 for the zero time.
func Nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// FromNanos is the time Nanos stored.
func FromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// KindOrAPI is a key's kind as stored: KindAPI when none is set.
func KindOrAPI(kind string) string {
	if kind == "" {
		return KindAPI
	}
	return kind
}
