// Package tokentest signs test tokens: one RSA key per test process
// (made once, it is slow), published as a JWK Set under kid k1.
package tokentest

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/credential/jwt"
)

// KID is the key id tokens are signed under.
const KID = "k1"

var (
	once sync.Once
	key  *rsa.PrivateKey
)

// Key is the signing key.
func Key() *rsa.PrivateKey {
	once.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		key = k
	})
	return key
}

// JWKS is the JWK Set that holds the key's public half.
func JWKS() []byte { return jwt.PublicJWKS(map[string]any{KID: &Key().PublicKey}) }

// CountingJWKS serves JWKS() until the test ends, and counts the fetches
// it answered.
func CountingJWKS(t testing.TB) (url string, fetches *atomic.Int32) {
	fetches = new(atomic.Int32)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Write(JWKS())
	}))
	t.Cleanup(s.Close)
	return s.URL, fetches
}

// Sign signs claims with RS256; base gives defaults that change
// overrides (a nil value in change removes the claim); exp defaults to an
// hour from now.
func Sign(t testing.TB, base, change map[string]any) string {
	t.Helper()
	c := map[string]any{"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
	for k, v := range base {
		c[k] = v
	}
	for k, v := range change {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	tok, err := jwt.Sign("RS256", Key(), map[string]any{"kid": KID}, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
