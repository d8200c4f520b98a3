package jwt

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/eventually"
	"github.com/authgate/authgate/reason"
)

const testIss = "https://issuer.test"

var (
	keysOnce                sync.Once
	rsaKey, rsaKey2, evilRS *rsa.PrivateKey
	ecKey                   *ecdsa.PrivateKey
	edPub                   ed25519.PublicKey
	edKey                   ed25519.PrivateKey
)

func testKeys(t testing.TB) {
	keysOnce.Do(func() {
		gen := func() *rsa.PrivateKey {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			return k
		}
		rsaKey, rsaKey2, evilRS = gen(), gen(), gen()
		ecKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		edPub, edKey, _ = ed25519.GenerateKey(rand.Reader)
	})
}

// jwksOf renders public keys as a JWK Set.
func jwksOf(_ testing.TB, keys map[string]any) []byte { return PublicJWKS(keys) }

// jwksServer serves a swappable key set on loopback; down makes it fail.
type jwksServer struct {
	*httptest.Server
	body atomic.Pointer[[]byte]
	down atomic.Bool
	hits atomic.Int32
}

func newJWKSServer(t testing.TB, body []byte) *jwksServer {
	s := &jwksServer{}
	s.body.Store(&body)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if s.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Write(*s.body.Load())
	}))
	t.Cleanup(s.Close)
	return s
}

func remoteIssuer(t testing.TB, url string, algs ...string) *Issuer {
	rk := &RemoteKeys{URL: url, RefreshEvery: time.Hour, MinRefetch: 0}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	rk.Start(ctx)
	if len(algs) == 0 {
		algs = DefaultAlgorithms
	}
	return &Issuer{Name: "test", Issuer: testIss, Audiences: []string{"api"}, Algorithms: algs,
		Keys: rk, RequireExp: true, Leeway: 30 * time.Second}
}

