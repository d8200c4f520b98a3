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
// authenticator first, so authgate API keys sent as Bearer are not ours),
// and DPoP-bound tokens when proofs are checked.
func (v *Verifier) Claims(p credential.Presented) bool {
	return p.InAuthorization() && (strings.EqualFold(p.Scheme, "Bearer") || v.opts.Proofs != nil && isDPoP(p))
}

// Remembered implements credential.Rememberer: a token in the cache,
// accepted or refused for a reason that cannot change. A DPoP token is
// never answered from memory: its proof is new work on every request.
func (v *Verifier) Remembered(p credential.Presented) (credential.Identity, error, bool) {
	if len(p.Value) > v.opts.MaxTokenBytes || isDPoP(p) {
		return credential.Identity{}, nil, false
	}
	id, err, ok := v.lookup(v.keyOf(p))
	if ok {
		v.cache.hit()
		if err == nil {
			// A bound token's binding costs no signature as Bearer.
			err = v.bind(context.Background(), p, id, nil)
		}
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
	key := v.keyOf(p)
	if err := credential.CheckPresented(p, t); err != nil {
		return credential.Identity{}, err
	}
	id, err := v.judge(ctx, p, key, t)
	if err != nil {
		return credential.Identity{}, err
	}
	if err := v.bind(ctx, p, id, t); err != nil {
		return credential.Identity{}, err
	}
	return id, nil
}

// judge verifies the token of p: in full for explain (t), from the cache
// for a DPoP token seen before (Remembered passed it by for its proof,
// not for its token), else once for all concurrent requests.
func (v *Verifier) judge(ctx context.Context, p credential.Presented, key tokenKey, t *credential.Trace) (credential.Identity, error) {
	if t != nil {
		return v.verify(ctx, p.Value, key, t)
	}
	if isDPoP(p) {
		if id, err, ok := v.lookup(key); ok {
			v.cache.hit()
			return id, err
		}
	}
	return v.shared(ctx, p.Value, key)
}

// Challenges offers Bearer (RFC 6750), and DPoP with the proof
// algorithms accepted (RFC 9449 section 7.1) when proofs are checked.
func (v *Verifier) Challenges(realm string) []credential.Challenge {
	if v.opts.Proofs != nil {
		return []credential.Challenge{credential.BearerChallenge(realm), dpopChallenge(realm, v.opts.Proofs.Algorithms())}
	}
	return []credential.Challenge{credential.BearerChallenge(realm)}
}
