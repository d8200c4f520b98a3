package credential

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/reason"
)

// Presented is a credential as it arrived. Value is secret: never log
// or echo it.
type Presented struct {
	// Scheme is the auth-scheme as sent in Authorization; compare it with
	// strings.EqualFold. For a credential from an API-key header or the
	// query it is "".
	Scheme string
	Value  string
	// Header is where it arrived: "Authorization", an API-key header's
	// name, or "" for the query string.
	Header string
	// Query is the query parameter that carried it, if any.
	Query string
	// Digest is Value's keyed digest (Fingerprinter.Digest), set by the
	// gateway once per request under the key its verifiers are given:
	// the fingerprint and the verified-token cache's key both come from
	// it. Zero when unset; a verifier then computes it.
	Digest Digest
	// Binding is what a sender-constrained token must match (DPoP proof,
	// client certificate); nil where the caller has no request to bind
	// to (explain without one, tests).
	Binding *Binding
}

// Binding is the request as the client made it, for the checks of a
// sender-constrained token: a DPoP proof (RFC 9449) must name its method
// and URL, a certificate-bound token (RFC 8705) the client certificate.
// Behind a proxy these come from the proxy's trusted headers. Proofs and
// Certificate are the client's: never log them.
type Binding struct {
	// Method and URL are the original request's (URL: scheme, host,
	// port and path, no query).
	Method, URL string
	// Proofs are the DPoP header values (more than one is refused).
	Proofs []string
	// Certificate is the client certificate (DER): from the gateway's
	// own TLS listener or a trusted proxy's header; nil when none came.
	Certificate []byte
	// CertificateError says why a proxy's certificate header could not
	// be read ("" when it could, or none came).
	CertificateError string
	// DPoP is the route's dpop setting ("" leaves it to the issuer's).
	DPoP string
	// Recorded is what the proof verifier remembered the proof by (its
	// replay key), set once the proof passed; "" before.
	Recorded string
}

// InAuthorization reports whether p came in the Authorization header.
func (p Presented) InAuthorization() bool { return p.Header == "Authorization" }

// Where names the place p arrived in, for messages.
func (p Presented) Where() string {
	switch {
	case p.InAuthorization():
		return "the " + p.Scheme + " Authorization header"
	case p.Header != "":
		return p.Header
	}
	return "query parameter " + p.Query
}

// ChallengeScheme is the scheme of the challenge that answers p: the
// Authorization scheme it used, or ApiKey for an API-key header or query
// parameter.
func (p Presented) ChallengeScheme() string {
	if p.InAuthorization() {
		return p.Scheme
	}
	return "ApiKey"
}

// FromAuthorization reads the Authorization header of h. A request with
// no header yields credentials_missing; several headers, an empty value or
// one without a scheme yield header_malformed. It does not judge the
// credential's own format: see CheckFormat.
func FromAuthorization(h http.Header) (Presented, error) {
	values := h.Values("Authorization")
	switch {
	case len(values) == 0:
		return Presented{}, reason.New(reason.CredentialsMissing, "no Authorization header")
	case len(values) > 1:
		return Presented{}, reason.New(reason.HeaderMalformed,
			"%d Authorization headers; send exactly one (RFC 9110 section 5.3)", len(values))
	}
	v := values[0]
	if strings.TrimSpace(v) == "" {
		return Presented{}, reason.New(reason.HeaderMalformed, "the Authorization header is empty")
	}
	if i := IndexControl(v); i >= 0 {
		return Presented{}, reason.New(reason.HeaderMalformed,
			"the Authorization header holds a control character (CR, LF, NUL, ...) at byte %d", i)
	}
	scheme, rest, _ := strings.Cut(v, " ")
	if !challenge.IsToken(scheme) {
		return Presented{}, reason.New(reason.HeaderMalformed,
			"the Authorization header does not start with a scheme name such as 'Bearer'")
	}
	if rest == "" && looksLikeJWT(scheme) {
		return Presented{}, reason.New(reason.HeaderMalformed,
			"the Authorization header holds a bare token with no scheme: send 'Bearer <token>'")
	}
	return Presented{Scheme: scheme, Value: rest, Header: "Authorization"}, nil
}