func claims(extra map[string]any) map[string]any {
	c := map[string]any{"iss": testIss, "aud": "api", "sub": "alice", "scope": "read write",
		"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func mustSign(t testing.TB, alg string, key any, header, cl map[string]any) string {
	t.Helper()
	tok, err := Sign(alg, key, header, cl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// rawToken assembles a token from literal JSON parts and a signature.
func rawToken(header, payload string, sig []byte) string {
	e := base64.RawURLEncoding.EncodeToString
	return e([]byte(header)) + "." + e([]byte(payload)) + "." + e(sig)
}

func newVerifier(t testing.TB, issuers ...*Issuer) *Verifier {
	v, err := New(issuers, Options{CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVerifyAttacks(t *testing.T) {
	testKeys(t)
	js := newJWKSServer(t, jwksOf(t, map[string]any{"k1": &rsaKey.PublicKey, "e1": &ecKey.PublicKey, "d1": edPub}))
	v := newVerifier(t, remoteIssuer(t, js.URL))
	kid := func(k string) map[string]any { return map[string]any{"kid": k} }

	// A server named by jku/x5u in a token: it must never be asked.
	var lured atomic.Int32
	lure := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { lured.Add(1) }))
	defer lure.Close()

	pubDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	enc := base64.RawURLEncoding.EncodeToString
	evilJWK := map[string]any{"kty": "RSA", "n": enc(evilRS.N.Bytes()), "e": "AQAB"}
	good := mustSign(t, "RS256", rsaKey, kid("k1"), claims(nil))
	h, p, _ := strings.Cut(good, ".")
	p, _, _ = strings.Cut(p, ".")

	tests := []struct {
		name  string
		token string
		want  reason.Code // "" means accepted
	}{
		{"valid RS256", good, ""},
		{"valid ES256", mustSign(t, "ES256", ecKey, kid("e1"), claims(nil)), ""},
		{"valid EdDSA", mustSign(t, "EdDSA", edKey, kid("d1"), claims(nil)), ""},
		{"valid without kid", mustSign(t, "RS256", rsaKey, nil, claims(nil)), ""},
		{"alg none", rawToken(`{"alg":"none","kid":"k1"}`, `{"iss":"`+testIss+`","aud":"api"}`, nil), reason.TokenAlgorithmRejected},
		{"alg NONE", rawToken(`{"alg":"NONE"}`, `{"iss":"`+testIss+`"}`, []byte("x")), reason.TokenAlgorithmRejected},
		{"HS256 with the RSA public key as secret", mustSign(t, "HS256", pubPEM, kid("k1"), claims(nil)), reason.TokenAlgorithmRejected},
		{"own jwk header", mustSign(t, "RS256", evilRS, map[string]any{"kid": "k1", "jwk": evilJWK}, claims(nil)), reason.TokenSignatureInvalid},
		{"own jwk header, no kid", mustSign(t, "RS256", evilRS, map[string]any{"jwk": evilJWK}, claims(nil)), reason.TokenSignatureInvalid},
		{"jku to attacker", mustSign(t, "RS256", evilRS, map[string]any{"kid": "evil", "jku": lure.URL + "/jwks"}, claims(nil)), reason.TokenKeyUnknown},
		{"x5u to attacker", mustSign(t, "RS256", evilRS, map[string]any{"kid": "k1", "x5u": lure.URL + "/cert"}, claims(nil)), reason.TokenSignatureInvalid},
		{"kid path traversal", mustSign(t, "RS256", rsaKey, kid("../../../../etc/passwd"), claims(nil)), reason.TokenKeyUnknown},
		{"kid SQL", mustSign(t, "RS256", rsaKey, kid("' OR '1'='1'; DROP TABLE keys; --"), claims(nil)), reason.TokenKeyUnknown},
		{"ES256 r=s=0 (CVE-2022-21449)", h2(t, "ES256", "e1", p, make([]byte, 64)), reason.TokenSignatureInvalid},
		{"alg does not fit key", h2(t, "ES256", "k1", p, make([]byte, 64)), reason.TokenAlgorithmRejected},
		{"signature removed", h + "." + p + ".", reason.TokenSignatureInvalid},
		{"signature part missing", h + "." + p, reason.TokenMalformed},
		{"signature of another token", h + "." + enc([]byte(`{"iss":"`+testIss+`","aud":"api","sub":"admin"}`)) + "." + strings.SplitN(good, ".", 3)[2], reason.TokenSignatureInvalid},
		{"exp as string", mustSign(t, "RS256", rsaKey, kid("k1"), claims(map[string]any{"exp": "9999999999"})), reason.TokenMalformed},
		{"exp as float", mustSign(t, "RS256", rsaKey, kid("k1"), claims(map[string]any{"exp": float64(time.Now().Unix()) + 3600.5})), ""},
		{"exp 1e30", rawSigned(t, `{"iss":"`+testIss+`","aud":"api","exp":1e30}`), reason.TokenMalformed},
		{"exp missing", mustSign(t, "RS256", rsaKey, kid("k1"), claims(map[string]any{"exp": nil})), reason.TokenMalformed},
		{"EXP upper-case is not exp", mustSign(t, "RS256", rsaKey, kid("k1"), claims(map[string]any{"exp": nil, "EXP": time.Now().Add(time.Hour).Unix()})), reason.TokenMalformed},
		{"expired", mustSign(t, "RS256", rsaKey, kid("k1"), claims(map[string]any{"exp": time.Now().Add(-time.Minute).Unix()})), reason.TokenExpired},
		{"expired within leeway", mustSign(t, "RS256", rsaKey, kid("k1"), claims(map[string]any{"exp": time.Now().Add(-10 * time.Second).Unix()})), ""},
		{"nbf 10 minutes ahead", mustSign(t, "RS256", rsaKey, kid("k1"), claims(map[string]any{"nbf": time.Now().Add(10 * time.Minute).Unix()})), reason.TokenNotYetValid},
		{"iat in the future", mustSign(t, "RS256", rsaKey, kid("k1"), claims(map[string]any{"iat": time.Now().Add(time.Hour).Unix()})), reason.TokenNotYetValid},
		{"aud array without ours", mustSign(t, "RS256", rsaKey, kid("k1"), claims(map[string]any{"aud": []string{"other", "billing"}})), reason.TokenAudienceMismatch},
		{"aud array with ours", mustSign(t, "RS256", rsaKey, kid("k1"), claims(map[string]any{"aud": []string{"other", "api"}})), ""},
		{"aud missing", mustSign(t, "RS256", rsaKey, kid("k1"), claims(map[string]any{"aud": nil})), reason.TokenAudienceMismatch},
		{"iss trailing slash", mustSign(t, "RS256", rsaKey, kid("k1"), claims(map[string]any{"iss": testIss + "/"})), reason.TokenIssuerUntrusted},
		{"iss missing", mustSign(t, "RS256", rsaKey, kid("k1"), claims(map[string]any{"iss": nil})), reason.TokenIssuerUntrusted},
		{"unknown crit", mustSign(t, "RS256", rsaKey, map[string]any{"kid": "k1", "crit": []string{"exp2"}, "exp2": 1}, claims(nil)), reason.TokenMalformed},
		{"b64 false", mustSign(t, "RS256", rsaKey, map[string]any{"kid": "k1", "b64": false}, claims(nil)), reason.TokenMalformed},
		{"JWE", "a.b.c.d.e", reason.TokenMalformed},
		{"opaque", "2YotnFZFEjr1zCsicMWpAA", reason.TokenMalformed},
		{"padded base64", strings.Replace(good, ".", "==.", 1), reason.TokenMalformed},
		{"16 KiB token", strings.Repeat("A", 16<<10), reason.TokenTooLarge},
		{"payload not JSON", h + "." + enc([]byte("hello")) + ".c2ln", reason.TokenMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := v.Verify(context.Background(), tt.token)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if id.Subject != "alice" || id.Issuer != testIss || !id.HasScope("write") {
					t.Fatalf("identity = %+v", id)
				}
				return
			}
			var re *reason.Error
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want reason %s", err, tt.want)
			}
			if re.Code != tt.want {
				t.Fatalf("reason = %s (%s), want %s", re.Code, re.Detail, tt.want)
			}
		})
	}
	if n := lured.Load(); n != 0 {
		t.Fatalf("the server named in jku/x5u received %d requests", n)
	}
}

// h2 builds a token with the given alg/kid header, payload and raw signature.
func h2(t testing.TB, alg, kid, payload string, sig []byte) string {
	hj, _ := json.Marshal(map[string]string{"alg": alg, "kid": kid})
	return base64.RawURLEncoding.EncodeToString(hj) + "." + payload + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// rawSigned signs a literal JSON payload with rsaKey as kid k1.
func rawSigned(t testing.TB, payload string) string {
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return mustSign(t, "RS256", rsaKey, map[string]any{"kid": "k1"}, m)
}

func TestTypeRequired(t *testing.T) {
	testKeys(t)
	is := &Issuer{Name: "s", Issuer: testIss, Audiences: []string{"api"}, Algorithms: []string{"RS256"},
		Keys: NewStaticKeys([]Key{{Public: &rsaKey.PublicKey}}), RequiredType: "at+jwt", RequireExp: true}
	v := newVerifier(t, is)
	for typ, want := range map[string]reason.Code{"at+jwt": "", "AT+JWT": "", "application/at+jwt": "", "JWT": reason.TokenTypeMismatch} {
		_, err := v.Verify(context.Background(), mustSign(t, "RS256", rsaKey, map[string]any{"typ": typ}, claims(nil)))
		if got := reason.CodeOf(err); got != want {
			t.Errorf("typ %q: reason %q, want %q (%v)", typ, got, want, err)
		}
	}
}

func TestHMACIssuer(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	is := &Issuer{Name: "h", Issuer: testIss, Audiences: []string{"api"}, Algorithms: []string{"HS256"},
		Keys: NewStaticKeys([]Key{{Secret: secret}}), RequireExp: true}
	v := newVerifier(t, is)
	if _, err := v.Verify(context.Background(), mustSign(t, "HS256", secret, nil, claims(nil))); err != nil {
		t.Fatal(err)
	}
	_, err := v.Verify(context.Background(), mustSign(t, "HS256", []byte("another secret of 32 bytes......"), nil, claims(nil)))
	if reason.CodeOf(err) != reason.TokenSignatureInvalid {
		t.Fatalf("wrong secret: %v", err)
	}
}

func TestJWKSRotationAndOutage(t *testing.T) {
	testKeys(t)
	js := newJWKSServer(t, jwksOf(t, map[string]any{"k1": &rsaKey.PublicKey}))
	v := newVerifier(t, remoteIssuer(t, js.URL))
	ctx := context.Background()
	old := mustSign(t, "RS256", rsaKey, map[string]any{"kid": "k1"}, claims(nil))
	if _, err := v.Verify(ctx, old); err != nil {
		t.Fatal(err)
	}
	// Rotation at the JWKS server: the new kid is fetched on first sight.
	rotated := jwksOf(t, map[string]any{"k2": &rsaKey2.PublicKey})
	js.body.Store(&rotated)
	if _, err := v.Verify(ctx, mustSign(t, "RS256", rsaKey2, map[string]any{"kid": "k2"}, claims(nil))); err != nil {
		t.Fatalf("rotated key: %v", err)
	}
	// The server goes down: cached keys keep working.
	js.down.Store(true)
	if _, err := v.Verify(ctx, mustSign(t, "RS256", rsaKey2, map[string]any{"kid": "k2", "x": 1}, claims(nil))); err != nil {
		t.Fatalf("cached key while JWKS down: %v", err)
	}
	// An unknown kid while the server is down cannot be judged: 503.
	_, err := v.Verify(ctx, mustSign(t, "RS256", rsaKey, map[string]any{"kid": "k9"}, claims(nil)))
	if reason.CodeOf(err) != reason.AuthUnavailable {
		t.Fatalf("unknown kid while down: %v", err)
	}
}

func TestJWKSDownAtStart(t *testing.T) {
	testKeys(t)
	js := newJWKSServer(t, jwksOf(t, map[string]any{"k1": &rsaKey.PublicKey}))
	js.down.Store(true)
	v := newVerifier(t, remoteIssuer(t, js.URL))
	tok := mustSign(t, "RS256", rsaKey, map[string]any{"kid": "k1"}, claims(nil))
	_, err := v.Verify(context.Background(), tok)
	re := reason.From(err)
	if re.Code != reason.AuthUnavailable || re.Entry().Status != http.StatusServiceUnavailable || re.RetryAfter <= 0 {
		t.Fatalf("JWKS down at start: %+v", re)
	}
	js.down.Store(false)
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("after JWKS recovered: %v", err)
	}
}

// countingKeys counts key look-ups, which only signature checks make.
type countingKeys struct {
	KeySource
	n atomic.Int32
}

func (c *countingKeys) Keys(ctx context.Context, kid string) ([]Key, error) {
	c.n.Add(1)
	return c.KeySource.Keys(ctx, kid)
}

func TestCacheSkipsSignatureAndHonoursExp(t *testing.T) {
	testKeys(t)
	keys := &countingKeys{KeySource: NewStaticKeys([]Key{{ID: "k1", Public: &rsaKey.PublicKey}})}
	now := time.Now()
	clock := func() time.Time { return now }
	v, err := New([]*Issuer{{Name: "s", Issuer: testIss, Audiences: []string{"api"}, Algorithms: []string{"RS256"},
		Keys: keys, RequireExp: true}}, Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	tok := mustSign(t, "RS256", rsaKey, map[string]any{"kid": "k1"}, claims(map[string]any{"exp": now.Add(time.Minute).Unix()}))
	for range 3 {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := keys.n.Load(); n != 1 {
		t.Fatalf("signature checked %d times for 3 uses of one token, want 1", n)
	}
	now = now.Add(2 * time.Minute)
	if _, err := v.Verify(context.Background(), tok); reason.CodeOf(err) != reason.TokenExpired {
		t.Fatalf("cached token after exp: %v", err)
	}
}

// TestRefusalsForGoodAreCached: a verified token refused for a reason that
// cannot change (expired, another audience) costs a lookup the second
// time, with the same reason; one that may become valid (nbf ahead) is
// checked again every time.
func TestRefusalsForGoodAreCached(t *testing.T) {
	testKeys(t)
	now := time.Now()
	clock := func() time.Time { return now }
	tests := []struct {
		name   string
		claims map[string]any
		want   reason.Code
		checks int32
	}{
		{"expired", map[string]any{"exp": now.Add(-time.Hour).Unix()}, reason.TokenExpired, 1},
		{"another audience", map[string]any{"aud": "other"}, reason.TokenAudienceMismatch, 1},
		{"not yet valid", map[string]any{"nbf": now.Add(time.Hour).Unix()}, reason.TokenNotYetValid, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys := &countingKeys{KeySource: NewStaticKeys([]Key{{ID: "k1", Public: &rsaKey.PublicKey}})}
			v, err := New([]*Issuer{{Name: "s", Issuer: testIss, Audiences: []string{"api"}, Algorithms: []string{"RS256"},
				Keys: keys, RequireExp: true}}, Options{Now: clock})
			if err != nil {
				t.Fatal(err)
			}
			tok := mustSign(t, "RS256", rsaKey, map[string]any{"kid": "k1"}, claims(tt.claims))
			var details []string
			for range 3 {
				_, err := v.Verify(context.Background(), tok)
				if reason.CodeOf(err) != tt.want {
					t.Fatalf("got %v, want %s", err, tt.want)
				}
				details = append(details, reason.From(err).Detail)
			}
			if n := keys.n.Load(); n != tt.checks {
				t.Errorf("signature checked %d times for 3 uses, want %d", n, tt.checks)
			}
			if details[0] != details[2] {
				t.Errorf("the cached refusal says %q, the first %q", details[2], details[0])
			}
		})
	}
}

func TestParseKeyFiles(t *testing.T) {
	testKeys(t)
	der, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	if keys, err := ParseKeyFile(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})); err != nil || len(keys) != 1 {
		t.Fatalf("PEM: %v %v", keys, err)
	}
	priv, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	if _, err := ParseKeyFile(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv})); err == nil {
		t.Fatal("a private key was accepted as a verification key")
	}
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	if _, err := ParseKeyFile(jwksOf(t, map[string]any{"s": &small.PublicKey})); err == nil {
		t.Fatal("a 1024-bit RSA key was accepted")
	}
	offCurve := []byte(`{"kty":"EC","crv":"P-256","x":"` + strings.Repeat("A", 43) + `","y":"` + strings.Repeat("A", 42) + `E"}`)
	if _, err := ParseKeyFile(offCurve); err == nil {
		t.Fatal("a point off the curve was accepted")
	}
}

