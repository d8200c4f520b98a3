package gateway

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/credential/dpop"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/reason"
)

const dpopRoutes = `
  - {name: bound, path: /v1/bound, dpop: allowed, upstream: "UP"}
  - {name: only, path: /v1/only, dpop: required, upstream: "UP"}`

// proofMaker signs DPoP proofs for the tests: a default proof for a
// request, changed field by field.
type proofMaker struct {
	t   *testing.T
	key *ecdsa.PrivateKey
	jkt string
}

func newProofMaker(t *testing.T) *proofMaker {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jkt, _ := jwt.Thumbprint(&key.PublicKey)
	return &proofMaker{t: t, key: key, jkt: jkt}
}

// make signs a proof for method and url carrying token; change edits the
// header and claims (a nil claim is removed; header members alg and
// signer choose another algorithm and signing key than ES256 and the
// proof's own).
func (m *proofMaker) make(method, url, token string, change func(h, c map[string]any)) string {
	jwk, err := dpop.PublicJWK(&m.key.PublicKey)
	if err != nil {
		m.t.Fatal(err)
	}
	h := map[string]any{"typ": "dpop+jwt", "jwk": jwk}
	c := map[string]any{"jti": randomID(), "htm": method, "htu": url, "iat": time.Now().Unix(), "ath": dpop.AccessTokenHash(token)}
	alg := "ES256"
	var signer any = m.key
	if change != nil {
		change(h, c)
	}
	if a, ok := h["alg"].(string); ok {
		alg = a
	}
	if s, ok := h["signer"]; ok {
		signer = s
		delete(h, "signer")
	}
	for k, v := range c {
		if v == nil {
			delete(c, k)
		}
	}
	p, err := jwt.Sign(alg, signer, h, c)
	if err != nil {
		m.t.Fatal(err)
	}
	return p
}

