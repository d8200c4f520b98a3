package dpop

import (
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"github.com/authgate/authgate/credential/jwt"
)

// ProofRequest is what a proof is made for.
type ProofRequest struct {
	// Method and URL of the request (the URL's query and fragment are
	// dropped, as the resource server ignores them).
	Method, URL string
	// AccessToken, when set, is hashed into ath.
	AccessToken string
	// Nonce is the server's DPoP-Nonce, if it asked for one.
	Nonce string
	// Now is iat (zero: the current time).
	Now time.Time
}

// Sign makes a proof for req with key (a private key of `authgate jwt
// dpop`, tests and the demo: the gateway never signs proofs) and returns
// it with the thumbprint that a token bound to key names in cnf.jkt.
func Sign(key crypto.Signer, alg string, req ProofRequest) (proof, jkt string, err error) {
	jwk, err := PublicJWK(key.Public())
	if err != nil {
		return "", "", err
	}
	if jkt, err = jwt.Thumbprint(key.Public()); err != nil {
		return "", "", err
	}
	htu, err := NormalizeURL(req.URL)
	if err != nil {
		return "", "", errors.New("the URL must be absolute http(s)")
	}
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	id := make([]byte, 16)
	rand.Read(id)
	claims := map[string]any{"jti": base64.RawURLEncoding.EncodeToString(id), "htm": req.Method, "htu": htu, "iat": now.Unix()}
	if req.AccessToken != "" {
		claims["ath"] = AccessTokenHash(req.AccessToken)
	}
	if req.Nonce != "" {
		claims["nonce"] = req.Nonce
	}
	proof, err = jwt.Sign(alg, key, map[string]any{"typ": ProofType, "jwk": jwk}, claims)
	return proof, jkt, err
}

// PublicJWK is pub as a bare JWK (no kid, no use), as a proof carries it.
func PublicJWK(pub crypto.PublicKey) (map[string]string, error) {
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(jwt.PublicJWKS(map[string]any{"": pub}), &set); err != nil || len(set.Keys) != 1 {
		return nil, errors.New("unsupported key type")
	}
	k := set.Keys[0]
	delete(k, "kid")
	delete(k, "use")
	return k, nil
}
