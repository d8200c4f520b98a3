package jwt

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/reason"
)

// BenchmarkVerify compares, per algorithm, the raw crypto/* verification
// of a token's signature with authgate's whole verification of the same
// token (parse, issuer, key lookup, signature, claims), cache off. The
// ratio authgate/raw is the library overhead.
func BenchmarkVerify(b *testing.B) {
	testKeys(b)
	secret := []byte("0123456789abcdef0123456789abcdef")
	cases := []struct {
		alg  string
		priv any
		key  Key
		raw  func(input string, sig []byte) bool
	}{
		{"RS256", rsaKey, Key{ID: "k", Public: &rsaKey.PublicKey}, func(input string, sig []byte) bool {
			h := sha256.Sum256([]byte(input))
			return rsa.VerifyPKCS1v15(&rsaKey.PublicKey, crypto.SHA256, h[:], sig) == nil
		}},
		{"ES256", ecKey, Key{ID: "k", Public: &ecKey.PublicKey}, func(input string, sig []byte) bool {
			h := sha256.Sum256([]byte(input))
			r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
			return ecdsa.Verify(&ecKey.PublicKey, h[:], r, s)
		}},
		{"EdDSA", edKey, Key{ID: "k", Public: edPub}, func(input string, sig []byte) bool {
			return ed25519.Verify(edPub, []byte(input), sig)
		}},
		{"HS256", secret, Key{ID: "k", Secret: secret}, func(input string, sig []byte) bool {
			m := hmac.New(sha256.New, secret)
			m.Write([]byte(input))
			return hmac.Equal(m.Sum(nil), sig)
		}},
	}
	for _, c := range cases {
		tok := mustSign(b, c.alg, c.priv, map[string]any{"kid": "k", "typ": "at+jwt"}, claims(nil))
		i := strings.LastIndexByte(tok, '.')
		input := tok[:i]
		sig, _ := base64.RawURLEncoding.DecodeString(tok[i+1:])
		b.Run(c.alg+"/raw", func(b *testing.B) {
			for b.Loop() {
				if !c.raw(input, sig) {
					b.Fatal("raw verify failed")
				}
			}
		})
		v := newVerifier(b, &Issuer{Name: "b", Issuer: testIss, Audiences: []string{"api"}, Algorithms: []string{c.alg},
			Keys: NewStaticKeys([]Key{c.key}), RequiredType: "at+jwt", RequireExp: true, Leeway: 30})
		b.Run(c.alg+"/authgate", func(b *testing.B) {
			for b.Loop() {
				if _, err := v.Verify(context.Background(), tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCacheHit is a repeated token served from the verified-token cache.
func BenchmarkCacheHit(b *testing.B) {
	testKeys(b)
	v, err := New([]*Issuer{{Name: "b", Issuer: testIss, Audiences: []string{"api"}, Algorithms: []string{"RS256"},
		Keys: NewStaticKeys([]Key{{ID: "k", Public: &rsaKey.PublicKey}}), RequireExp: true}}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	tok := mustSign(b, "RS256", rsaKey, map[string]any{"kid": "k"}, claims(nil))
	if _, err := v.Verify(context.Background(), tok); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExpiredRepeat is an expired token sent again and again: after
// the first, its refusal comes from the cache.
func BenchmarkExpiredRepeat(b *testing.B) {
	testKeys(b)
	v, err := New([]*Issuer{{Name: "b", Issuer: testIss, Audiences: []string{"api"}, Algorithms: []string{"RS256"},
		Keys: NewStaticKeys([]Key{{ID: "k", Public: &rsaKey.PublicKey}}), RequireExp: true}}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	tok := mustSign(b, "RS256", rsaKey, map[string]any{"kid": "k"}, claims(map[string]any{"exp": time.Now().Add(-time.Hour).Unix()}))
	for b.Loop() {
		if _, err := v.Verify(context.Background(), tok); reason.CodeOf(err) != reason.TokenExpired {
			b.Fatal(err)
		}
	}
}

// BenchmarkIntrospectionCacheHit is an opaque token judged again: after
// the first request to the RFC 7662 endpoint, the answer comes from the
// cache (the endpoint must see exactly one request).
func BenchmarkIntrospectionCacheHit(b *testing.B) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		json.NewEncoder(w).Encode(map[string]any{"active": true, "sub": "svc", "scope": "read", "aud": "api",
			"iss": testIss, "exp": time.Now().Add(time.Hour).Unix()})
	}))
	defer srv.Close()
	cfg := &Introspection{Endpoint: srv.URL, ClientID: "gateway", ClientSecret: "s3cret-s3cret-s3cret"}
	if err := cfg.check(false, os.ReadFile); err != nil {
		b.Fatal(err)
	}
	v, err := New([]*Issuer{{Name: "idp", Issuer: testIss, Audiences: []string{"api"}, Introspection: cfg}}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	token := "ory_at_" + strings.Repeat("x", 43)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(context.Background(), token); err != nil {
			b.Fatal(err)
		}
	}
	if n := calls.Load(); n != 1 {
		b.Fatalf("%d introspection requests, want 1", n)
	}
}