func randomID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestDPoPProofs: every way a DPoP proof or its token can be wrong gets
// its own status, reason and challenge: Bearer and DPoP (with the algs
// accepted) are offered, and the error goes on the challenge of the
// scheme the token came with.
func TestDPoPProofs(t *testing.T) {
	e := newEnvConfig(t, api.DetailFull, dpopRoutes)
	m := newProofMaker(t)
	url := e.gw.URL + "/v1/bound"
	bound := token(t, map[string]any{"cnf": map[string]any{"jkt": m.jkt}})
	unbound := token(t, nil)
	other := newProofMaker(t)
	boundElsewhere := token(t, map[string]any{"cnf": map[string]any{"jkt": other.jkt}})
	hmacKey := []byte(strings.Repeat("k", 32))
	privateJWK, _ := dpop.PublicJWK(&m.key.PublicKey)
	d, _ := m.key.Bytes()
	privateJWK["d"] = base64.RawURLEncoding.EncodeToString(d)
	replayed := m.make("GET", url, bound, nil)
	host := strings.TrimPrefix(e.gw.URL, "http://")

	type req struct {
		method, path, scheme, token string
		proofs                      []string
	}
	dp := func(proofs ...string) req { return req{"GET", "/v1/bound", "DPoP", bound, proofs} }
	tests := []struct {
		name   string
		req    req
		status int
		reason reason.Code
		// errScheme is the challenge that carries error; errValue its value.
		errScheme, errValue string
	}{
		{"good", dp(m.make("GET", url, bound, nil)), 200, "", "", ""},
		{"htu with a query: ignored", dp(m.make("GET", url+"?a=1", bound, nil)), 200, "", "", ""},
		{"htu with a fragment: ignored", dp(m.make("GET", url+"#top", bound, nil)), 200, "", "", ""},
		{"htu with upper-case scheme and host", dp(m.make("GET", "HTTP://"+strings.ToUpper(host)+"/v1/bound", bound, nil)), 200, "", "", ""},
		{"htu with a trailing slash", dp(m.make("GET", url+"/", bound, nil)), 401, reason.DPoPProofMismatch, "DPoP", "invalid_dpop_proof"},
		{"htu of another path", dp(m.make("GET", e.gw.URL+"/v1/data", bound, nil)), 401, reason.DPoPProofMismatch, "DPoP", "invalid_dpop_proof"},
		{"htu of another host", dp(m.make("GET", "http://api.example.com/v1/bound", bound, nil)), 401, reason.DPoPProofMismatch, "DPoP", "invalid_dpop_proof"},
		{"htu https for http", dp(m.make("GET", "https://"+host+"/v1/bound", bound, nil)), 401, reason.DPoPProofMismatch, "DPoP", "invalid_dpop_proof"},
		{"htm of another method", dp(m.make("POST", url, bound, nil)), 401, reason.DPoPProofMismatch, "DPoP", "invalid_dpop_proof"},
		{"htm in lower case", dp(m.make("get", url, bound, nil)), 401, reason.DPoPProofMismatch, "DPoP", "invalid_dpop_proof"},
		{"no proof", dp(), 401, reason.DPoPProofMissing, "DPoP", "invalid_dpop_proof"},
		{"two proofs", dp(m.make("GET", url, bound, nil), m.make("GET", url, bound, nil)), 401, reason.DPoPProofInvalid, "DPoP", "invalid_dpop_proof"},
		{"not a JWT", dp("not-a-proof"), 401, reason.DPoPProofInvalid, "DPoP", "invalid_dpop_proof"},
		{"typ JWT", dp(m.make("GET", url, bound, func(h, c map[string]any) { h["typ"] = "JWT" })), 401, reason.DPoPProofInvalid, "DPoP", "invalid_dpop_proof"},
		{"typ at+jwt", dp(m.make("GET", url, bound, func(h, c map[string]any) { h["typ"] = "at+jwt" })), 401, reason.DPoPProofInvalid, "DPoP", "invalid_dpop_proof"},
		{"alg HS256", dp(m.make("GET", url, bound, func(h, c map[string]any) { h["alg"], h["signer"] = "HS256", hmacKey })), 401, reason.DPoPProofInvalid, "DPoP", "invalid_dpop_proof"},
		{"alg not allow-listed (ES384)", dp(es384Proof(t, url, bound)), 401, reason.DPoPProofInvalid, "DPoP", "invalid_dpop_proof"},
		{"no jwk", dp(m.make("GET", url, bound, func(h, c map[string]any) { delete(h, "jwk") })), 401, reason.DPoPProofInvalid, "DPoP", "invalid_dpop_proof"},
		{"private key in jwk", dp(m.make("GET", url, bound, func(h, c map[string]any) { h["jwk"] = privateJWK })), 401, reason.DPoPProofInvalid, "DPoP", "invalid_dpop_proof"},
		{"signed by another key than its jwk", dp(m.make("GET", url, bound, func(h, c map[string]any) { h["signer"] = other.key })), 401, reason.DPoPProofInvalid, "DPoP", "invalid_dpop_proof"},
		{"no jti", dp(m.make("GET", url, bound, func(h, c map[string]any) { c["jti"] = nil })), 401, reason.DPoPProofInvalid, "DPoP", "invalid_dpop_proof"},
		{"no iat", dp(m.make("GET", url, bound, func(h, c map[string]any) { c["iat"] = nil })), 401, reason.DPoPProofInvalid, "DPoP", "invalid_dpop_proof"},
		{"iat five minutes old", dp(m.make("GET", url, bound, func(h, c map[string]any) { c["iat"] = time.Now().Add(-5 * time.Minute).Unix() })), 401, reason.DPoPProofInvalid, "DPoP", "invalid_dpop_proof"},
		{"iat five minutes ahead", dp(m.make("GET", url, bound, func(h, c map[string]any) { c["iat"] = time.Now().Add(5 * time.Minute).Unix() })), 401, reason.DPoPProofInvalid, "DPoP", "invalid_dpop_proof"},
		{"replayed jti (first use)", dp(replayed), 200, "", "", ""},
		{"replayed jti (second use)", dp(replayed), 401, reason.DPoPProofReplayed, "DPoP", "invalid_dpop_proof"},
		{"ath of another token", dp(m.make("GET", url, bound, func(h, c map[string]any) { c["ath"] = dpop.AccessTokenHash(unbound) })), 401, reason.DPoPProofTokenMismatch, "DPoP", "invalid_dpop_proof"},
		{"no ath", dp(m.make("GET", url, bound, func(h, c map[string]any) { c["ath"] = nil })), 401, reason.DPoPProofTokenMismatch, "DPoP", "invalid_dpop_proof"},
		{"cnf.jkt of another key", req{"GET", "/v1/bound", "DPoP", boundElsewhere, []string{m.make("GET", url, boundElsewhere, nil)}}, 401, reason.DPoPKeyMismatch, "DPoP", "invalid_token"},
		{"DPoP scheme, token not bound", req{"GET", "/v1/bound", "DPoP", unbound, []string{m.make("GET", url, unbound, nil)}}, 401, reason.DPoPTokenUnbound, "DPoP", "invalid_token"},
		{"bound token sent as Bearer", req{"GET", "/v1/bound", "Bearer", bound, nil}, 401, reason.DPoPBoundTokenAsBearer, "Bearer", "invalid_token"},
		{"bound token as Bearer with a proof", req{"GET", "/v1/bound", "Bearer", bound, []string{m.make("GET", url, bound, nil)}}, 401, reason.DPoPBoundTokenAsBearer, "Bearer", "invalid_token"},
		{"unbound Bearer where DPoP is allowed", req{"GET", "/v1/bound", "Bearer", unbound, nil}, 200, "", "", ""},
		{"unbound Bearer where DPoP is required", req{"GET", "/v1/only", "Bearer", unbound, nil}, 401, reason.DPoPRequired, "Bearer", "invalid_token"},
		{"DPoP where DPoP is required", req{"GET", "/v1/only", "DPoP", bound, []string{m.make("GET", e.gw.URL+"/v1/only", bound, nil)}}, 200, "", "", ""},
		{"DPoP where the issuer's default (off) applies", req{"GET", "/v1/data", "DPoP", bound, []string{m.make("GET", e.gw.URL+"/v1/data", bound, nil)}}, 401, reason.SchemeUnsupported, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			headers := []string{"Authorization", tt.req.scheme + " " + tt.req.token}
			for _, p := range tt.req.proofs {
				headers = append(headers, "DPoP", p)
			}
			r := e.do(tt.req.method, tt.req.path, headers...)
			if r.status != tt.status || r.problem.Reason != string(tt.reason) {
				t.Fatalf("%d %q (%s), want %d %q", r.status, r.problem.Reason, r.problem.Detail, tt.status, tt.reason)
			}
			if tt.status == 200 {
				return
			}
			checkDPoPChallenges(t, r, tt.errScheme, tt.errValue)
			if n := len(r.header.Values("DPoP-Nonce")); n != 0 {
				t.Errorf("%d DPoP-Nonce headers where no nonce is required", n)
			}
		})
	}
}

