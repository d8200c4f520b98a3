package jwt

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/maypok86/otter/v2"
	"golang.org/x/sync/singleflight"

	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/reason"
)

// DefaultAlgorithms are accepted when an issuer with public keys names none.
var DefaultAlgorithms = []string{"RS256", "PS256", "ES256", "EdDSA"}

// maxKeyTries bounds how many candidate keys one token may cost.
const maxKeyTries = 4

// Issuer is one trusted token issuer and the rules for its tokens.
type Issuer struct {
	// Name identifies the issuer in configuration and logs.
	Name string
	// Issuer is the exact iss value of its tokens.
	Issuer string
	// Audiences this API answers to; a token's aud must name one.
	Audiences []string
	// AudienceClaim is the claim that holds the audience (default aud;
	// client_id for Amazon Cognito's access tokens, which carry no aud).
	AudienceClaim string
	// Algorithms is the alg allow-list.
	Algorithms []string
	// Keys supplies the verification keys.
	Keys KeySource
	// RequiredType, when set, is the typ header tokens must carry
	// (e.g. "at+jwt", RFC 9068); compared case-insensitively, with or
	// without an "application/" prefix.
	RequiredType string
	// RequireExp refuses tokens without exp.
	RequireExp bool
	// Introspection, when set, judges this issuer's opaque tokens.
	Introspection *Introspection
	// Leeway is the clock tolerance for exp, nbf and iat.
	Leeway time.Duration
	// Environment of the issuer's tokens ("" for any); EnvironmentClaim,
	// when set, names a claim whose value gives the token's environment.
	Environment      string
	EnvironmentClaim string
	// DPoP says whether its tokens may or must be DPoP-bound (DPoPOff,
	// DPoPAllowed, DPoPRequired; "" is off).
	DPoP string
}

// Options tune a Verifier.
type Options struct {
	// MaxTokenBytes is checked before any parsing (default 8 KiB).
	MaxTokenBytes int
	// CacheSize bounds the verified-token cache (default 10000; <0 disables).
	CacheSize int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Environment the gateway serves; tokens of another are refused.
	Environment string
	// Client sends introspection requests (default: a client with a 5 s
	// timeout).
	Client *http.Client
	// Cache, when set, is a verified-token cache shared with earlier
	// verifiers (it outlives configuration reloads); otherwise CacheSize
	// makes one.
	Cache *TokenCache
	// Proofs checks DPoP proofs; nil when no issuer or route takes DPoP
	// (the DPoP scheme is then not claimed, nor offered).
	Proofs ProofVerifier
	// Digests key the verified-token cache: a token is known by its
	// keyed digest. The gateway gives its fingerprinter, so the digest
	// it computed for the fingerprint (credential.Presented.Digest) is
	// the key too; default: one with a random key.
	Digests *credential.Fingerprinter
}

// TokenCache remembers verified tokens until their exp (at most ten
// minutes), and tokens whose signature verified but whose claims are
// refused for good (expired, another audience, type or environment), so
// a repeat costs a lookup either way. An entry is used only by a verifier
// whose issuer settings are the ones it was judged under, so it may
// outlive a reload safely.
type TokenCache struct {
	c            *otter.Cache[tokenKey, *cachedToken]
	hits, misses atomic.Uint64
}

// NewTokenCache returns a cache of at most size tokens (0: 10000).
func NewTokenCache(size int) *TokenCache {
	if size <= 0 {
		size = 10000
	}
	return &TokenCache{c: otter.Must(&otter.Options[tokenKey, *cachedToken]{
		MaximumSize:      size,
		ExpiryCalculator: otter.ExpiryCreating[tokenKey, *cachedToken](10 * time.Minute),
	})}
}

func (c *TokenCache) hit() { c.hits.Add(1) }

// Stats returns the hits and misses so far.
func (c *TokenCache) Stats() (hits, misses uint64) { return c.hits.Load(), c.misses.Load() }