// CheckFormat judges the credential part of an Authorization header whose
// scheme takes a token68 (Bearer, Basic): placeholders first, then empty,
// quoted, doubled or spaced values and characters outside token68.
func CheckFormat(p Presented) error {
	v := p.Value
	if kind := Placeholder(v); kind != "" {
		return reason.New(reason.CredentialPlaceholder, "the %s credential is a placeholder (%s), not a real credential", p.Scheme, kind)
	}
	switch {
	case v == "":
		return reason.New(reason.HeaderMalformed, "nothing follows the scheme '%s': the credential is empty", p.Scheme)
	case v[0] == ' ' || v[0] == '\t':
		return reason.New(reason.HeaderMalformed, "more than one space between '%s' and the credential", p.Scheme)
	}
	first, _, spaced := strings.Cut(v, " ")
	if spaced && strings.EqualFold(first, p.Scheme) {
		return reason.New(reason.HeaderMalformed, "the scheme is repeated ('%s %s ...'): send it once", p.Scheme, first)
	}
	if spaced || strings.ContainsRune(v, '\t') {
		return reason.New(reason.HeaderMalformed, "the credential contains whitespace; a %s credential is one word", p.Scheme)
	}
	if q := v[0]; (q == '"' || q == '\'') && len(v) > 1 && v[len(v)-1] == q {
		return reason.New(reason.HeaderMalformed, "the credential is wrapped in quotes; send it without them")
	}
	if !challenge.IsToken68(v) {
		return reason.New(reason.HeaderMalformed,
			"the credential has a character not allowed in token68 (%s) at byte %d", describeBad(v), firstBad(v))
	}
	return nil
}

// invisible names the characters that copy and paste brings in unseen.
var invisible = map[rune]string{
	0x200B: "a zero-width space", 0x200C: "a zero-width non-joiner", 0x200D: "a zero-width joiner",
	0xFEFF: "a byte-order mark", 0x00A0: "a non-breaking space", 0x2060: "a word joiner",
	0x2018: "a typographic quote", 0x2019: "a typographic quote", 0x201C: "a typographic quote", 0x201D: "a typographic quote",
	0x2013: "an en dash", 0x2014: "an em dash", 0x2026: "an ellipsis (the credential was shortened for display)",
}

// IsControl reports whether r cannot stand in a header value (controls
// other than tab).
func IsControl(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }

// IndexControl is the index of the first byte of s that IsControl, or
// -1: strings.IndexFunc(s, IsControl) without decoding runes (every
// control is one byte in UTF-8, and no byte of a longer sequence is one).
func IndexControl(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return i
		}
	}
	return -1
}

func looksLikeJWT(s string) bool {
	return strings.HasPrefix(s, "eyJ") && strings.Count(s, ".") >= 2
}

func firstBad(v string) int {
	end := strings.TrimRight(v, "=")
	for i := 0; i < len(end); i++ {
		if !challenge.IsToken68(end[i : i+1]) {
			return i
		}
	}
	return len(end)
}

// describeBad names the class of the first character outside token68,
// without echoing the credential.
func describeBad(v string) string {
	i := firstBad(v)
	if i >= len(v) {
		return "'=' padding inside the value"
	}
	switch c := v[i]; {
	case c >= 0x80:
		r, _ := utf8.DecodeRuneInString(v[i:])
		if name, ok := invisible[r]; ok {
			return fmt.Sprintf("%s (U+%04X), pasted along with the credential", name, r)
		}
		return "a non-ASCII character, often a typographic one from copy and paste"
	case c == ',':
		return "a comma"
	case c == '"' || c == '\'':
		return "a quote"
	case c == '=':
		return "'=' padding inside the value"
	default:
		return "punctuation"
	}
}
