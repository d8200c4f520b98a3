package apikey

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/apikey/keyformat"
	"github.com/authgate/authgate/reason"
	"github.com/authgate/authgate/store"
)

// maxNameLen bounds a key's descriptive name.
const maxNameLen = 200

// Spec is what a new key is made of. Every way of creating a key (the
// CLI, the admin API, the demo) goes through Create, so the rules below
// hold everywhere.
type Spec struct {
	Name string
	// Kind is one of Kinds ("" means store.KindAPI).
	Kind        string
	Environment string
	Scopes      []string
	// Expires is when the key stops working; zero: never.
	Expires time.Time
	// Quota, when set, bounds the key's requests on every route.
	Quota *credential.Quota
}

// Validate refuses a spec that would make an unusable or unreadable key.
// Errors are request_invalid.
func (s Spec) Validate(now time.Time) error {
	switch {
	case strings.TrimSpace(s.Name) == "":
		return reason.New(reason.RequestInvalid, "a key needs a name (what it is for)")
	case len(s.Name) > maxNameLen || !utf8.ValidString(s.Name) || credential.IndexControl(s.Name) >= 0:
		return reason.New(reason.RequestInvalid, "the key name must be at most %d bytes of UTF-8 text without control characters", maxNameLen)
	case !credential.ValidEnvironment(s.Environment):
		return reason.New(reason.RequestInvalid, "environment %q: use 1-16 lower-case letters and digits, starting with a letter", s.Environment)
	case !s.Expires.IsZero() && !s.Expires.After(now):
		return reason.New(reason.RequestInvalid, "the expiry %s is not in the future", s.Expires.UTC().Format(time.RFC3339))
	case !validKind(s.Kind):
		return reason.New(reason.RequestInvalid, "a key's kind is api, admin or viewer")
	case OpensAdmin(s.Kind) && len(s.Scopes) > 0:
		return reason.New(reason.RequestInvalid, "a key of kind %s takes no scopes: it opens the admin API, and only that", s.Kind)
	case s.Quota != nil && (s.Quota.Requests < 1 || s.Quota.Requests > 1_000_000_000 || s.Quota.Per < time.Second || s.Quota.Per > 24*time.Hour):
		return reason.New(reason.RequestInvalid, "a quota is 1 to 1,000,000,000 requests per 1s to 24h, such as 1000/1m")
	}
	return credential.CheckScopes(s.Scopes)
}

// Create checks spec, then makes and stores a key; it returns the stored
// record and the key itself, which exists nowhere else.
func Create(ctx context.Context, st store.Store, spec Spec, actor string) (store.Key, string, error) {
	k, key, err := New(spec, time.Now())
	if err != nil {
		return store.Key{}, "", err
	}
	return k, key, st.CreateKey(ctx, k, actor)
}

// New makes a key of spec without storing it: its record (with the hash,
// never the key) and the key itself, in the clear this once. Create
// stores it; bulk loaders import many.
func New(spec Spec, now time.Time) (store.Key, string, error) {
	if err := spec.Validate(now); err != nil {
		return store.Key{}, "", err
	}
	key, id, err := keyformat.Generate(spec.Environment)
	if err != nil {
		return store.Key{}, "", err
	}
	k := store.Key{ID: id, Name: spec.Name, Environment: spec.Environment, Scopes: spec.Scopes, Hash: Hash(key),
		Created: now, Expires: spec.Expires, Kind: store.KindOrAPI(spec.Kind)}
	if q := spec.Quota; q != nil {
		k.QuotaRequests, k.QuotaPer = q.Requests, q.Per
	}
	return k, key, nil
}

// Rotate creates a replacement for key id (same name, environment, scopes
// and expiry) and lets the old key expire after grace.
func Rotate(ctx context.Context, st store.Store, id string, grace time.Duration, actor string) (store.Key, string, error) {
	if grace < 0 {
		return store.Key{}, "", reason.New(reason.RequestInvalid, "the grace period must not be negative")
	}
	old, err := st.KeyByID(ctx, id)
	if err != nil {
		return store.Key{}, "", err
	}
	now := time.Now()
	if StateOf(old, now) == StateRevoked {
		return store.Key{}, "", reason.New(reason.RequestInvalid, "API key %s was revoked at %s; a revoked key cannot be rotated: create a new one",
			old.ID, old.RevokedAt.UTC().Format(time.RFC3339))
	}
	key, newID, err := keyformat.Generate(old.Environment)
	if err != nil {
		return store.Key{}, "", err
	}
	next := store.Key{ID: newID, Name: old.Name, Environment: old.Environment, Scopes: old.Scopes, Hash: Hash(key),
		Created: now, Expires: old.Expires, Kind: store.KindOrAPI(old.Kind), QuotaRequests: old.QuotaRequests, QuotaPer: old.QuotaPer}
	return next, key, st.RotateKey(ctx, old.ID, now.Add(grace), next, actor)
}

// View is k as the admin API, the CLI and the console show it at now:
// never the hash, and its state as StateOf says.
func View(k store.Key, now time.Time) api.KeyView {
	return api.KeyView{ID: k.ID, Name: k.Name, Environment: k.Environment, Scopes: append([]string{}, k.Scopes...),
		Created: k.Created, Expires: optTime(k.Expires), RevokedAt: optTime(k.RevokedAt), LastUsed: optTime(k.LastUsed),
		ReplacedBy: k.ReplacedBy, State: StateOf(k, now).String(), Kind: store.KindOrAPI(k.Kind), Quota: quotaView(quotaOf(k))}
}

// quotaOf is a stored key's own quota, nil when it has none.
func quotaOf(k store.Key) *credential.Quota {
	if k.QuotaRequests <= 0 || k.QuotaPer <= 0 {
		return nil
	}
	return &credential.Quota{Requests: k.QuotaRequests, Per: k.QuotaPer}
}

func quotaView(q *credential.Quota) *api.Quota {
	if q == nil {
		return nil
	}
	return &api.Quota{Requests: q.Requests, Per: q.Per.String()}
}

// ParseQuota reads a quota written "1000/1m" (requests per Go duration).
func ParseQuota(s string) (*credential.Quota, error) {
	n, per, ok := strings.Cut(s, "/")
	requests, err := strconv.Atoi(n)
	d, err2 := time.ParseDuration(per)
	if !ok || err != nil || err2 != nil {
		return nil, reason.New(reason.RequestInvalid, "a quota is written requests/duration, such as 1000/1m")
	}
	return &credential.Quota{Requests: requests, Per: d}, nil
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