// Verifier checks Bearer JWTs against a set of issuers.
type Verifier struct {
	issuers map[string]*Issuer
	// settings holds, per iss, everything that decides its tokens.
	settings map[string]string
	opts     Options
	cache    *TokenCache
	// flight shares a verification among concurrent requests with the
	// same token.
	flight singleflight.Group
	// introspectors judge opaque tokens; the first issuer configured for
	// introspection is asked.
	introspectors []*introspector
	// introspectorOf is each introspecting issuer's, by iss (for JWTs,
	// with introspection.jwts).
	introspectorOf map[string]*introspector
}

// CacheStats returns the verified-token cache's hits and misses so far.
func (v *Verifier) CacheStats() (hits, misses uint64) {
	if v.cache == nil {
		return 0, 0
	}
	return v.cache.Stats()
}

type cachedToken struct {
	id  credential.Identity
	exp time.Time
	// settings are the issuer's settings it was judged under.
	settings string
	issuer   string
	// refused is the reason a verified token is refused for good; nil
	// for an accepted one.
	refused *reason.Error
	// leeway is the issuer's, to say how long ago an expired token
	// expired.
	leeway time.Duration
	// until, when set, is when a refusal stops being reused (an
	// introspection's inactive answer).
	until time.Time
}

// lookup answers from the cache: the identity of an accepted token, or
// the refusal of one refused for good; ok is false on a miss. Callers
// count the hit (hit does).
func (v *Verifier) lookup(key tokenKey) (credential.Identity, error, bool) {
	if v.cache == nil {
		return credential.Identity{}, nil, false
	}
	c, ok := v.cache.c.GetIfPresent(key)
	if !ok || c.settings != v.settings[c.issuer] {
		return credential.Identity{}, nil, false
	}
	now := v.opts.Now()
	switch {
	case c.refused == nil && now.Before(c.exp):
		return c.id, nil, true
	case c.refused != nil && !c.until.IsZero() && !now.Before(c.until):
		return credential.Identity{}, nil, false
	case c.refused != nil && c.refused.Code == reason.TokenExpired:
		return credential.Identity{}, expired(now, c.exp, c.leeway), true
	case c.refused != nil:
		return credential.Identity{}, c.refused, true
	}
	return credential.Identity{}, nil, false
}

// refusedForGood are the refusals of a verified token that time or a
// reload cannot undo (a reload that changes the issuer's settings
// invalidates the entry anyway).
var refusedForGood = map[reason.Code]bool{reason.TokenExpired: true, reason.TokenAudienceMismatch: true,
	reason.TokenTypeMismatch: true, reason.CredentialWrongEnvironment: true, reason.TokenMalformed: true}

func expired(now, exp time.Time, leeway time.Duration) *reason.Error {
	return reason.New(reason.TokenExpired, "token expired %s ago (leeway %s)", ago(now.Sub(exp)), leeway)
}

