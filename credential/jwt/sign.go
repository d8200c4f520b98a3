package jwt

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"

	gojwt "github.com/golang-jwt/jwt/v5"
)

// Sign builds a compact JWS of claims signed with alg and key (a private
// key, or []byte for HS*). header members are added to alg (and may
// replace typ). The gateway signs only its identity tokens with it
// (identity_token); tests, the demo and `authgate jwt mint` use it too.
func Sign(alg string, key any, header, claims map[string]any) (string, error) {
	method := gojwt.GetSigningMethod(alg)
	if method == nil || alg == "none" {
		return "", fmt.Errorf("unsupported alg %q", alg)
	}
	h := map[string]any{"alg": alg, "typ": "JWT"}
	for k, v := range header {
		h[k] = v
	}
	hj, err := json.Marshal(h)
	if err != nil {
		return "", err
	}
	cj, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := base64.RawURLEncoding.EncodeToString(hj) + "." + base64.RawURLEncoding.EncodeToString(cj)
	sig, err := method.Sign(input, key)
	if err != nil {
		return "", err
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// PublicJWKS renders public keys (by kid) as a JWK Set, as an issuer
// publishes them. Unsupported key types are left out.
func PublicJWKS(keys map[string]any) []byte {
	enc := base64.RawURLEncoding.EncodeToString
	set := struct {
		Keys []map[string]string `json:"keys"`
	}{Keys: []map[string]string{}}
	for kid, k := range keys {
		switch pk := k.(type) {
		case *rsa.PublicKey:
			set.Keys = append(set.Keys, map[string]string{"kty": "RSA", "kid": kid, "use": "sig",
				"n": enc(pk.N.Bytes()), "e": enc(big.NewInt(int64(pk.E)).Bytes())})
		case *ecdsa.PublicKey:
			b, err := pk.Bytes()
			if err != nil {
				continue
			}
			n := (len(b) - 1) / 2
			set.Keys = append(set.Keys, map[string]string{"kty": "EC", "kid": kid, "use": "sig", "crv": pk.Curve.Params().Name,
				"x": enc(b[1 : 1+n]), "y": enc(b[1+n:])})
		case ed25519.PublicKey:
			set.Keys = append(set.Keys, map[string]string{"kty": "OKP", "kid": kid, "use": "sig", "crv": "Ed25519", "x": enc(pk)})
		}
	}
	out, _ := json.Marshal(set)
	return out
}

// ParsePrivateKey reads a PEM private key (PKCS#1, SEC 1 or PKCS#8) for
// signing test tokens, and the algorithm its type implies.
func ParsePrivateKey(data []byte) (key any, alg string, err error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, "", errors.New("no PEM block")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, "", err
	}
	switch key.(type) {
	case *rsa.PrivateKey:
		return key, "RS256", nil
	case *ecdsa.PrivateKey:
		return key, "ES256", nil
	case ed25519.PrivateKey:
		return key, "EdDSA", nil
	}
	return nil, "", fmt.Errorf("unsupported key type %T", key)
}

// Thumbprint is the RFC 7638 JWK thumbprint of a public key (base64url
// SHA-256 of its required members in order), a stable kid.
func Thumbprint(pub any) (string, error) {
	enc := base64.RawURLEncoding.EncodeToString
	var canonical string
	switch pk := pub.(type) {
	case *rsa.PublicKey:
		canonical = fmt.Sprintf(`{"e":"%s","kty":"RSA","n":"%s"}`, enc(big.NewInt(int64(pk.E)).Bytes()), enc(pk.N.Bytes()))
	case *ecdsa.PublicKey:
		b, err := pk.Bytes()
		if err != nil {
			return "", err
		}
		n := (len(b) - 1) / 2
		canonical = fmt.Sprintf(`{"crv":"%s","kty":"EC","x":"%s","y":"%s"}`, pk.Curve.Params().Name, enc(b[1:1+n]), enc(b[1+n:]))
	case ed25519.PublicKey:
		canonical = fmt.Sprintf(`{"crv":"Ed25519","kty":"OKP","x":"%s"}`, enc(pk))
	default:
		return "", fmt.Errorf("unsupported key type %T", pub)
	}
	sum := sha256.Sum256([]byte(canonical))
	return enc(sum[:]), nil
}
