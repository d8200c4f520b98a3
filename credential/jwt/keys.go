package jwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// MinRSABits is the smallest RSA modulus accepted (RFC 7518 §3.3).
const MinRSABits = 2048

// Key is one verification key of an issuer.
type Key struct {
	// ID is the JWK kid ("" for keys without one, such as PEM files).
	ID string
	// Alg is the JWK alg, when the key names one: tokens must then use it.
	Alg string
	// Public is *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey; nil
	// for an HMAC key.
	Public crypto.PublicKey
	// Secret is the HMAC key (HS* only).
	Secret []byte
}

// Type names the key's kind for messages: RSA, EC P-256, OKP Ed25519, oct.
func (k Key) Type() string {
	switch pk := k.Public.(type) {
	case *rsa.PublicKey:
		return "RSA"
	case *ecdsa.PublicKey:
		return "EC " + pk.Curve.Params().Name
	case ed25519.PublicKey:
		return "OKP Ed25519"
	}
	return "oct"
}

// verificationKey is what golang-jwt's SigningMethod.Verify takes.
func (k Key) verificationKey() any {
	if k.Public != nil {
		return k.Public
	}
	return k.Secret
}

// Fits reports whether the key may verify a signature made with alg: the
// key type must be the algorithm's, and a JWK alg must equal it.
func (k Key) Fits(alg string) bool {
	if k.Alg != "" && k.Alg != alg {
		return false
	}
	switch pk := k.Public.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		want := map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}[alg]
		return want != nil && pk.Curve == want
	case ed25519.PublicKey:
		return alg == "EdDSA" || alg == "Ed25519"
	case nil:
		return strings.HasPrefix(alg, "HS") && len(k.Secret) > 0
	}
	return false
}

// jwk is the JSON form of one key (RFC 7517, 7518 §6, 8037).
type jwk struct {
	Kty string   `json:"kty"`
	Kid string   `json:"kid"`
	Alg string   `json:"alg"`
	Use string   `json:"use"`
	Ops []string `json:"key_ops"`
	N   string   `json:"n"`
	E   string   `json:"e"`
	Crv string   `json:"crv"`
	X   string   `json:"x"`
	Y   string   `json:"y"`
	K   string   `json:"k"`
	D   string   `json:"d"`
}

// ErrNoUsableKey is returned when a key document holds no key authgate can
// verify signatures with.
var ErrNoUsableKey = errors.New("no usable signature verification key")

// ParseJWKS parses a JWK Set, or a single JWK. Keys meant only for
// encryption and keys of unsupported types are skipped; skipped lists why.
// A private JWK is refused: a verifier must never hold a private key.
func ParseJWKS(data []byte) (keys []Key, skipped []string, err error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, nil, fmt.Errorf("not a JWK or JWK Set: %s", sanitize(err.Error(), 200))
	}
	raws := doc.Keys
	if raws == nil {
		raws = []json.RawMessage{data}
	}
	problems := 0
	for i, raw := range raws {
		if len(keys) == MaxJWKSKeys {
			problems += len(raws) - i
			skipped = append(skipped, fmt.Sprintf("keys %d and after: more than %d keys in one set", i, MaxJWKSKeys))
			break
		}
		k, err := parseJWK(raw)
		if err != nil {
			problems++
			if len(skipped) < maxSkipNotes {
				skipped = append(skipped, fmt.Sprintf("key %d: %s", i, sanitize(err.Error(), 200)))
			}
			continue
		}
		keys = append(keys, k)
	}
	if problems > len(skipped) {
		skipped = append(skipped, fmt.Sprintf("and %d more", problems-len(skipped)))
	}
	if len(keys) == 0 {
		return nil, skipped, fmt.Errorf("%w: %d entries, 0 usable; first problems: %s", ErrNoUsableKey, len(raws), strings.Join(skipped, "; "))
	}
	return keys, skipped, nil
}

// Bounds of a key set: what is kept of it, and of what is wrong with it
// (an error text from outside never grows with its input).
const (
	MaxJWKSKeys  = 100
	maxSkipNotes = 3
)

