package jwt

import (
	"context"
	"strings"

	"github.com/authgate/authgate/credential"
)

// SchemeName is what routes list to accept Bearer JWTs.
const SchemeName = "bearer"

func init() {
	credential.RegisterScheme(credential.SchemeInfo{Name: SchemeName, Title: "Bearer JWTs"})
}

// Scheme implements credential.Authenticator.
func (v *Verifier) Scheme() string { return SchemeName }

// Claims takes every Bearer credential (the chain asks the API-key
// authenticator first, so authgate API keys sent as Bearer are not ours).
func (v *Verifier) Claims(p credential.Presented) bool {
	return p.InAuthorization() && strings.EqualFold(p.Scheme, "Bearer")
}

// Remembered implements credential.Rememberer: a token in the cache,
// accepted or refused for a reason that cannot change.
func (v *Verifier) Remembered(p credential.Presented) (credential.Identity, error, bool) {
	if len(p.Value) > v.opts.MaxTokenBytes {
		return credential.Identity{}, nil, false
	}
	id, err, ok := v.lookup(keyOf(p.Value))
	if ok {
		v.cache.hit()
	}
	return id, err, ok
}

// Authenticate implements credential.Authenticator: it judges p in full
// (the gateway asks Remembered first, so a token seen before is answered
// from the cache and its shape is checked only once) and remembers the
// answer.
func (v *Verifier) Authenticate(ctx context.Context, p credential.Presented, t *credential.Trace) (credential.Identity, error) {
	if len(p.Value) > v.opts.MaxTokenBytes {
		return v.verify(ctx, p.Value, tokenKey{}, t) // refused by size, never hashed
	}
	key := keyOf(p.Value)
	if err := credential.CheckPresented(p, t); err != nil {
		return credential.Identity{}, err
	}
	if t != nil {
		return v.verify(ctx, p.Value, key, t)
	}
	return v.shared(ctx, p.Value, key)
}

// Challenges offers Bearer (RFC 6750).
func (v *Verifier) Challenges(realm string) []credential.Challenge {
	return []credential.Challenge{credential.BearerChallenge(realm)}
}