// checkDPoPChallenges asserts one Bearer and one DPoP challenge (with the
// algs accepted), in two WWW-Authenticate lines, and error=errValue on the
// challenge of errScheme only ("": on none).
func checkDPoPChallenges(t *testing.T, r result, errScheme, errValue string) {
	t.Helper()
	if n := len(r.header.Values("WWW-Authenticate")); n != 2 || len(r.challenges) != 2 {
		t.Fatalf("%d WWW-Authenticate lines, %d challenges; want 2 and 2: %q", n, len(r.challenges), r.header.Values("WWW-Authenticate"))
	}
	var seen []string
	for _, c := range r.challenges {
		seen = append(seen, c.Scheme)
		if c.Scheme == "DPoP" {
			if algs, _ := c.Get("algs"); algs != strings.Join(dpop.DefaultAlgorithms, " ") {
				t.Errorf("DPoP algs=%q", algs)
			}
		}
		got, has := c.Get("error")
		switch {
		case strings.EqualFold(c.Scheme, errScheme) && got != errValue:
			t.Errorf("%s error=%q, want %q", c.Scheme, got, errValue)
		case !strings.EqualFold(c.Scheme, errScheme) && has:
			t.Errorf("%s carries error=%q; only %s should", c.Scheme, got, errScheme)
		}
	}
	if strings.Join(seen, ",") != "Bearer,DPoP" {
		t.Errorf("challenges %v, want Bearer then DPoP", seen)
	}
}

