// Package jwt verifies Bearer JWTs (RFC 7519, 7515) against configured
// issuers, following RFC 8725: algorithm allow-lists per issuer, keys only
// from the issuer's configuration (never from the token), alg consistent
// with the key, exact iss, required aud and exp. Every failure is a
// *reason.Error. Signatures are checked by golang-jwt's signing methods.
package jwt

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/internal/rawjson"
	"github.com/authgate/authgate/reason"
)

// maxNumericDate is 9999-12-31T23:59:59Z; later dates are refused as
// malformed rather than overflowing (an exp of 1e30 is not "never").
const maxNumericDate = 253402300799

// token is a compact JWS split into its parts, not yet verified.
type token struct {
	header       map[string]json.RawMessage
	claims       map[string]json.RawMessage
	alg, kid     string
	signingInput string
	signature    string // base64url, still encoded
}

// parse splits and decodes a compact JWS; it verifies nothing.
func parse(raw string) (*token, error) {
	switch n := strings.Count(raw, "."); {
	case n == 4:
		return nil, reason.New(reason.TokenMalformed, "the token has five parts: it is an encrypted JWE, not a signed JWT")
	case n != 2:
		return nil, reason.New(reason.TokenMalformed,
			"the token is not a JWT (a JWT has 3 dot-separated parts, this has %d); where a JWT is expected, an opaque token or API key does not do", n+1)
	}
	h, rest, _ := strings.Cut(raw, ".")
	p, s, _ := strings.Cut(rest, ".")
	t := &token{signingInput: raw[:len(h)+1+len(p)], signature: s}
	if err := decodePart("header", h, &t.header); err != nil {
		return nil, err
	}
	if err := decodePart("payload", p, &t.claims); err != nil {
		return nil, err
	}
	var err error
	if t.alg, err = stringMember(t.header, "alg", "header"); err != nil {
		return nil, err
	}
	if t.alg == "" {
		return nil, reason.New(reason.TokenMalformed, "the token header has no alg")
	}
	if t.kid, err = stringMember(t.header, "kid", "header"); err != nil {
		return nil, err
	}
	if crit, ok := t.header["crit"]; ok {
		var names []string
		if json.Unmarshal(crit, &names) != nil || len(names) == 0 {
			return nil, reason.New(reason.TokenMalformed, "the token header's crit must be a non-empty array of names (RFC 7515 section 4.1.11)")
		}
		return nil, reason.New(reason.TokenMalformed, "the token header marks %s critical, which authgate does not understand", sanitize(strings.Join(names, ","), 60))
	}
	if _, ok := t.header["b64"]; ok {
		return nil, reason.New(reason.TokenMalformed, "the token uses an unencoded payload (b64, RFC 7797): that is not a JWT")
	}
	return t, nil
}

func decodePart(name, part string, into *map[string]json.RawMessage) error {
	data, err := base64.RawURLEncoding.Strict().DecodeString(part)
	if err != nil {
		detail := "is not base64url"
		switch {
		case part == "":
			detail = "is empty"
		case strings.ContainsAny(part, "+/"):
			detail = "uses the standard base64 alphabet (+ /) instead of base64url (- _)"
		case strings.Contains(part, "="):
			detail = "has '=' padding, which JWTs do not use"
		}
		return reason.New(reason.TokenMalformed, "the token %s %s", name, detail)
	}
	if len(data) == 0 || data[0] != '{' {
		return reason.New(reason.TokenMalformed, "the token %s is not a JSON object", name)
	}
	m, err := rawjson.Object(data)
	if err != nil {
		return reason.New(reason.TokenMalformed, "the token %s is not valid JSON", name)
	}
	*into = m
	return nil
}

// stringMember reads an optional string member; a non-string is malformed.
func stringMember(m map[string]json.RawMessage, name, where string) (string, error) {
	raw, ok := m[name]
	if !ok {
		return "", nil
	}
	s, ok := rawjson.String(raw)
	if !ok {
		return "", reason.New(reason.TokenMalformed, "the token %s member %s is not a string", where, name)
	}
	return s, nil
}

// numericDate reads an optional NumericDate claim (RFC 7519 §2: a JSON
// number, possibly non-integer).
func (t *token) numericDate(name string) (time.Time, bool, error) {
	return numericDateOf(t.claims, name)
}