func FuzzParseJWKS(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`))
	f.Add([]byte(`{"kty":"RSA","n":"AQAB","e":"AQAB"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, _, err := ParseJWKS(data)
		if err == nil && len(keys) == 0 {
			t.Fatal("no error and no keys")
		}
	})
}

func FuzzVerify(f *testing.F) {
	testKeys(f)
	secret := []byte("0123456789abcdef0123456789abcdef")
	v := newVerifier(f, &Issuer{Name: "h", Issuer: testIss, Audiences: []string{"api"}, Algorithms: []string{"HS256"},
		Keys: NewStaticKeys([]Key{{Secret: secret}}), RequireExp: true})
	f.Add(mustSign(f, "HS256", secret, nil, claims(nil)))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Fuzz(func(t *testing.T, tok string) {
		_, err := v.Verify(context.Background(), tok)
		if err != nil && reason.From(err).Code == reason.AuthUnavailable {
			t.Fatalf("a bad token was blamed on the gateway: %v", err)
		}
	})
}

func TestJWKAlgMustMatchToken(t *testing.T) {
	testKeys(t)
	is := &Issuer{Name: "s", Issuer: testIss, Audiences: []string{"api"}, Algorithms: []string{"RS256", "PS256"},
		Keys: NewStaticKeys([]Key{{ID: "k1", Alg: "PS256", Public: &rsaKey.PublicKey}}), RequireExp: true}
	v := newVerifier(t, is)
	_, err := v.Verify(context.Background(), mustSign(t, "RS256", rsaKey, map[string]any{"kid": "k1"}, claims(nil)))
	if reason.CodeOf(err) != reason.TokenAlgorithmRejected {
		t.Fatalf("RS256 token against a PS256 JWK: %v", err)
	}
	if _, err := v.Verify(context.Background(), mustSign(t, "PS256", rsaKey, map[string]any{"kid": "k1"}, claims(nil))); err != nil {
		t.Fatalf("PS256 token: %v", err)
	}
}