// New returns a Verifier for issuers.
func New(issuers []*Issuer, opts Options) (*Verifier, error) {
	if opts.MaxTokenBytes <= 0 {
		opts.MaxTokenBytes = 8 << 10
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CacheSize == 0 {
		opts.CacheSize = 10000
	}
	if opts.Digests == nil {
		opts.Digests = credential.NewFingerprinter(nil)
	}
	v := &Verifier{issuers: map[string]*Issuer{}, settings: map[string]string{}, introspectorOf: map[string]*introspector{}, opts: opts, cache: opts.Cache}
	for _, is := range issuers {
		if _, dup := v.issuers[is.Issuer]; dup {
			return nil, fmt.Errorf("issuer %q configured twice", is.Issuer)
		}
		if len(is.Audiences) == 0 {
			return nil, fmt.Errorf("issuer %q: at least one audience is required (RFC 8725 §3.9)", is.Name)
		}
		for _, alg := range is.Algorithms {
			if alg == "none" || gojwt.GetSigningMethod(alg) == nil {
				return nil, fmt.Errorf("issuer %q: algorithm %q is not supported", is.Name, alg)
			}
		}
		v.issuers[is.Issuer] = is
		v.settings[is.Issuer] = is.settings(opts.Environment)
		if is.Introspection != nil {
			in := newIntrospector(*is.Introspection, is, opts.Client)
			v.introspectors = append(v.introspectors, in)
			v.introspectorOf[is.Issuer] = in
		}
	}
	if v.cache == nil && opts.CacheSize > 0 {
		v.cache = NewTokenCache(opts.CacheSize)
	}
	return v, nil
}

// Verify checks raw (the credential after "Bearer ") and returns the
// identity it carries. Errors are *reason.Error.
func (v *Verifier) Verify(ctx context.Context, raw string) (credential.Identity, error) {
	if len(raw) > v.opts.MaxTokenBytes {
		return v.verify(ctx, raw, tokenKey{}, nil) // refused by size, never hashed
	}
	key := v.keyOf(credential.Presented{Value: raw})
	if id, err, ok := v.lookup(key); ok {
		v.cache.hit()
		return id, err
	}
	return v.shared(ctx, raw, key)
}

// tokenKey is what the cache and the flights know a token by: its keyed
// digest (HMAC-SHA-256 under Options.Digests' key), computed once per
// request.
type tokenKey = credential.Digest

// keyOf is the key of p's token: the digest the gateway computed with
// the verifiers' fingerprinter, else computed here.
func (v *Verifier) keyOf(p credential.Presented) tokenKey {
	if p.Digest != (tokenKey{}) {
		return p.Digest
	}
	return v.opts.Digests.Digest(p.Value)
}

// shared verifies raw once for all the requests that bring it at the
// same time (a token's first appearance on many connections at once).
func (v *Verifier) shared(ctx context.Context, raw string, key tokenKey) (credential.Identity, error) {
	type result struct {
		id  credential.Identity
		err error
	}
	r, _, _ := v.flight.Do(string(key[:]), func() (any, error) {
		// The shared work must not end with the first caller's request.
		id, err := v.verify(context.WithoutCancel(ctx), raw, key, nil)
		return result{id, err}, nil
	})
	res := r.(result)
	return res.id, res.err
}

// verify runs every check of raw in order, recording each in t. A dry
// run neither reads nor fills the cache, so it shows every check.
func (v *Verifier) verify(ctx context.Context, raw string, key tokenKey, t *credential.Trace) (credential.Identity, error) {
	if len(raw) > v.opts.MaxTokenBytes {
		return credential.Identity{}, t.Fail("token size", reason.New(reason.TokenTooLarge,
			"the token is %d bytes; the limit is %d", len(raw), v.opts.MaxTokenBytes))
	}
	now := v.opts.Now()
	useCache := v.cache != nil && !t.DryRun()
	if useCache {
		v.cache.misses.Add(1)
	}
	t.Pass("token size", "")
	if len(v.introspectors) > 0 && strings.Count(raw, ".") != 2 {
		return v.introspect(ctx, raw, key, now, t, useCache)
	}
	tok, err := parse(raw)
	if err := t.Check("token format (JWS compact)", err); err != nil {
		return credential.Identity{}, err
	}
	is, err := v.issuerOf(tok)
	if err != nil {
		return credential.Identity{}, t.Fail("issuer trusted (iss)", err)
	}
	t.Pass("issuer trusted (iss)", is.Name)
	if err := v.checkSignature(ctx, is, tok, t); err != nil {
		return credential.Identity{}, err
	}
	id, exp, err := v.checkClaims(is, tok, now, t)
	if in := v.introspectorOf[is.Issuer]; err == nil && in != nil && in.cfg.JWTs {
		// Verified here; still active at the provider?
		_, until, ierr := in.introspect(ctx, raw, now)
		if ierr := t.Check("introspection (RFC 7662)", ierr); ierr != nil {
			if re := reason.From(ierr); useCache && re.Code != reason.AuthUnavailable {
				v.cache.c.Set(key, &cachedToken{refused: re, until: until, settings: v.settings[is.Issuer], issuer: is.Issuer})
			}
			return credential.Identity{}, ierr
		}
		if until.Before(exp) {
			exp = until
		}
	}
	if !useCache {
		return id, err
	}
	entry := &cachedToken{id: id, exp: exp, settings: v.settings[is.Issuer], issuer: is.Issuer, leeway: is.Leeway}
	switch re := reason.From(err); {
	case err == nil && !exp.IsZero():
		v.cache.c.Set(key, entry)
	case err != nil && refusedForGood[re.Code]:
		entry.refused = re
		if re.Code == reason.TokenExpired {
			entry.exp, _, _ = tok.numericDate("exp")
		}
		v.cache.c.Set(key, entry)
	}
	return id, err
}

// introspect judges an opaque token at the first introspecting issuer's
// endpoint, and caches the answer: an active one until its exp or the
// cache_ttl, an inactive one briefly.
func (v *Verifier) introspect(ctx context.Context, raw string, key tokenKey, now time.Time, t *credential.Trace, useCache bool) (credential.Identity, error) {
	in := v.introspectors[0]
	id, until, err := in.introspect(ctx, raw, now)
	if err := t.Check("introspection (RFC 7662)", err); err != nil {
		if re := reason.From(err); useCache && re.Code != reason.AuthUnavailable {
			v.cache.c.Set(key, &cachedToken{refused: re, until: until,
				settings: v.settings[in.issuer.Issuer], issuer: in.issuer.Issuer})
		}
		return credential.Identity{}, err
	}
	if useCache {
		v.cache.c.Set(key, &cachedToken{id: id, exp: until,
			settings: v.settings[in.issuer.Issuer], issuer: in.issuer.Issuer})
	}
	return id, nil
}

func (v *Verifier) issuerOf(t *token) (*Issuer, error) {
	iss, err := stringMember(t.claims, "iss", "payload")
	if err != nil {
		return nil, err
	}
	if iss == "" {
		return nil, reason.New(reason.TokenIssuerUntrusted, "the token has no iss claim")
	}
	if is, ok := v.issuers[iss]; ok {
		return is, nil
	}
	for known := range v.issuers {
		if why := nearMiss(iss, known); why != "" {
			return nil, reason.New(reason.TokenIssuerUntrusted,
				"issuer '%s' is not trusted; did you mean '%s'? (%s)", sanitize(iss, 120), known, why)
		}
	}
	return nil, reason.New(reason.TokenIssuerUntrusted, "issuer '%s' is not trusted here", sanitize(iss, 120))
}

// nearMiss says how got differs from want when they differ only in a way
// people overlook, or returns "".
func nearMiss(got, want string) string {
	trim := func(s string) string { return strings.TrimRight(s, "/") }
	switch {
	case trim(got) == trim(want):
		return "they differ only in a trailing slash"
	case strings.EqualFold(got, want):
		return "they differ only in letter case"
	case strings.TrimPrefix(got, "http://") == strings.TrimPrefix(want, "https://"),
		strings.TrimPrefix(got, "https://") == strings.TrimPrefix(want, "http://"):
		return "they differ in http vs https"
	case strings.EqualFold(trim(strings.Replace(got, "http://", "https://", 1)), trim(strings.Replace(want, "http://", "https://", 1))):
		return "they differ in scheme, case or trailing slash"
	}
	return ""
}

func (v *Verifier) checkSignature(ctx context.Context, is *Issuer, t *token, tr *credential.Trace) error {
	const algCheck = "algorithm allowed (alg)"
	if strings.EqualFold(t.alg, "none") {
		return tr.Fail(algCheck, reason.New(reason.TokenAlgorithmRejected, "alg 'none': unsigned tokens are never accepted"))
	}
	if !slices.Contains(is.Algorithms, t.alg) {
		return tr.Fail(algCheck, reason.New(reason.TokenAlgorithmRejected, "alg '%s' is not allowed for issuer '%s' (allowed: %s)",
			sanitize(t.alg, 20), is.Name, strings.Join(is.Algorithms, ", ")))
	}
	tr.Pass(algCheck, t.alg)
	keys, err := is.Keys.Keys(ctx, t.kid)
	if err != nil {
		return tr.Fail("signing key found (kid)", err)
	}
	tr.Pass("signing key found (kid)", "")
	return tr.Check("signature", verifySignature(t, keys))
}

// verifySignature checks t's signature with the keys that fit its alg (at
// most maxKeyTries of them). keys is not empty.
func verifySignature(t *token, keys []Key) error {
	method := gojwt.GetSigningMethod(t.alg)
	var fitting []Key
	for _, k := range keys {
		if method != nil && k.Fits(t.alg) {
			fitting = append(fitting, k)
		}
	}
	if len(fitting) == 0 {
		return reason.New(reason.TokenAlgorithmRejected, "alg '%s' does not fit the issuer's key %s (%s)",
			sanitize(t.alg, 20), quoteKid(keys[0].ID), keys[0].Type())
	}
	if t.signature == "" {
		return reason.New(reason.TokenSignatureInvalid, "the token has no signature (its third part is empty)")
	}
	sig, err := decodeSig(t.signature)
	if err != nil {
		return err
	}
	for i, k := range fitting {
		if i == maxKeyTries {
			break
		}
		if err := method.Verify(t.signingInput, sig, k.verificationKey()); err == nil {
			return nil
		} else if !errors.Is(err, gojwt.ErrSignatureInvalid) && !errors.Is(err, gojwt.ErrECDSAVerification) &&
			!errors.Is(err, gojwt.ErrEd25519Verification) && !errors.Is(err, rsa.ErrVerification) {
			// Not a signature that fails to verify, but a key or input the
			// method cannot use: stop here rather than try the others.
			return reason.Wrap(reason.TokenSignatureInvalid, err, "the signature does not verify with key %s", quoteKid(k.ID))
		}
	}
	detail := fmt.Sprintf("the signature does not verify with the issuer's key %s", quoteKid(fitting[0].ID))
	for _, h := range []string{"jwk", "jku", "x5u", "x5c"} {
		if _, ok := t.header[h]; ok {
			detail += fmt.Sprintf("; the token names its own key (%s header), which is never trusted: only the issuer's configured keys verify", h)
			break
		}
	}
	return reason.New(reason.TokenSignatureInvalid, "%s", detail)
}

func decodeSig(s string) ([]byte, error) {
	// As strict as the header and payload: no padding, and no other
	// spelling of the same bytes (non-zero trailing bits).
	sig, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, reason.New(reason.TokenMalformed, "the token signature is not canonical base64url (no padding, no stray trailing bits)")
	}
	return sig, nil
}

