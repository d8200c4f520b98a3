package jwt

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	gojwt "github.com/golang-jwt/jwt/v5"
)

// Sign builds a compact JWS of claims signed with alg and key (a private
// key, or []byte for HS*). header members are added to alg (and may
// replace typ). It is for tests, the demo and `authgate jwt mint`; the
// gateway itself never signs.
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