func TestEnvironment(t *testing.T) {
	testKeys(t)
	keys := NewStaticKeys([]Key{{Public: &rsaKey.PublicKey}})
	mk := func(env, claim string) *Verifier {
		v, err := New([]*Issuer{{Name: "s", Issuer: testIss, Audiences: []string{"api"}, Algorithms: []string{"RS256"},
			Keys: keys, RequireExp: true, Environment: env, EnvironmentClaim: claim}}, Options{CacheSize: -1, Environment: "live"})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		issuerEnv, claim string
		claims           map[string]any
		want             reason.Code
	}{
		{"live", "", nil, ""},
		{"test", "", nil, reason.CredentialWrongEnvironment},
		{"", "", nil, ""},
		{"live", "env", map[string]any{"env": "test"}, reason.CredentialWrongEnvironment},
		{"test", "env", map[string]any{"env": "live"}, ""},
		{"test", "env", nil, reason.CredentialWrongEnvironment},
	}
	for _, tt := range tests {
		_, err := mk(tt.issuerEnv, tt.claim).Verify(context.Background(), mustSign(t, "RS256", rsaKey, nil, claims(tt.claims)))
		if got := reason.CodeOf(err); got != tt.want {
			t.Errorf("issuer env %q claim %q %v: %q, want %q (%v)", tt.issuerEnv, tt.claim, tt.claims, got, tt.want, err)
		}
	}
}