func parseJWK(raw []byte) (Key, error) {
	var j jwk
	if err := json.Unmarshal(raw, &j); err != nil {
		return Key{}, err
	}
	if j.Use != "" && j.Use != "sig" {
		return Key{}, fmt.Errorf("kid %s: use '%s' is not sig", quoteKid(j.Kid), sanitize(j.Use, 16))
	}
	if j.D != "" {
		return Key{}, fmt.Errorf("kid %s: private key material (d) in a verification key set", quoteKid(j.Kid))
	}
	k := Key{ID: j.Kid, Alg: j.Alg}
	var err error
	switch j.Kty {
	case "RSA":
		k.Public, err = rsaFromJWK(j)
	case "EC":
		k.Public, err = ecFromJWK(j)
	case "OKP":
		if j.Crv != "Ed25519" {
			return Key{}, fmt.Errorf("kid %s: OKP curve '%s' not supported", quoteKid(j.Kid), sanitize(j.Crv, 16))
		}
		var x []byte
		if x, err = b64(j.X); err == nil && len(x) != ed25519.PublicKeySize {
			err = fmt.Errorf("Ed25519 key is %d bytes, want %d", len(x), ed25519.PublicKeySize)
		}
		k.Public = ed25519.PublicKey(x)
	case "oct":
		return Key{}, fmt.Errorf("kid %s: symmetric (oct) keys are not accepted from a key set; configure an HMAC secret", quoteKid(j.Kid))
	default:
		return Key{}, fmt.Errorf("kid %s: key type '%s' not supported", quoteKid(j.Kid), sanitize(j.Kty, 16))
	}
	if err != nil {
		return Key{}, fmt.Errorf("kid %s: %w", quoteKid(j.Kid), err)
	}
	return k, nil
}

func rsaFromJWK(j jwk) (*rsa.PublicKey, error) {
	n, err := b64(j.N)
	if err != nil {
		return nil, fmt.Errorf("n: %w", err)
	}
	e, err := b64(j.E)
	if err != nil {
		return nil, fmt.Errorf("e: %w", err)
	}
	if len(e) == 0 || len(e) > 4 {
		return nil, errors.New("RSA exponent out of range")
	}
	pk := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	return pk, checkRSA(pk)
}

func checkRSA(pk *rsa.PublicKey) error {
	if pk.N.BitLen() < MinRSABits {
		return fmt.Errorf("RSA key of %d bits; at least %d required", pk.N.BitLen(), MinRSABits)
	}
	if pk.E < 3 || pk.E%2 == 0 {
		return errors.New("RSA exponent invalid")
	}
	return nil
}

func ecFromJWK(j jwk) (*ecdsa.PublicKey, error) {
	curve, size := map[string]elliptic.Curve{"P-256": elliptic.P256(), "P-384": elliptic.P384(), "P-521": elliptic.P521()}[j.Crv],
		map[string]int{"P-256": 32, "P-384": 48, "P-521": 66}[j.Crv]
	if curve == nil {
		return nil, fmt.Errorf("EC curve %q not supported", j.Crv)
	}
	x, err := b64(j.X)
	if err != nil {
		return nil, fmt.Errorf("x: %w", err)
	}
	y, err := b64(j.Y)
	if err != nil {
		return nil, fmt.Errorf("y: %w", err)
	}
	if len(x) != size || len(y) != size {
		return nil, fmt.Errorf("EC coordinates must be %d bytes", size)
	}
	// ParseUncompressedPublicKey rejects points not on the curve.
	return ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
}

func b64(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("missing")
	}
	return base64.RawURLEncoding.Strict().DecodeString(s)
}

// ParsePEM parses every public key or certificate in PEM data. Private
// keys are refused.
func ParsePEM(data []byte) ([]Key, error) {
	var keys []Key
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		var pub any
		switch block.Type {
		case "PUBLIC KEY":
			var err error
			if pub, err = x509.ParsePKIXPublicKey(block.Bytes); err != nil {
				return nil, err
			}
		case "RSA PUBLIC KEY":
			var err error
			if pub, err = x509.ParsePKCS1PublicKey(block.Bytes); err != nil {
				return nil, err
			}
		case "CERTIFICATE":
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, err
			}
			pub = cert.PublicKey
		default:
			return nil, fmt.Errorf("PEM block %q is not a public key or certificate (never configure a private key here)", block.Type)
		}
		k := Key{Public: pub}
		switch pk := pub.(type) {
		case *rsa.PublicKey:
			if err := checkRSA(pk); err != nil {
				return nil, err
			}
		case *ecdsa.PublicKey, ed25519.PublicKey:
		default:
			return nil, fmt.Errorf("public key type %T not supported", pub)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, ErrNoUsableKey
	}
	return keys, nil
}

// ParseKeyFile parses a key file's contents: PEM, or a JWK / JWK Set.
func ParseKeyFile(data []byte) ([]Key, error) {
	if strings.HasPrefix(strings.TrimSpace(string(data)), "{") {
		keys, _, err := ParseJWKS(data)
		return keys, err
	}
	return ParsePEM(data)
}

// ParseJWK parses one public JWK (a DPoP proof's jwk header, RFC 9449):
// the same rules as a key set's keys, private material refused.
func ParseJWK(raw []byte) (Key, error) { return parseJWK(raw) }
