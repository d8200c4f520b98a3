package jwt

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/maypok86/otter/v2"

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
	// Leeway is the clock tolerance for exp, nbf and iat.
	Leeway time.Duration
	// Environment of the issuer's tokens ("" for any); EnvironmentClaim,
	// when set, names a claim whose value gives the token's environment.
	Environment      string
	EnvironmentClaim string
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
}

// Verifier checks Bearer JWTs against a set of issuers.
type Verifier struct {
	issuers map[string]*Issuer
	opts    Options
	cache   *otter.Cache[[sha256.Size]byte, *cachedToken]

	hits, misses atomic.Uint64
}

// CacheStats returns the verified-token cache's hits and misses so far.
func (v *Verifier) CacheStats() (hits, misses uint64) { return v.hits.Load(), v.misses.Load() }

type cachedToken struct {
	id  credential.Identity
	exp time.Time
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
	v := &Verifier{issuers: map[string]*Issuer{}, opts: opts}
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
	}
	if opts.CacheSize > 0 {
		c, err := otter.New(&otter.Options[[sha256.Size]byte, *cachedToken]{
			MaximumSize:      opts.CacheSize,
			ExpiryCalculator: otter.ExpiryCreating[[sha256.Size]byte, *cachedToken](10 * time.Minute),
		})
		if err != nil {
			return nil, err
		}
		v.cache = c
	}
	return v, nil
}

// Verify checks raw (the credential after "Bearer ") and returns the
// identity it carries. Errors are *reason.Error.
func (v *Verifier) Verify(ctx context.Context, raw string) (credential.Identity, error) {
	if len(raw) > v.opts.MaxTokenBytes {
		return credential.Identity{}, reason.New(reason.TokenTooLarge,
			"the token is %d bytes; the limit is %d", len(raw), v.opts.MaxTokenBytes)
	}
	now := v.opts.Now()
	var key [sha256.Size]byte
	if v.cache != nil {
		key = sha256.Sum256([]byte(raw))
		if c, ok := v.cache.GetIfPresent(key); ok && now.Before(c.exp) {
			v.hits.Add(1)
			return c.id, nil
		}
		v.misses.Add(1)
	}
	t, err := parse(raw)
	if err != nil {
		return credential.Identity{}, err
	}
	is, err := v.issuerOf(t)
	if err != nil {
		return credential.Identity{}, err
	}
	if err := v.checkSignature(ctx, is, t); err != nil {
		return credential.Identity{}, err
	}
	id, exp, err := v.checkClaims(is, t, now)
	if err != nil {
		return credential.Identity{}, err
	}
	if v.cache != nil && !exp.IsZero() {
		v.cache.Set(key, &cachedToken{id: id, exp: exp})
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

func (v *Verifier) checkSignature(ctx context.Context, is *Issuer, t *token) error {
	if strings.EqualFold(t.alg, "none") {
		return reason.New(reason.TokenAlgorithmRejected, "alg 'none': unsigned tokens are never accepted")
	}
	if !slices.Contains(is.Algorithms, t.alg) {
		return reason.New(reason.TokenAlgorithmRejected, "alg '%s' is not allowed for issuer '%s' (allowed: %s)",
			sanitize(t.alg, 20), is.Name, strings.Join(is.Algorithms, ", "))
	}
	keys, err := is.Keys.Keys(ctx, t.kid)
	if err != nil {
		return err
	}
	return verifySignature(t, keys)
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
			!errors.Is(err, gojwt.ErrEd25519Verification) {
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
	sig, err := gojwt.NewParser().DecodeSegment(s)
	if err != nil {
		return nil, reason.New(reason.TokenMalformed, "the token signature is not base64url")
	}
	return sig, nil
}

func (v *Verifier) checkClaims(is *Issuer, t *token, now time.Time) (credential.Identity, time.Time, error) {
	exp, hasExp, err := t.numericDate("exp")
	if err != nil {
		return credential.Identity{}, exp, err
	}
	nbf, hasNbf, err := t.numericDate("nbf")
	if err != nil {
		return credential.Identity{}, exp, err
	}
	iat, hasIat, err := t.numericDate("iat")
	if err != nil {
		return credential.Identity{}, exp, err
	}
	lw := is.Leeway
	switch {
	case !hasExp && is.RequireExp:
		return credential.Identity{}, exp, reason.New(reason.TokenMalformed, "the token has no exp claim; issuer '%s' requires one", is.Name)
	case hasExp && !now.Before(exp.Add(lw)):
		return credential.Identity{}, exp, reason.New(reason.TokenExpired, "token expired %s ago (leeway %s)", ago(now.Sub(exp)), lw)
	case hasNbf && nbf.After(now.Add(lw)):
		return credential.Identity{}, exp, reason.New(reason.TokenNotYetValid,
			"token not valid for another %s (nbf; leeway %s): check the clocks of the issuer and this server", ago(nbf.Sub(now)), lw)
	case hasIat && iat.After(now.Add(lw)):
		return credential.Identity{}, exp, reason.New(reason.TokenNotYetValid,
			"token issued %s in the future (iat; leeway %s): check the clocks of the issuer and this server", ago(iat.Sub(now)), lw)
	}
	aud, err := t.stringOrList("aud")
	if err != nil {
		return credential.Identity{}, exp, err
	}
	if err := checkAudience(is, t, aud); err != nil {
		return credential.Identity{}, exp, err
	}
	if is.RequiredType != "" {
		typ, err := stringMember(t.header, "typ", "header")
		if err != nil {
			return credential.Identity{}, exp, err
		}
		if !sameMediaType(typ, is.RequiredType) {
			return credential.Identity{}, exp, reason.New(reason.TokenTypeMismatch,
				"typ is '%s'; issuer '%s' requires '%s' (an access token)", sanitize(typ, 40), is.Name, is.RequiredType)
		}
	}
	if err := v.checkEnvironment(is, t); err != nil {
		return credential.Identity{}, exp, err
	}
	sub, err := stringMember(t.claims, "sub", "payload")
	if err != nil {
		return credential.Identity{}, exp, err
	}
	scopes, err := t.scopes()
	if err != nil {
		return credential.Identity{}, exp, err
	}
	id := credential.Identity{Kind: "jwt", Subject: sub, Issuer: is.Issuer, Scopes: scopes, ExpiresAt: exp}
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

func checkAudience(is *Issuer, t *token, aud []string) error {
	for _, a := range aud {
		if slices.Contains(is.Audiences, a) {
			return nil
		}
	}
	detail := fmt.Sprintf("the token's aud %s does not name this API %s", fmtList(aud), fmtList(is.Audiences))
	if len(aud) == 0 {
		detail = fmt.Sprintf("the token has no aud claim; this API is %s", fmtList(is.Audiences))
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