func (v *Verifier) checkClaims(is *Issuer, t *token, now time.Time, tr *credential.Trace) (credential.Identity, time.Time, error) {
	const expCheck, nbfCheck = "not expired (exp)", "valid already (nbf, iat)"
	fail := func(check string, err error) (credential.Identity, time.Time, error) {
		return credential.Identity{}, time.Time{}, tr.Fail(check, err)
	}
	lw := is.Leeway
	exp, hasExp, err := t.numericDate("exp")
	switch {
	case err != nil:
		return fail(expCheck, err)
	case !hasExp && is.RequireExp:
		return fail(expCheck, reason.New(reason.TokenMalformed, "the token has no exp claim; issuer '%s' requires one", is.Name))
	case hasExp && !now.Before(exp.Add(lw)):
		return fail(expCheck, expired(now, exp, lw))
	}
	tr.Pass(expCheck, "")
	nbf, hasNbf, err := t.numericDate("nbf")
	if err != nil {
		return fail(nbfCheck, err)
	}
	iat, hasIat, err := t.numericDate("iat")
	switch {
	case err != nil:
		return fail(nbfCheck, err)
	case hasNbf && nbf.After(now.Add(lw)):
		return fail(nbfCheck, reason.New(reason.TokenNotYetValid,
			"token not valid for another %s (nbf; leeway %s): check the clocks of the issuer and this server", ago(nbf.Sub(now)), lw))
	case hasIat && iat.After(now.Add(lw)):
		return fail(nbfCheck, reason.New(reason.TokenNotYetValid,
			"token issued %s in the future (iat; leeway %s): check the clocks of the issuer and this server", ago(iat.Sub(now)), lw))
	}
	tr.Pass(nbfCheck, "")
	audClaim := is.audienceClaim()
	aud, err := t.stringOrList(audClaim)
	if err == nil {
		err = checkAudience(is, t, audClaim, aud)
	}
	if err := tr.Check("audience ("+audClaim+")", err); err != nil {
		return credential.Identity{}, time.Time{}, err
	}
	if is.RequiredType != "" {
		typ, err := stringMember(t.header, "typ", "header")
		if err == nil && !sameMediaType(typ, is.RequiredType) {
			err = reason.New(reason.TokenTypeMismatch,
				"typ is '%s'; issuer '%s' requires '%s' (an access token)", sanitize(typ, 40), is.Name, is.RequiredType)
		}
		if err := tr.Check("token type (typ)", err); err != nil {
			return credential.Identity{}, time.Time{}, err
		}
	}
	if err := tr.Check("environment", v.checkEnvironment(is, t)); err != nil {
		return credential.Identity{}, time.Time{}, err
	}
	sub, err := stringMember(t.claims, "sub", "payload")
	if err == nil {
		if p := credential.SubjectProblem(sub); p != "" {
			err = reason.New(reason.TokenMalformed, "the token's sub %s, so the upstream could not tell it from another subject", p)
		}
	}
	if err != nil {
		return fail("subject and scopes (sub, scope)", err)
	}
	scopes, err := t.scopes()
	if err != nil {
		return fail("subject and scopes (sub, scope)", err)
	}
	tr.Pass("subject and scopes (sub, scope)", "")
	id := credential.Identity{Kind: "jwt", Subject: sub, Issuer: is.Issuer, IssuerName: is.Name, Scopes: scopes, ExpiresAt: exp, Claims: t.claims}
	if hasIat {
		id.IssuedAt = iat
	}
	return id, exp, nil
}