// es384Proof is a proof under ES384 (a P-384 key), which the default
// allow-list does not name.
func es384Proof(t *testing.T, url, token string) string {
	key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p, _, err := dpop.Sign(key, "ES384", dpop.ProofRequest{Method: "GET", URL: url, AccessToken: token})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDPoPNonce: with nonces required, a proof without one and a proof
// with a stale one get 401 use_dpop_nonce with one DPoP-Nonce header;
// the proof made with it passes.
func TestDPoPNonce(t *testing.T) {
	e := newEnvConfig(t, api.DetailFull, dpopRoutes, "dpop: {nonce: true, nonce_lifetime: 10s}")
	m := newProofMaker(t)
	url := e.gw.URL + "/v1/bound"
	bound := token(t, map[string]any{"cnf": map[string]any{"jkt": m.jkt}})
	stale := dpop.NewNonces([]byte("Qx7vN2pLw9TzR4mK8sJdF3hB"), 10*time.Second).Current(time.Now().Add(-time.Minute))
	send := func(nonce string) result {
		return e.do("GET", "/v1/bound", "Authorization", "DPoP "+bound, "DPoP", m.make("GET", url, bound, func(h, c map[string]any) {
			if nonce != "" {
				c["nonce"] = nonce
			}
		}))
	}
	var fresh string
	for _, tt := range []struct{ name, nonce string }{{"missing", ""}, {"stale", stale}, {"not ours", "bm90LW91cnM"}} {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			r := send(tt.nonce)
			if r.status != 401 || r.problem.Reason != string(reason.DPoPNonceRequired) {
				t.Fatalf("%d %q, want 401 %s", r.status, r.problem.Reason, reason.DPoPNonceRequired)
			}
			checkDPoPChallenges(t, r, "DPoP", "use_dpop_nonce")
			if n := len(r.header.Values("DPoP-Nonce")); n != 1 {
				t.Fatalf("%d DPoP-Nonce headers, want 1", n)
			}
			fresh = r.header.Get("DPoP-Nonce")
		})
	}
	e.t = t
	if r := send(fresh); r.status != 200 {
		t.Fatalf("with the nonce given: %d %q (%s)", r.status, r.problem.Reason, r.problem.Detail)
	}
}

