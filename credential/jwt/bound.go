package jwt

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/internal/rawjson"
	"github.com/authgate/authgate/reason"
)

// DPoP settings of an issuer or a route (dpop: off | allowed | required).
const (
	// DPoPOff: the DPoP scheme is not taken (a DPoP-bound token is still
	// refused as Bearer: its binding cannot be checked).
	DPoPOff = "off"
	// DPoPAllowed: DPoP-bound tokens with a proof, and Bearer tokens
	// that are not bound.
	DPoPAllowed = "allowed"
	// DPoPRequired: only DPoP-bound tokens, with a proof.
	DPoPRequired = "required"
)

// ValidDPoPMode reports whether m names a DPoP setting ("" is the default).
func ValidDPoPMode(m string) bool {
	return m == "" || m == DPoPOff || m == DPoPAllowed || m == DPoPRequired
}

// DPoPScheme is the Authorization scheme of DPoP-bound tokens.
const DPoPScheme = "DPoP"

// ProofVerifier checks DPoP proofs (package credential/dpop).
type ProofVerifier interface {
	// Verify checks the proof in b for a request carrying token and
	// returns its key's RFC 7638 thumbprint; errors are *reason.Error.
	Verify(ctx context.Context, b *credential.Binding, token string, t *credential.Trace) (string, error)
	// Algorithms are the proof algorithms accepted.
	Algorithms() []string
}

// confirmation reads a token's cnf claim (RFC 7800): the key thumbprint
// of DPoP (jkt, RFC 9449) and the certificate thumbprint of mutual TLS
// (x5t#S256, RFC 8705); "" for each that is absent.
func confirmation(claims map[string]json.RawMessage) (jkt, x5t string, err error) {
	raw, ok := claims["cnf"]
	if !ok {
		return "", "", nil
	}
	cnf, err := rawjson.Object(raw)
	if err != nil || len(raw) == 0 || raw[0] != '{' {
		return "", "", reason.New(reason.TokenMalformed, "the token's cnf claim is not a JSON object (RFC 7800)")
	}
	read := func(name string) (string, error) {
		v, ok := cnf[name]
		if !ok {
			return "", nil
		}
		s, ok := rawjson.String(v)
		if !ok || s == "" {
			return "", reason.New(reason.TokenMalformed, "the token's cnf.%s is not a non-empty string", name)
		}
		return s, nil
	}
	if jkt, err = read("jkt"); err != nil {
		return "", "", err
	}
	x5t, err = read("x5t#S256")
	return jkt, x5t, err
}

// CertificateThumbprint is the x5t#S256 of a DER certificate:
// base64url(SHA-256(DER)), as a token's cnf names it (RFC 8705 §3.1).
func CertificateThumbprint(der []byte) string {
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// dpopMode is the DPoP setting for a token of issuer iss: the route's,
// else the issuer's, else off.
func (v *Verifier) dpopMode(b *credential.Binding, iss string) string {
	if b != nil && b.DPoP != "" {
		return b.DPoP
	}
	if is := v.issuers[iss]; is != nil && is.DPoP != "" {
		return is.DPoP
	}
	return DPoPOff
}

// isDPoP reports whether p came with the DPoP scheme.
func isDPoP(p credential.Presented) bool { return strings.EqualFold(p.Scheme, DPoPScheme) }

// bind checks that the sender of a verified token holds what the token
// is bound to: the client certificate of cnf.x5t#S256, the key of
// cnf.jkt (by a DPoP proof). A DPoP-bound token sent as Bearer, and a
// Bearer token where DPoP is required, are refused.
func (v *Verifier) bind(ctx context.Context, p credential.Presented, id credential.Identity, t *credential.Trace) error {
	const cnfCheck = "sender constraint (cnf)"
	jkt, x5t, err := confirmation(id.Claims)
	if err != nil {
		return t.Fail(cnfCheck, err)
	}
	if x5t != "" {
		if err := t.Check("certificate binding (cnf x5t#S256, RFC 8705)", checkCertificate(p.Binding, x5t)); err != nil {
			return err
		}
	}
	mode := v.dpopMode(p.Binding, id.Issuer)
	if !isDPoP(p) {
		switch {
		case jkt != "":
			return t.Fail(cnfCheck, reason.New(reason.DPoPBoundTokenAsBearer,
				"the token is DPoP-bound (cnf.jkt) but came as Bearer: send it with the DPoP scheme and a proof"))
		case mode == DPoPRequired:
			return t.Fail(cnfCheck, reason.New(reason.DPoPRequired,
				"DPoP is required here (issuer '%s' or the route): a Bearer token is not accepted", id.IssuerName))
		}
		return nil // a token bound to nothing adds no step to explain's trace
	}
	if mode == DPoPOff || v.opts.Proofs == nil {
		return t.Fail(cnfCheck, reason.New(reason.SchemeUnsupported, "DPoP is off for tokens of issuer '%s' on this route; send the token as Bearer", id.IssuerName))
	}
	thumb, err := v.opts.Proofs.Verify(ctx, p.Binding, p.Value, t)
	if err != nil {
		return err
	}
	switch {
	case jkt == "":
		return t.Fail("DPoP binding (cnf.jkt)", reason.New(reason.DPoPTokenUnbound, "the token came with the DPoP scheme but names no key (no cnf.jkt)"))
	case subtle.ConstantTimeCompare([]byte(thumb), []byte(jkt)) != 1:
		return t.Fail("DPoP binding (cnf.jkt)", reason.New(reason.DPoPKeyMismatch, "the token is bound to another key than the proof's (cnf.jkt is not the thumbprint of the proof's jwk)"))
	}
	t.Pass("DPoP binding (cnf.jkt)", "")
	return nil
}

// checkCertificate compares the client certificate of b with a token's
// x5t#S256.
func checkCertificate(b *credential.Binding, x5t string) error {
	switch {
	case b != nil && b.CertificateError != "":
		return reason.New(reason.CertificateMissing, "the token is bound to a client certificate, and the proxy's certificate header could not be read: %s", b.CertificateError)
	case b == nil || len(b.Certificate) == 0:
		return reason.New(reason.CertificateMissing, "the token is bound to a client certificate (cnf x5t#S256), and the request came without one")
	case subtle.ConstantTimeCompare([]byte(CertificateThumbprint(b.Certificate)), []byte(x5t)) != 1:
		return reason.New(reason.CertificateMismatch, "the token is bound to another client certificate than the one presented")
	}
	return nil
}

// dpopChallenge is RFC 9449 section 7.1's challenge: the DPoP scheme and
// the proof algorithms accepted.
func dpopChallenge(realm string, algs []string) credential.Challenge {
	return credential.Challenge{Challenge: challenge.Challenge{Scheme: DPoPScheme, Params: []challenge.Param{
		{Name: "realm", Value: realm}, {Name: "algs", Value: strings.Join(algs, " ")}}}, TakesErrors: true}
}
