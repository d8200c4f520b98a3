package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Snapshot is everything a store holds, for copying it to another store
// (authgate store copy): every field of every key and user, and the audit
// trail in order.
type Snapshot struct {
	Keys  []Key
	Users []User
	Audit []AuditEvent
}

// Checksum is a digest of the snapshot's content, the same for the same
// content in any store: keys by id, users by name, the audit trail in
// order; times to the microsecond (what every store keeps).
func (s Snapshot) Checksum() string {
	h := sha256.New()
	keys := append([]Key(nil), s.Keys...)
	sort.Slice(keys, func(i, j int) bool { return keys[i].ID < keys[j].ID })
	for _, k := range keys {
		kind := k.Kind
		if kind == "" {
			kind = KindAPI
		}
		fmt.Fprintf(h, "k|%q|%q|%q|%q|%x|%s|%s|%s|%s|%q|%q|%d|%d\n", k.ID, k.Name, k.Environment, strings.Join(k.Scopes, " "), k.Hash,
			stamp(k.Created), stamp(k.Expires), stamp(k.RevokedAt), stamp(k.LastUsed), k.ReplacedBy, kind, k.QuotaRequests, k.QuotaPer)
	}
	users := append([]User(nil), s.Users...)
	sort.Slice(users, func(i, j int) bool { return users[i].Name < users[j].Name })
	for _, u := range users {
		fmt.Fprintf(h, "u|%q|%q|%q|%s|%s\n", u.Name, u.Hash, strings.Join(u.Scopes, " "), stamp(u.Created), stamp(u.Updated))
	}
	for _, e := range s.Audit {
		fmt.Fprintf(h, "a|%s|%q|%q|%q|%q\n", stamp(e.Time), e.Actor, e.Action, e.Subject, e.Detail)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return fmt.Sprint(t.UnixMicro())
}

// Counts says how much a snapshot holds.
func (s Snapshot) Counts() string {
	return fmt.Sprintf("%d keys, %d users, %d audit events", len(s.Keys), len(s.Users), len(s.Audit))
}
