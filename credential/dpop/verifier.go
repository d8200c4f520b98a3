package dpop

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/reason"
)

// Defaults of Settings, applied by Provision to zero values.
var (
	DefaultAlgorithms    = []string{"ES256", "EdDSA", "PS256", "RS256"}
	DefaultProofLifetime = time.Minute
	DefaultNonceLifetime = 5 * time.Minute
)

// Settings is the configuration's dpop section: what proofs the gateway
// accepts. Which issuers and routes take DPoP is their own dpop setting.
type Settings struct {
	// Algorithms are the proof algorithms accepted (asymmetric only),
	// offered in the DPoP challenge's algs.
	Algorithms []string `yaml:"algorithms"`
	// ProofLifetime is how far a proof's iat may be from now, either way.
	ProofLifetime time.Duration `yaml:"proof_lifetime"`
	// Nonce requires server nonces (RFC 9449 section 8) in proofs.
	Nonce bool `yaml:"nonce"`
	// NonceLifetime is how often the nonce changes; a nonce is accepted
	// for one more lifetime after the next one is issued.
	NonceLifetime time.Duration `yaml:"nonce_lifetime"`
}

// Provision checks s and fills its defaults.
func (s *Settings) Provision() error {
	if len(s.Algorithms) == 0 {
		s.Algorithms = DefaultAlgorithms
	}
	for _, a := range s.Algorithms {
		if !allowed(a, []string{a}) {
			return fmt.Errorf("algorithms: %q is not an asymmetric JWS algorithm", a)
		}
	}
	if s.ProofLifetime == 0 {
		s.ProofLifetime = DefaultProofLifetime
	}
	if s.NonceLifetime == 0 {
		s.NonceLifetime = DefaultNonceLifetime
	}
	switch {
	case s.ProofLifetime < 5*time.Second || s.ProofLifetime > 5*time.Minute:
		return fmt.Errorf("proof_lifetime must be between 5s and 5m")
	case s.NonceLifetime < 10*time.Second || s.NonceLifetime > time.Hour:
		return fmt.Errorf("nonce_lifetime must be between 10s and 1h")
	}
	return nil
}

// Verifier judges the proofs of requests against Settings, with a replay
// cache and a nonce key that may outlive it (across reloads, across a
// fleet).
type Verifier struct {
	settings Settings
	replay   ReplayCache
	nonces   *Nonces
	now      func() time.Time
}

// NewVerifier returns a Verifier; settings must be provisioned. now is
// the clock (nil: time.Now).
func NewVerifier(settings Settings, replay ReplayCache, nonces *Nonces, now func() time.Time) *Verifier {
	if now == nil {
		now = time.Now
	}
	return &Verifier{settings: settings, replay: replay, nonces: nonces, now: now}
}

// Algorithms are the accepted proof algorithms (the challenge's algs).
func (v *Verifier) Algorithms() []string { return v.settings.Algorithms }

// Verify checks the one proof of b for a request carrying token, and
// returns the proof key's thumbprint (which the token's cnf.jkt must
// name: the caller's check). Each check is recorded in t; a dry run
// (explain) neither records the proof's jti nor needs a fresh nonce.
// Errors are *reason.Error.
func (v *Verifier) Verify(ctx context.Context, b *credential.Binding, token string, t *credential.Trace) (string, error) {
	const check = "DPoP proof (RFC 9449)"
	switch {
	case b == nil || len(b.Proofs) == 0:
		return "", t.Fail(check, reason.New(reason.DPoPProofMissing, "the DPoP scheme was used without a DPoP proof header"))
	case len(b.Proofs) > 1:
		return "", t.Fail(check, invalid("header came %d times; send exactly one", len(b.Proofs)))
	}
	p, err := Parse(b.Proofs[0], v.settings.Algorithms)
	if err != nil {
		return "", t.Fail(check, err)
	}
	if err := t.Check(check, v.check(ctx, p, b, token, t.DryRun())); err != nil {
		return "", err
	}
	return p.Thumbprint, nil
}