// TestEveryCandidateKeyIsTried: when two keys share a kid, or a token has
// none, a signature by the second key verifies (RSA's ErrVerification
// must not end the loop).
func TestEveryCandidateKeyIsTried(t *testing.T) {
	testKeys(t)
	for _, alg := range []string{"RS256", "PS256"} {
		is := &Issuer{Name: "test", Issuer: testIss, Audiences: []string{"api"}, Algorithms: []string{alg}, RequireExp: true,
			Keys: NewStaticKeys([]Key{{ID: "k", Public: &rsaKey.PublicKey}, {ID: "k", Public: &rsaKey2.PublicKey}})}
		v := newVerifier(t, is)
		for name, header := range map[string]map[string]any{"shared kid": {"kid": "k"}, "no kid": nil} {
			if _, err := v.Verify(context.Background(), mustSign(t, alg, rsaKey2, header, claims(nil))); err != nil {
				t.Errorf("%s, %s, signed by the second key: %v", alg, name, err)
			}
		}
		if _, err := v.Verify(context.Background(), mustSign(t, alg, evilRS, map[string]any{"kid": "k"}, claims(nil))); reason.CodeOf(err) != reason.TokenSignatureInvalid {
			t.Errorf("%s, signed by neither: %v", alg, err)
		}
	}
}