// numericDateOf reads an optional NumericDate member of claims: a JWT's,
// or an introspection answer's (exp, iat).
func numericDateOf(claims map[string]json.RawMessage, name string) (time.Time, bool, error) {
	raw, ok := claims[name]
	if !ok {
		return time.Time{}, false, nil
	}
	// A RawMessage is valid JSON, so one starting with a digit or '-' is a
	// JSON number, which ParseFloat reads exactly.
	f, err := strconv.ParseFloat(string(raw), 64)
	if len(raw) == 0 || raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') || err != nil && !errors.Is(err, strconv.ErrRange) {
		return time.Time{}, true, reason.New(reason.TokenMalformed, "the %s claim is not a number (NumericDate, seconds since 1970)", name)
	}
	if math.IsNaN(f) || f < 0 || f > maxNumericDate {
		return time.Time{}, true, reason.New(reason.TokenMalformed, "the %s claim is out of range (%g)", name, f)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true, nil
}

// stringOrList reads a claim that may be a string or an array of strings.
func (t *token) stringOrList(name string) ([]string, error) {
	return stringOrListOf(t.claims, name)
}

func stringOrListOf(claims map[string]json.RawMessage, name string) ([]string, error) {
	raw, ok := claims[name]
	if !ok {
		return nil, nil
	}
	if one, ok := rawjson.String(raw); ok {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, reason.New(reason.TokenMalformed, "the %s claim is neither a string nor an array of strings", name)
	}
	return many, nil
}

// scopes reads the token's scopes (scopesOf).
func (t *token) scopes() ([]string, error) { return scopesOf(t.claims) }

// scopesOf reads scope (space-separated string, RFC 6749 §3.3, 7662,
// 8693, 9068) or scp (array or string) from a JWT's claims or an
// introspection answer: the one scope rule of both, so a scope the
// gateway would not grant (a tab inside, "x\tadmin") can never reach the
// upstream's scope header either. Errors are token_malformed.
func scopesOf(claims map[string]json.RawMessage) ([]string, error) {
	if raw, ok := claims["scope"]; ok {
		s, ok := rawjson.String(raw)
		if !ok {
			return nil, reason.New(reason.TokenMalformed, "the scope claim is not a space-separated string")
		}
		return splitScopes("scope", s)
	}
	raw, present := claims["scp"]
	list, err := stringOrListOf(claims, "scp")
	if err != nil || len(list) == 0 {
		return list, err
	}
	if present && len(raw) > 0 && raw[0] != '[' {
		return splitScopes("scp", list[0])
	}
	for _, s := range list {
		if !credential.ValidScope(s) {
			return nil, reason.New(reason.TokenMalformed,
				"an element of the scp claim is not one scope token (a space or another character outside RFC 6749 section 3.3)")
		}
	}
	return list, nil
}

func splitScopes(claim, s string) ([]string, error) {
	scopes, err := credential.SplitScopes(s)
	if err != nil {
		return nil, reason.New(reason.TokenMalformed, "the %s claim: %v", claim, err)
	}
	return scopes, nil
}

// sanitize makes text taken from a token safe for any message: printable
// ASCII other than quote and backslash, at most n bytes.
func sanitize(s string, n int) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < n; i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			c = '?'
		}
		b.WriteByte(c)
	}
	if len(s) > n {
		b.WriteString("...")
	}
	return b.String()
}

func quoteKid(kid string) string {
	if kid == "" {
		return "(none)"
	}
	return "'" + sanitize(kid, 64) + "'"
}

func ago(d time.Duration) string {
	return d.Round(time.Second).String()
}

func fmtList(list []string) string {
	quoted := make([]string, len(list))
	for i, s := range list {
		quoted[i] = "'" + sanitize(s, 80) + "'"
	}
	return fmt.Sprintf("[%s]", strings.Join(quoted, ", "))
}

// Decoded is a token's header and claims, NOT verified: for inspection
// tools (`authgate jwt inspect`, the doctor), never for decisions.
type Decoded struct {
	Header map[string]json.RawMessage
	Claims map[string]json.RawMessage
	// Signed reports whether the token has a non-empty signature part.
	Signed bool
}

// Decode splits and decodes raw without verifying anything.
func Decode(raw string) (*Decoded, error) {
	t, err := parse(raw)
	if err != nil {
		return nil, err
	}
	return &Decoded{Header: t.header, Claims: t.claims, Signed: t.signature != ""}, nil
}

// CheckSignature verifies raw's signature with the keys of its kid that
// fit its alg, exactly as the gateway does. It checks no claim: it is for
// diagnosis (the doctor), not for decisions.
func CheckSignature(raw string, keys []Key) error {
	t, err := parse(raw)
	if err != nil {
		return err
	}
	found := newKeySet(keys, time.Now()).find(t.kid)
	if len(found) == 0 {
		return reason.New(reason.TokenKeyUnknown, "no key in the set has kid %s", quoteKid(t.kid))
	}
	return verifySignature(t, found)
}
