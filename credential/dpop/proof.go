// Package dpop checks DPoP proofs (RFC 9449): a JWT the client signs for
// each request with a key of its own, whose public half it carries. A
// token bound to that key (cnf.jkt, the key's RFC 7638 thumbprint) is
// then worthless to whoever steals it without the key. The package
// parses and verifies proofs against the request, refuses replays (in
// this process, or across a fleet through Redis) and issues the server
// nonces of section 8. Which tokens need a proof is credential/jwt's
// rule; this package only judges proofs.
package dpop

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/internal/rawjson"
	"github.com/authgate/authgate/reason"
)

// MaxProofBytes bounds a proof before any parsing.
const MaxProofBytes = 8 << 10

// ProofType is the typ every proof carries (RFC 9449 section 4.2).
const ProofType = "dpop+jwt"

// privateMembers are the JWK members of private keys (RFC 7518 section
// 6): a proof carrying one has leaked its key, and is refused.
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// Proof is a parsed proof whose signature verified with its own key.
type Proof struct {
	// Alg is the header's alg; Key the public key of its jwk, and
	// Thumbprint that key's RFC 7638 thumbprint (what cnf.jkt names).
	Alg        string
	Key        jwt.Key
	Thumbprint string
	// The claims: jti, htm, htu, iat, and the optional ath and nonce.
	JTI, Method, URL string
	IssuedAt         time.Time
	AccessTokenHash  string
	Nonce            string
	// HasATH and HasNonce tell an absent claim from an empty one.
	HasATH, HasNonce bool
}

// invalid is a proof refused for its own form.
func invalid(format string, args ...any) *reason.Error {
	return reason.New(reason.DPoPProofInvalid, "the DPoP proof "+format, args...)
}

// Parse reads a proof and verifies its signature with the key it
// carries, accepting only algs (asymmetric, never none or HMAC). It
// checks the form (typ, alg, a public jwk, the claims' types) but not
// whether the proof fits a request: Verifier does that.
func Parse(raw string, algs []string) (*Proof, error) {
	if len(raw) > MaxProofBytes {
		return nil, invalid("is %d bytes; the limit is %d", len(raw), MaxProofBytes)
	}
	if strings.Count(raw, ".") != 2 {
		return nil, invalid("is not a signed JWT (three dot-separated parts)")
	}
	h, rest, _ := strings.Cut(raw, ".")
	p, sig, _ := strings.Cut(rest, ".")
	header, err := part("header", h)
	if err != nil {
		return nil, err
	}
	claims, err := part("payload", p)
	if err != nil {
		return nil, err
	}
	typ, _ := str(header, "typ")
	if !strings.EqualFold(typ, ProofType) && !strings.EqualFold(typ, "application/"+ProofType) {
		return nil, invalid("has typ '%s'; a proof's typ is %s", clip(typ, 40), ProofType)
	}
	alg, _ := str(header, "alg")
	if !allowed(alg, algs) {
		return nil, invalid("alg '%s' is not accepted (accepted: %s)", clip(alg, 20), strings.Join(algs, " "))
	}
	if _, ok := header["crit"]; ok {
		return nil, invalid("marks header members critical (crit), which authgate does not understand")
	}
	key, thumb, err := publicKey(header["jwk"], alg)
	if err != nil {
		return nil, err
	}
	signature, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil || len(signature) == 0 {
		return nil, invalid("signature is missing or not canonical base64url")
	}
	if err := gojwt.GetSigningMethod(alg).Verify(raw[:len(h)+1+len(p)], signature, key.Public); err != nil {
		return nil, invalid("signature does not verify with the key in its jwk header")
	}
	pr := &Proof{Alg: alg, Key: key, Thumbprint: thumb}
	var ok bool
	for _, c := range []struct {
		name string
		into *string
	}{{"jti", &pr.JTI}, {"htm", &pr.Method}, {"htu", &pr.URL}} {
		if *c.into, ok = str(claims, c.name); !ok || *c.into == "" {
			return nil, invalid("has no %s claim (a non-empty string)", c.name)
		}
	}
	if len(pr.JTI) > 256 {
		return nil, invalid("jti is %d characters; at most 256", len(pr.JTI))
	}
	if pr.IssuedAt, ok = numericDate(claims["iat"]); !ok {
		return nil, invalid("has no iat claim (a number of seconds since 1970)")
	}
	if _, pr.HasATH = claims["ath"]; pr.HasATH {
		if pr.AccessTokenHash, ok = str(claims, "ath"); !ok {
			return nil, invalid("ath is not a string")
		}
	}
	if _, pr.HasNonce = claims["nonce"]; pr.HasNonce {
		if pr.Nonce, ok = str(claims, "nonce"); !ok {
			return nil, invalid("nonce is not a string")
		}
	}
	return pr, nil
}