// TestSignatureSpellingIsCanonical: the signature's base64url is decoded
// as strictly as the header and payload, so a token has one spelling.
func TestSignatureSpellingIsCanonical(t *testing.T) {
	testKeys(t)
	is := &Issuer{Name: "test", Issuer: testIss, Audiences: []string{"api"}, Algorithms: []string{"RS256"}, RequireExp: true,
		Keys: NewStaticKeys([]Key{{ID: "k", Public: &rsaKey.PublicKey}})}
	v := newVerifier(t, is)
	good := mustSign(t, "RS256", rsaKey, map[string]any{"kid": "k"}, claims(nil))
	if _, err := v.Verify(context.Background(), good); err != nil {
		t.Fatal(err)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, good[len(good)-1])
	others := 0
	for low := range 16 { // a 256-byte signature leaves 4 unused bits in its last character
		alt := last&^15 | low
		if alt == last {
			continue
		}
		others++
		spelled := good[:len(good)-1] + string(alphabet[alt])
		if _, err := v.Verify(context.Background(), spelled); reason.CodeOf(err) != reason.TokenMalformed {
			t.Errorf("another spelling of the signature (last character %c): %v", alphabet[alt], err)
		}
	}
	if others != 15 {
		t.Fatalf("%d other spellings tried, want 15", others)
	}
}

