package jwt

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/reason"
)

// TestIntrospectionPrivateKeyJWT: with private_key_jwt the gateway
// authenticates to the endpoint by an RFC 7523 client assertion — signed
// by its key, issued by and about its client id, for the endpoint, short
// lived — and sends no secret.
func TestIntrospectionPrivateKeyJWT(t *testing.T) {
	testKeys(t)
	der, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	keyFile := filepath.Join(t.TempDir(), "client.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		assertion := r.PostForm.Get("client_assertion")
		_, _, hasBasic := r.BasicAuth()
		ok := r.PostForm.Get("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" &&
			r.PostForm.Get("client_id") == "gateway" && !hasBasic && r.PostForm.Get("client_secret") == "" &&
			CheckSignature(assertion, []Key{{ID: "gw-1", Public: &rsaKey.PublicKey}}) == nil
		if ok {
			d, err := Decode(assertion)
			var aud, iss, sub string
			var exp, iat float64
			json.Unmarshal(d.Claims["aud"], &aud)
			json.Unmarshal(d.Claims["iss"], &iss)
			json.Unmarshal(d.Claims["sub"], &sub)
			json.Unmarshal(d.Claims["exp"], &exp)
			json.Unmarshal(d.Claims["iat"], &iat)
			_, hasJTI := d.Claims["jti"]
			ok = err == nil && aud == srv.URL+"/introspect" && iss == "gateway" && sub == "gateway" && hasJTI && exp-iat <= 60 && string(d.Header["kid"]) == `"gw-1"`
		}
		if !ok {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"active": true, "sub": "svc", "scope": "read"})
	}))
	defer srv.Close()
	cfg := Introspection{Endpoint: srv.URL + "/introspect", ClientID: "gateway", Auth: "private_key_jwt", ClientKeyFile: keyFile, ClientKeyID: "gw-1"}
	if err := cfg.check(false, os.ReadFile); err != nil {
		t.Fatal(err)
	}
	in := newIntrospector(cfg, &Issuer{Name: "idp", Issuer: "https://idp.test", Audiences: []string{"api"}}, nil)
	id, _, err := in.introspect(context.Background(), "opaque-token", time.Now())
	if err != nil || id.Subject != "svc" {
		t.Fatalf("introspection with private_key_jwt: %+v %v", id, err)
	}
	// Misconfigured: no key file, or a secret where a private key is needed.
	for _, bad := range []Introspection{
		{Endpoint: srv.URL, ClientID: "gateway", Auth: "private_key_jwt"},
		{Endpoint: srv.URL, ClientID: "gateway", Auth: "jwt"},
	} {
		if err := bad.check(false, os.ReadFile); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// TestIntrospectingJWTs: with introspection.jwts an issuer's JWTs, once
// they verify here, are also asked about at the endpoint, so a JWT revoked
// at the provider is refused (token_inactive); without it the endpoint
// never hears of a JWT. The endpoint down is 503 either way it is asked.
func TestIntrospectingJWTs(t *testing.T) {
	testKeys(t)
	var calls atomic.Int64
	var active, down atomic.Bool
	active.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if down.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		if !active.Load() {
			io.WriteString(w, `{"active":false}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"active": true, "sub": "alice", "aud": "api", "iss": testIss, "exp": time.Now().Add(time.Hour).Unix()})
	}))
	defer srv.Close()
	issuer := func(jwts bool) *Issuer {
		cfg := &Introspection{Endpoint: srv.URL, ClientID: "gateway", ClientSecret: "s3cret-s3cret-s3cret", JWTs: jwts, CacheTTL: time.Hour}
		if err := cfg.check(false, os.ReadFile); err != nil {
			t.Fatal(err)
		}
		return &Issuer{Name: "idp", Issuer: testIss, Audiences: []string{"api"}, Algorithms: []string{"RS256"},
			Keys: NewStaticKeys([]Key{{ID: "k1", Public: &rsaKey.PublicKey}}), RequireExp: true, Introspection: cfg}
	}
	tok := func(n int) string {
		return mustSign(t, "RS256", rsaKey, map[string]any{"kid": "k1"}, claims(map[string]any{"jti": fmt.Sprint(n)}))
	}
	ctx := context.Background()

	plain := newVerifier(t, issuer(false))
	if _, err := plain.Verify(ctx, tok(1)); err != nil || calls.Load() != 0 {
		t.Fatalf("without jwts: %v, %d introspections", err, calls.Load())
	}

	v, err := New([]*Issuer{issuer(true)}, Options{CacheSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if id, err := v.Verify(ctx, tok(2)); err != nil || id.Subject != "alice" || calls.Load() != 1 {
		t.Fatalf("an active JWT: %v, %d introspections", err, calls.Load())
	}
	if _, err := v.Verify(ctx, tok(2)); err != nil || calls.Load() != 1 {
		t.Fatalf("the same JWT again: %v, %d introspections (the answer is cached)", err, calls.Load())
	}
	active.Store(false)
	if _, err := v.Verify(ctx, tok(3)); reason.CodeOf(err) != reason.TokenInactive {
		t.Errorf("a JWT the provider says is inactive: %v", err)
	}
	down.Store(true)
	if _, err := v.Verify(ctx, tok(4)); reason.CodeOf(err) != reason.AuthUnavailable {
		t.Errorf("a JWT with the endpoint down: %v", err)
	}
	// A forged JWT never reaches the endpoint: the signature comes first.
	before := calls.Load()
	forged := mustSign(t, "RS256", rsaKey2, map[string]any{"kid": "k1"}, claims(nil))
	if _, err := v.Verify(ctx, forged); reason.CodeOf(err) != reason.TokenSignatureInvalid || calls.Load() != before {
		t.Errorf("a forged JWT: %v, %d introspections", err, calls.Load()-before)
	}
}
