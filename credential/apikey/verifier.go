package apikey

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/authgate/authgate/credential"
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

	mu   sync.Mutex
	used map[string]time.Time
}

// NewVerifier returns a Verifier for a gateway serving environment ("" to
// accept keys of every environment).
func NewVerifier(s store.Store, environment string, log *slog.Logger) *Verifier {
	return &Verifier{store: s, environment: environment, now: time.Now, log: log,
		cache: store.NewCache[[sha256.Size]byte, store.Key](s, 100000), used: map[string]time.Time{}}
}

// Verify checks key and returns its identity.
func (v *Verifier) Verify(ctx context.Context, key string) (credential.Identity, error) {
	env, err := Environment(key)
	if err != nil {
		return credential.Identity{}, err
	}
	if v.environment != "" && env != v.environment {
		return credential.Identity{}, reason.New(reason.CredentialWrongEnvironment,
			"this is a %s key; this gateway serves %s", env, v.environment)
	}
	hash := sha256.Sum256([]byte(key))
	k, ok, version, err := v.cache.Get(ctx, hash)
	if err != nil {
		return credential.Identity{}, unavailable(err)
	}
	if !ok {
		k, err = v.store.KeyByHash(ctx, hash[:])
		switch {
		case errors.Is(err, store.ErrNotFound):
			return credential.Identity{}, reason.New(reason.CredentialUnknown, "no such API key (well-formed %s key, not issued here or deleted)", env)
		case err != nil:
			return credential.Identity{}, unavailable(err)
		}
		v.cache.Put(version, hash, k)
	}
	now := v.now()
	switch {
	case !k.RevokedAt.IsZero():
		return credential.Identity{}, reason.New(reason.CredentialRevoked, "API key %s was revoked %s ago", k.ID, now.Sub(k.RevokedAt).Round(time.Second))
	case !k.Expires.IsZero() && !now.Before(k.Expires):
		detail := "API key %s expired %s ago"
		if k.ReplacedBy != "" {
			detail += " (it was rotated: use key " + k.ReplacedBy + ")"
		}
		return credential.Identity{}, reason.New(reason.CredentialExpired, detail, k.ID, now.Sub(k.Expires).Round(time.Second))
	}
	if !credential.DryRun(ctx) {
		v.mu.Lock()
		v.used[k.ID] = now
		v.mu.Unlock()
	}
	return credential.Identity{Kind: "apikey", Subject: "apikey:" + k.ID, Scopes: k.Scopes, ExpiresAt: k.Expires}, nil
}

func unavailable(err error) error {
	return &reason.Error{Code: reason.AuthUnavailable, RetryAfter: 5 * time.Second, Err: err,
		Detail: "the key store did not answer"}
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