// TestDPoPDecision: behind nginx's auth_request the proof is judged
// against the original method and URL the trusted proxy describes, not
// the decision request's own.
func TestDPoPDecision(t *testing.T) {
	m := newProofMaker(t)
	bound := token(t, map[string]any{"cnf": map[string]any{"jkt": m.jkt}})
	original := "https://api.example.com:8443/v1/bound"
	// How each proxy describes GET https://api.example.com:8443/v1/bound?page=2.
	for _, c := range []struct {
		proxy, method, path string
		headers             []string
	}{
		{"nginx", "POST", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-Uri", "/v1/bound?page=2", "X-Original-Host", "api.example.com:8443", "X-Forwarded-Proto", "https"}},
		{"caddy", "POST", "/.authgate/decide", []string{"X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/v1/bound?page=2", "X-Forwarded-Host", "api.example.com:8443", "X-Forwarded-Proto", "https"}},
		{"envoy", "GET", "/.authgate/decide/v1/bound?page=2", []string{"Host", "api.example.com:8443", "X-Forwarded-Proto", "https"}},
		// ingress-nginx clears X-Forwarded-Proto: the scheme is the URL's.
		{"ingress-nginx", "GET", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-Url", "https://api.example.com:8443/v1/bound?page=2"}},
	} {
		e := newEnvConfig(t, api.DetailFull, dpopRoutes, "decision_proxy: "+c.proxy)
		tests := []struct {
			name, htu, htm string
			status         int
		}{
			{"the original request", original, "GET", 200},
			{"the decision endpoint's URL", e.gw.URL + "/.authgate/decide", "GET", 401},
			{"another method", original, "PUT", 401},
		}
		for _, tt := range tests {
			t.Run(c.proxy+" "+tt.name, func(t *testing.T) {
				e.t = t
				h := append([]string{"Authorization", "DPoP " + bound, "DPoP", m.make(tt.htm, tt.htu, bound, nil)}, c.headers...)
				r := e.do(c.method, c.path, h...)
				if r.status != tt.status {
					t.Fatalf("%d %q (%s), want %d", r.status, r.problem.Reason, r.problem.Detail, tt.status)
				}
				if tt.status != 200 && r.problem.Reason != string(reason.DPoPProofMismatch) {
					t.Fatalf("reason %q, want %s", r.problem.Reason, reason.DPoPProofMismatch)
				}
			})
		}
	}
}

// TestDPoPVerdictThenFull: nginx asks for the verdict alone, then, on a
// refusal, again in full with the same proof: the full answer gives the
// refusal's own reason (403 here), not dpop_proof_replayed; an allowed
// verdict's proof is used, and refused when sent again.
func TestDPoPVerdictThenFull(t *testing.T) {
	e := newEnvConfig(t, api.DetailFull, `
  - {name: scoped, path: /v1/scoped, scopes_all: [admin], dpop: allowed, upstream: "UP"}`+dpopRoutes)
	m := newProofMaker(t)
	bound := token(t, map[string]any{"cnf": map[string]any{"jkt": m.jkt}})
	ask := func(path, proof string, verdict bool) result {
		h := []string{"Authorization", "DPoP " + bound, "DPoP", proof,
			"X-Original-Method", "GET", "X-Original-Uri", path, "X-Original-Host", "api.example.com", "X-Forwarded-Proto", "https"}
		if verdict {
			h = append(h, "Authgate-Decision", "status")
		}
		return e.do("GET", "/.authgate/decide", h...)
	}
	proof := m.make("GET", "https://api.example.com/v1/scoped", bound, nil)
	if r := ask("/v1/scoped", proof, true); r.status != 403 {
		t.Fatalf("verdict: %d, want 403", r.status)
	}
	if r := ask("/v1/scoped", proof, false); r.status != 403 || r.problem.Reason != string(reason.InsufficientScope) {
		t.Fatalf("full answer: %d %q, want 403 %s", r.status, r.problem.Reason, reason.InsufficientScope)
	}
	used := m.make("GET", "https://api.example.com/v1/bound", bound, nil)
	if r := ask("/v1/bound", used, true); r.status != 200 {
		t.Fatalf("allowed verdict: %d %q", r.status, r.problem.Reason)
	}
	if r := ask("/v1/bound", used, false); r.status != 401 || r.problem.Reason != string(reason.DPoPProofReplayed) {
		t.Fatalf("the allowed verdict's proof again: %d %q, want 401 %s", r.status, r.problem.Reason, reason.DPoPProofReplayed)
	}
}

// TestDPoPIntrospected: an opaque token whose introspection answer binds
// it (cnf.jkt, RFC 9449 section 6.2) is held to its key like a JWT: with
// its proof it passes, as Bearer it is refused, with another key's proof
// too.
func TestDPoPIntrospected(t *testing.T) {
	m, other := newProofMaker(t), newProofMaker(t)
	idp := newIntrospectionServer(t, map[string]map[string]any{
		"opaque-bound": {"active": true, "sub": "svc-1", "scope": "read", "aud": "api", "exp": float64(time.Now().Add(time.Hour).Unix()),
			"token_type": "DPoP", "cnf": map[string]any{"jkt": m.jkt}},
	})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "secret"), []byte("s3cret-introspection\n"), 0o600)
	cfg, err := config.Parse(filepath.Join(dir, "i.yaml"), []byte(fmt.Sprintf(`
admin: {listen: ""}
issuers:
  - name: idp
    issuer: https://idp.test
    audiences: [api]
    discovery: false
    dpop: allowed
    introspection: {endpoint: "%s/introspect", client_id: gateway, client_secret_file: secret}
routes:
  - {name: r, path: /v1/*, upstream: "%s"}
`, idp.URL, "http://127.0.0.1:9")), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer up.Close()
	cfg.Routes[0].Upstream = up.URL
	g, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	defer srv.Close()
	url := srv.URL + "/v1/data"
	for _, c := range []struct {
		name, scheme, proof string
		status              int
		reason              reason.Code
	}{
		{"with its proof", "DPoP", m.make("GET", url, "opaque-bound", nil), 200, ""},
		{"as Bearer", "Bearer", "", 401, reason.DPoPBoundTokenAsBearer},
		{"with another key's proof", "DPoP", other.make("GET", url, "opaque-bound", nil), 401, reason.DPoPKeyMismatch},
	} {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", c.scheme+" opaque-bound")
		if c.proof != "" {
			req.Header.Set("DPoP", c.proof)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var p api.Problem
		json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != c.status || p.Reason != string(c.reason) {
			t.Errorf("%s: %d %q (%s), want %d %q", c.name, resp.StatusCode, p.Reason, p.Detail, c.status, c.reason)
		}
	}
}