// TestScopesSplitOnSpacesOnly: RFC 6749 §3.3 separates scopes by 0x20
// alone; a tab, a no-break space, or a space inside an scp element is no
// separator the upstream could read differently, so the token is refused.
func TestScopesSplitOnSpacesOnly(t *testing.T) {
	testKeys(t)
	is := &Issuer{Name: "test", Issuer: testIss, Audiences: []string{"api"}, Algorithms: []string{"RS256"}, RequireExp: true,
		Keys: NewStaticKeys([]Key{{ID: "k", Public: &rsaKey.PublicKey}})}
	v := newVerifier(t, is)
	tests := []struct {
		name   string
		claims map[string]any
		want   []string // nil: refused as token_malformed
	}{
		{"scope", map[string]any{"scope": "read write"}, []string{"read", "write"}},
		{"doubled space", map[string]any{"scope": "read  write"}, []string{"read", "write"}},
		{"tab", map[string]any{"scope": "read\tadmin"}, nil},
		{"no-break space", map[string]any{"scope": "read\u00a0admin"}, nil},
		{"scp array", map[string]any{"scope": nil, "scp": []string{"read", "write"}}, []string{"read", "write"}},
		{"scp element with a space", map[string]any{"scope": nil, "scp": []string{"x admin", "read"}}, nil},
		{"scp string", map[string]any{"scope": nil, "scp": "read write"}, []string{"read", "write"}},
		{"scp quote", map[string]any{"scope": nil, "scp": []string{`a"b`}}, nil},
	}
	for _, tt := range tests {
		id, err := v.Verify(context.Background(), mustSign(t, "RS256", rsaKey, map[string]any{"kid": "k"}, claims(tt.claims)))
		switch {
		case tt.want == nil && reason.CodeOf(err) != reason.TokenMalformed:
			t.Errorf("%s: %v, want token_malformed", tt.name, err)
		case tt.want != nil && (err != nil || strings.Join(id.Scopes, ",") != strings.Join(tt.want, ",")):
			t.Errorf("%s: %v %v, want %v", tt.name, id.Scopes, err, tt.want)
		}
	}
}

