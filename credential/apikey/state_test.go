package apikey

import (
	"testing"
	"time"

	"github.com/authgate/authgate/store"
)

// TestStateOf: every state a key can be in, and which wins when several
// apply; the word each shows and whether it lets the key in.
func TestStateOf(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	hour := time.Hour
	for _, c := range []struct {
		name   string
		key    store.Key
		want   State
		word   string
		usable bool
	}{
		{"never expires", store.Key{}, StateActive, "active", true},
		{"expires later", store.Key{Expires: now.Add(hour)}, StateActive, "active", true},
		{"expires now", store.Key{Expires: now}, StateExpired, "expired", false},
		{"expired", store.Key{Expires: now.Add(-hour)}, StateExpired, "expired", false},
		{"rotated, in its grace", store.Key{Expires: now.Add(hour), ReplacedBy: "next"}, StateRotating, "rotating", true},
		{"rotated, grace over", store.Key{Expires: now.Add(-hour), ReplacedBy: "next"}, StateExpired, "expired", false},
		{"revoked", store.Key{RevokedAt: now.Add(-hour)}, StateRevoked, "revoked", false},
		{"revoked and expired", store.Key{RevokedAt: now.Add(-hour), Expires: now.Add(-2 * hour)}, StateRevoked, "revoked", false},
		{"revoked in its grace", store.Key{RevokedAt: now.Add(-hour), Expires: now.Add(hour), ReplacedBy: "next"}, StateRevoked, "revoked", false},
	} {
		got := StateOf(c.key, now)
		if got != c.want || got.String() != c.word || got.Usable() != c.usable {
			t.Errorf("%s: %v (usable %v), want %v (usable %v)", c.name, got, got.Usable(), c.word, c.usable)
		}
		if v := View(c.key, now); v.State != c.word {
			t.Errorf("%s: the view's state is %q, want %q", c.name, v.State, c.word)
		}
	}
	if s := State(99).String(); s != "unknown" {
		t.Errorf("State(99) = %q", s)
	}
}