// part decodes one base64url JSON object of the proof; a member named
// twice is refused (it would mean two things at once).
func part(name, s string) (map[string]json.RawMessage, error) {
	data, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, invalid("%s is not canonical base64url", name)
	}
	if len(data) == 0 || data[0] != '{' {
		return nil, invalid("%s is not a JSON object", name)
	}
	m, err := rawjson.UniqueObject(data)
	if err != nil {
		if errors.Is(err, rawjson.ErrDuplicate) {
			return nil, invalid("%s names a member twice", name)
		}
		return nil, invalid("%s is not valid JSON", name)
	}
	return m, nil
}

// publicKey reads the jwk header: a public key only, of a type that fits
// alg; it returns the key and its thumbprint.
func publicKey(raw json.RawMessage, alg string) (jwt.Key, string, error) {
	if len(raw) == 0 {
		return jwt.Key{}, "", invalid("has no jwk header (the public key that verifies it)")
	}
	members, err := rawjson.UniqueObject(raw)
	if err != nil {
		return jwt.Key{}, "", invalid("jwk header is not a JSON object")
	}
	for _, m := range privateMembers {
		if _, ok := members[m]; ok {
			return jwt.Key{}, "", invalid("jwk holds private key material (%s): the client has disclosed its private key; make a new key pair", m)
		}
	}
	if _, ok := members["keys"]; ok {
		return jwt.Key{}, "", invalid("jwk header is a key set, not one key")
	}
	key, err := jwt.ParseJWK(raw)
	if err != nil {
		return jwt.Key{}, "", invalid("jwk header is not a usable public key: %s", clip(err.Error(), 120))
	}
	if !key.Fits(alg) {
		return jwt.Key{}, "", invalid("alg '%s' does not fit its %s key", alg, key.Type())
	}
	thumb, err := jwt.Thumbprint(key.Public)
	if err != nil {
		return jwt.Key{}, "", invalid("jwk header is not a usable public key")
	}
	return key, thumb, nil
}

// AccessTokenHash is a proof's ath for token: base64url(SHA-256(token)).
func AccessTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func allowed(alg string, algs []string) bool {
	if alg == "" || strings.EqualFold(alg, "none") || strings.HasPrefix(alg, "HS") || gojwt.GetSigningMethod(alg) == nil {
		return false
	}
	for _, a := range algs {
		if a == alg {
			return true
		}
	}
	return false
}

func str(m map[string]json.RawMessage, name string) (string, bool) {
	raw, ok := m[name]
	if !ok {
		return "", false
	}
	return rawjson.String(raw)
}

// numericDate reads a JSON number of seconds (RFC 7519 NumericDate).
func numericDate(raw json.RawMessage) (time.Time, bool) {
	var f float64
	if len(raw) == 0 || raw[0] == '"' || json.Unmarshal(raw, &f) != nil || f < 0 || f > 253402300799 || math.IsNaN(f) {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}

// clip quotes at most n bytes of s, printable ASCII only.
func clip(s string, n int) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < n; i++ {
		if c := s[i]; c >= 0x20 && c < 0x7f && c != '\'' {
			b.WriteByte(c)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

// Error texts of the replay cache and nonces name no proof content.
var errReplayStore = errors.New("dpop: replay cache unavailable")

func ago(d time.Duration) string { return fmt.Sprint(d.Round(time.Second)) }