// check judges a parsed proof against the request, in the order a client
// can fix them: the request, the time, the token, the nonce, and last
// the replay (so that refused proofs fill no cache).
func (v *Verifier) check(ctx context.Context, p *Proof, b *credential.Binding, token string, dryRun bool) error {
	now := v.now()
	if p.Method != b.Method {
		return reason.New(reason.DPoPProofMismatch, "the proof's htm is '%s'; the request's method is %s", clip(p.Method, 16), b.Method)
	}
	if err := sameURL(p.URL, b.URL); err != nil {
		return err
	}
	lt := v.settings.ProofLifetime
	switch {
	case p.IssuedAt.Before(now.Add(-lt)):
		return invalid("is too old: made %s ago (iat; proofs are accepted for %s): make a new proof for each request", ago(now.Sub(p.IssuedAt)), lt)
	case p.IssuedAt.After(now.Add(lt)):
		return invalid("is dated %s in the future (iat; accepted: %s): check the client's clock", ago(p.IssuedAt.Sub(now)), lt)
	}
	want := AccessTokenHash(token)
	switch {
	case !p.HasATH:
		return reason.New(reason.DPoPProofTokenMismatch, "the proof has no ath claim (the hash of the access token it is sent with)")
	case subtle.ConstantTimeCompare([]byte(p.AccessTokenHash), []byte(want)) != 1:
		return reason.New(reason.DPoPProofTokenMismatch, "the proof's ath is not the hash of the access token sent with it: the proof was made for another token")
	}
	if v.settings.Nonce && !dryRun {
		switch fresh := v.nonces.Current(now); {
		case !p.HasNonce:
			return &reason.Error{Code: reason.DPoPNonceRequired, Nonce: fresh, Detail: "this API requires a server nonce in DPoP proofs: retry with the nonce of the DPoP-Nonce header"}
		case !v.nonces.Valid(p.Nonce, now):
			return &reason.Error{Code: reason.DPoPNonceRequired, Nonce: fresh, Detail: "the proof's nonce is stale or not one of this API's: retry with the nonce of the DPoP-Nonce header"}
		}
	}
	if dryRun {
		return nil
	}
	key := replayKey(p)
	seen, err := v.replay.Seen(ctx, key, 2*lt)
	switch {
	case err != nil:
		return &reason.Error{Code: reason.AuthUnavailable, Err: err, RetryAfter: time.Second,
			Detail: "the DPoP replay cache did not answer, so the proof's jti could not be checked"}
	case seen:
		return reason.New(reason.DPoPProofReplayed, "this proof (its jti) was used before: make a new proof for every request")
	}
	b.Recorded = key
	return nil
}

// replayKey is what a used proof is remembered by: its key and jti (two
// clients may well pick the same jti).
func replayKey(p *Proof) string { return AccessTokenHash(p.Thumbprint + "\x00" + p.JTI) }

// sameURL compares a proof's htu with the request's URL, both normalised
// as RFC 9449 section 4.3 says (RFC 3986 section 6: case of scheme and
// host, default port, empty path), query and fragment ignored.
func sameURL(htu, request string) error {
	got, err := NormalizeURL(htu)
	if err != nil {
		return reason.New(reason.DPoPProofMismatch, "the proof's htu is not an absolute http(s) URL")
	}
	want, err := NormalizeURL(request)
	if err != nil {
		return reason.New(reason.DPoPProofMismatch, "the request's URL could not be read, so no proof can match it")
	}
	if got != want {
		return reason.New(reason.DPoPProofMismatch,
			"the proof's htu is %s; this request's URL is %s (behind a proxy: the URL the client called; the query and fragment are ignored)", clip(got, 200), clip(want, 200))
	}
	return nil
}

// NormalizeURL is raw as a DPoP htu is compared: scheme and host in lower
// case, no default port, "/" for an empty path, no query, no fragment,
// no user information.
func NormalizeURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("not an absolute URL")
	}
	scheme := strings.ToLower(u.Scheme)
	host, port := strings.ToLower(u.Hostname()), u.Port()
	switch {
	case scheme != "http" && scheme != "https":
		return "", fmt.Errorf("not http(s)")
	case scheme == "http" && port == "80", scheme == "https" && port == "443":
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	// Percent-encoding normalised: %7E and ~ are one path.
	path := (&url.URL{Path: u.Path}).EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, nil
}
