package apikey

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/apikey/keyformat"
	"github.com/authgate/authgate/reason"
	"github.com/authgate/authgate/store"
)

// Verifier checks API keys against a Store. Records are cached until the
// store changes; last-used times are written in batches, never on the
// request path.
type Verifier struct {
	store       store.Store
	environment string
	now         func() time.Time
	cache       *store.Cache[[sha256.Size]byte, store.Key]
	log         *slog.Logger

	// headers are the API-key headers, named in the ApiKey challenge.
	headers []string
	// admin: the verifier is the admin listener's, which takes the kinds
	// that open it (OpensAdmin); otherwise it takes api keys only.
	admin bool

	mu   sync.Mutex
	used map[string]time.Time
}

// ForAdmin makes v the admin listener's: it accepts the kinds that open
// it (admin, viewer) and no other, and gives each the scopes its kind
// holds there. It returns v.
func (v *Verifier) ForAdmin() *Verifier {
	v.admin = true
	return v
}

// WithHeaders sets the headers keys may arrive in (the first is named in
// the ApiKey challenge) and returns v.
func (v *Verifier) WithHeaders(headers ...string) *Verifier {
	v.headers = headers
	return v
}

// NewVerifier returns a Verifier for a gateway serving environment ("" to
// accept keys of every environment).
func NewVerifier(s store.Store, environment string, log *slog.Logger) *Verifier {
	v := &Verifier{store: s, environment: environment, now: time.Now, log: log, used: map[string]time.Time{}}
	if s != nil {
		v.cache = store.NewCache[[sha256.Size]byte](s, 100000, func(k store.Key, ch store.Change) bool {
			return ch.Kind == store.KeyChanged && k.ID == ch.Key
		})
	}
	return v
}

// Verify checks key and returns its identity.
func (v *Verifier) Verify(ctx context.Context, key string) (credential.Identity, error) {
	return v.verify(ctx, key, nil)
}

func (v *Verifier) verify(ctx context.Context, key string, t *credential.Trace) (credential.Identity, error) {
	env, err := v.environmentOf(key, t)
	if err != nil {
		return credential.Identity{}, err
	}
	if v.store == nil {
		return credential.Identity{}, t.Fail("key known", &reason.Error{Code: reason.AuthUnavailable, Detail: "this gateway has no key store"})
	}
	hash := sha256.Sum256([]byte(key))
	k, ok, gen := v.cache.Get(hash)
	if !ok {
		k, err = v.store.KeyByHash(ctx, hash[:])
		switch {
		case errors.Is(err, store.ErrNotFound):
			return credential.Identity{}, t.Fail("key known", reason.New(reason.CredentialUnknown, "no such API key (well-formed %s key, not issued here or deleted)", env))
		case err != nil:
			return credential.Identity{}, t.Fail("key known", unavailable(err))
		}
		v.cache.Put(gen, hash, k)
	}
	t.Pass("key known", k.ID)
	return v.judge(k, t)
}

// Remembered implements credential.Rememberer: a key whose record is in
// the cache (then the value is that key, well-formed).
func (v *Verifier) Remembered(p credential.Presented) (credential.Identity, error, bool) {
	if v.cache == nil {
		return credential.Identity{}, nil, false
	}
	k, ok, _ := v.cache.Get(sha256.Sum256([]byte(p.Value)))
	if !ok {
		return credential.Identity{}, nil, false
	}
	// Nothing to check of the value itself: this verifier caches only
	// keys whose format, checksum and environment it checked, and those
	// are functions of the key's bytes, which hashed alike.
	id, err := v.judge(k, nil)
	return id, err, true
}

// environmentOf checks key's format and checksum and that its
// environment is the gateway's.
func (v *Verifier) environmentOf(key string, t *credential.Trace) (string, error) {
	env, err := keyformat.Environment(key)
	if err := t.Check("key format and checksum", err); err != nil {
		return "", err
	}
	if v.environment != "" && env != v.environment {
		return "", t.Fail("environment", reason.New(reason.CredentialWrongEnvironment,
			"this is a %s key; this gateway serves %s", env, v.environment))
	}
	t.Pass("environment", env)
	return env, nil
}

// judge checks a known key's record: its kind, revocation and expiry.
func (v *Verifier) judge(k store.Key, t *credential.Trace) (credential.Identity, error) {
	kind := store.KindOrAPI(k.Kind)
	if OpensAdmin(kind) != v.admin {
		if v.admin {
			return credential.Identity{}, t.Fail("key kind", reason.New(reason.CredentialWrongKind,
				"API key %s is an API key; the admin API takes only admin and viewer keys (authgate keys create --kind admin or viewer)", k.ID))
		}
		return credential.Identity{}, t.Fail("key kind", reason.New(reason.CredentialWrongKind,
			"API key %s is of kind %s: it opens the admin API only, never the API's routes", k.ID, kind))
	}
	t.Pass("key kind", kind)
	now := v.now()
	state := StateOf(k, now)
	if state == StateRevoked {
		return credential.Identity{}, t.Fail("not revoked", reason.New(reason.CredentialRevoked, "API key %s was revoked %s ago", k.ID, now.Sub(k.RevokedAt).Round(time.Second)))
	}
	t.Pass("not revoked", "")
	if state == StateExpired {
		detail := "API key %s expired %s ago"
		if k.ReplacedBy != "" {
			detail += " (it was rotated: use key " + k.ReplacedBy + ")"
		}
		return credential.Identity{}, t.Fail("not expired", reason.New(reason.CredentialExpired, detail, k.ID, now.Sub(k.Expires).Round(time.Second)))
	}
	t.Pass("not expired", "")
	if !t.DryRun() {
		v.mu.Lock()
		v.used[k.ID] = now
		v.mu.Unlock()
	}
	scopes := k.Scopes
	if v.admin {
		scopes = adminScopes[kind]
	}
	return credential.Identity{Kind: "apikey", Subject: "apikey:" + k.ID, Scopes: scopes, ExpiresAt: k.Expires, Quota: quotaOf(k)}, nil
}

func unavailable(err error) error {
	return &reason.Error{Code: reason.AuthUnavailable, RetryAfter: 5 * time.Second, Err: err,
		Detail: "the key store did not answer"}
}

// Close stops following the store's changes.
func (v *Verifier) Close() {
	if v.cache != nil {
		v.cache.Close()
	}
}

// Run writes last-used times every interval until ctx ends, then once more.
func (v *Verifier) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			v.Flush(ctx)
		case <-ctx.Done():
			v.Flush(context.Background())
			return
		}
	}
}

// Flush writes the pending last-used times.
func (v *Verifier) Flush(ctx context.Context) {
	v.mu.Lock()
	used := v.used
	v.used = map[string]time.Time{}
	v.mu.Unlock()
	if len(used) == 0 {
		return
	}
	if err := v.store.TouchKeys(ctx, used); err != nil && v.log != nil {
		v.log.Warn("recording API key use failed", "keys", len(used), "error", err.Error())
	}
}