func (v *Verifier) checkEnvironment(is *Issuer, t *token) error {
	env := is.Environment
	if is.EnvironmentClaim != "" {
		claimed, err := stringMember(t.claims, is.EnvironmentClaim, "payload")
		if err != nil {
			return err
		}
		if claimed != "" {
			env = claimed
		}
	}
	if v.opts.Environment == "" || env == "" || env == v.opts.Environment {
		return nil
	}
	return reason.New(reason.CredentialWrongEnvironment, "this token is for the %s environment (issuer '%s'); this gateway serves %s",
		sanitize(env, 20), is.Name, v.opts.Environment)
}

// audienceClaim is the claim holding the audience.
func (is *Issuer) audienceClaim() string {
	if is.AudienceClaim == "" {
		return "aud"
	}
	return is.AudienceClaim
}

func checkAudience(is *Issuer, t *token, claim string, aud []string) error {
	for _, a := range aud {
		if slices.Contains(is.Audiences, a) {
			return nil
		}
	}
	detail := fmt.Sprintf("the token's %s %s does not name this API %s", claim, fmtList(aud), fmtList(is.Audiences))
	if len(aud) == 0 {
		detail = fmt.Sprintf("the token has no %s claim; this API is %s", claim, fmtList(is.Audiences))
	}
	_, nonce := t.claims["nonce"]
	_, atHash := t.claims["at_hash"]
	if nonce || atHash {
		detail += "; this looks like an OpenID Connect ID token (nonce/at_hash): send the access token instead"
	}
	return reason.New(reason.TokenAudienceMismatch, "%s", detail)
}

func sameMediaType(got, want string) bool {
	strip := func(s string) string {
		if len(s) > 12 && strings.EqualFold(s[:12], "application/") {
			return s[12:]
		}
		return s
	}
	return strings.EqualFold(strip(got), strip(want))
}