// TestKeyPublishedAfterScheduledFetch: a provider that publishes a key
// just after the gateway's scheduled fetch (Ory Hydra makes its access
// token key on the first JWT it issues) has it found on first sight; the
// scheduled fetch does not use up the unknown-kid refetch, which stays
// bounded to one per MinRefetch.
func TestKeyPublishedAfterScheduledFetch(t *testing.T) {
	testKeys(t)
	js := newJWKSServer(t, jwksOf(t, map[string]any{"k1": &rsaKey.PublicKey}))
	rk := &RemoteKeys{URL: js.URL, RefreshEvery: time.Hour, MinRefetch: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rk.Start(ctx)
	eventually.True(t, 10*time.Second, "the scheduled fetch", func() bool { n, _ := rk.KeyCount(); return n == 1 })
	v := newVerifier(t, &Issuer{Name: "test", Issuer: testIss, Audiences: []string{"api"}, Algorithms: DefaultAlgorithms, Keys: rk, RequireExp: true})
	both := jwksOf(t, map[string]any{"k1": &rsaKey.PublicKey, "k2": &rsaKey2.PublicKey})
	js.body.Store(&both)
	if _, err := v.Verify(ctx, mustSign(t, "RS256", rsaKey2, map[string]any{"kid": "k2"}, claims(nil))); err != nil {
		t.Fatalf("a key published after the scheduled fetch: %v", err)
	}
	// Random kids: no further fetch within MinRefetch.
	for i := range 5 {
		_, err := v.Verify(ctx, mustSign(t, "RS256", rsaKey, map[string]any{"kid": fmt.Sprintf("r%d", i)}, claims(nil)))
		if reason.CodeOf(err) != reason.TokenKeyUnknown {
			t.Fatalf("random kid: %v", err)
		}
	}
	if n := js.hits.Load(); n != 2 {
		t.Errorf("%d fetches: want the scheduled one and one for the unknown kid", n)
	}
}

// TestAudienceClaim: Amazon Cognito's access tokens carry no aud, only
// client_id (its ID tokens carry aud and no client_id); audience_claim
// names the claim that holds the audience, and nothing else changes.
func TestAudienceClaim(t *testing.T) {
	testKeys(t)
	keys := NewStaticKeys([]Key{{ID: "k1", Public: &rsaKey.PublicKey}})
	cognito := &Issuer{Name: "cognito", Issuer: testIss, Audiences: []string{"1example23456789"}, AudienceClaim: "client_id",
		Algorithms: []string{"RS256"}, Keys: keys, RequireExp: true}
	plain := &Issuer{Name: "plain", Issuer: testIss, Audiences: []string{"1example23456789"}, Algorithms: []string{"RS256"}, Keys: keys, RequireExp: true}
	// Shaped like the Cognito documentation's tokens ("Understanding the
	// access token", "Understanding the identity token").
	access := claims(map[string]any{"aud": nil, "client_id": "1example23456789", "token_use": "access", "scope": "aws.cognito.signin.user.admin",
		"cognito:groups": []string{"ops"}, "username": "alice"})
	idToken := claims(map[string]any{"aud": "1example23456789", "token_use": "id", "email": "alice@example.com", "scope": nil})
	other := claims(map[string]any{"aud": nil, "client_id": "another-app", "token_use": "access"})
	tests := []struct {
		issuer *Issuer
		claims map[string]any
		want   reason.Code
	}{
		{cognito, access, ""},
		{cognito, idToken, reason.TokenAudienceMismatch},
		{cognito, other, reason.TokenAudienceMismatch},
		{plain, access, reason.TokenAudienceMismatch},
		{plain, idToken, ""},
	}
	for i, tc := range tests {
		v := newVerifier(t, tc.issuer)
		_, err := v.Verify(context.Background(), mustSign(t, "RS256", rsaKey, map[string]any{"kid": "k1"}, tc.claims))
		if reason.CodeOf(err) != tc.want {
			t.Errorf("%d (%s, %v): %v, want %q", i, tc.issuer.Name, tc.claims["token_use"], err, tc.want)
		}
		if tc.issuer == cognito && tc.want != "" && !strings.Contains(reason.From(err).Detail, "client_id") {
			t.Errorf("%d: the refusal does not name client_id: %v", i, err)
		}
	}
}

// TestKidPublishedDuringAFetch: a token whose kid the key set gains while
// a fetch is already in flight (an identity provider that makes its key
// on first use, as Hydra does) is judged after a fetch that began after
// the token was seen — never refused on the older fetch's answer.
func TestKidPublishedDuringAFetch(t *testing.T) {
	testKeys(t)
	old := jwksOf(t, map[string]any{"k1": &rsaKey.PublicKey})
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	var held atomic.Bool
	js := newJWKSServer(t, old)
	inner := js.Config.Handler
	js.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := *js.body.Load()
		if held.CompareAndSwap(false, true) {
			arrived <- struct{}{}
			<-release // answers the set as it was when the fetch began
			w.Write(body)
			return
		}
		inner.ServeHTTP(w, r)
	})
	rk := &RemoteKeys{URL: js.URL, RefreshEvery: time.Hour}
	go rk.refresh(context.Background(), true) // the scheduled fetch at start
	<-arrived
	rotated := jwksOf(t, map[string]any{"k1": &rsaKey.PublicKey, "k2": &rsaKey2.PublicKey})
	js.body.Store(&rotated)
	got := make(chan error, 1)
	go func() {
		_, err := rk.Keys(context.Background(), "k2")
		got <- err
	}()
	// The token's request queues behind the fetch in flight.
	eventually.True(t, 10*time.Second, "the request waits for the fetch in flight", func() bool {
		buf := make([]byte, 1<<20)
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if strings.Contains(g, "sync.(*Mutex).Lock") && strings.Contains(g, "(*RemoteKeys).refresh") {
				return true
			}
		}
		return false
	})
	close(release)
	if err := <-got; err != nil {
		t.Fatalf("kid k2, published while the first fetch was in flight: %v", err)
	}
}
