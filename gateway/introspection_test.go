package gateway

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/reason"
)

// introspectionServer answers RFC 7662 requests from a table of tokens,
// checking the gateway's client authentication; down makes it fail.
type introspectionServer struct {
	*httptest.Server
	mu     sync.Mutex
	active map[string]map[string]any
	calls  atomic.Int32
	down   atomic.Bool
}

func newIntrospectionServer(t *testing.T, active map[string]map[string]any) *introspectionServer {
	s := &introspectionServer{active: active}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		user, pass, ok := r.BasicAuth()
		switch {
		case s.down.Load():
			http.Error(w, "upstream trouble", http.StatusBadGateway)
			return
		case r.Method != http.MethodPost || !ok || user != "gateway" || pass != "s3cret-introspection":
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		r.ParseForm()
		s.mu.Lock()
		answer, known := s.active[r.PostForm.Get("token")]
		s.mu.Unlock()
		if !known {
			answer = map[string]any{"active": false}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(answer)
	}))
	t.Cleanup(s.Close)
	return s
}

// TestIntrospection: opaque tokens are judged by the issuer's RFC 7662
// endpoint — active → the identity (scopes, claims); inactive → 401
// token_inactive; another audience → 401; the endpoint down → 503, never
// 401 — and answers are cached: a revocation at the provider shows after
// cache_ttl.
func TestIntrospection(t *testing.T) {
	exp := float64(time.Now().Add(time.Hour).Unix())
	idp := newIntrospectionServer(t, map[string]map[string]any{
		"opaque-good":   {"active": true, "sub": "svc-1", "scope": "read", "exp": exp, "aud": "api", "roles": []string{"admin"}},
		"opaque-noread": {"active": true, "sub": "svc-2", "scope": "write", "exp": exp},
		"opaque-other":  {"active": true, "sub": "svc-3", "scope": "read", "aud": "another-api"},
	})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "secret"), []byte("s3cret-introspection\n"), 0o600)
	cfg, err := config.Parse(filepath.Join(dir, "i.yaml"), []byte(fmt.Sprintf(`
admin: {listen: ""}
claim_headers: {Roles: roles}
issuers:
  - name: idp
    issuer: https://idp.test
    audiences: [api]
    discovery: false
    introspection: {endpoint: "%s/introspect", client_id: gateway, client_secret_file: secret, cache_ttl: 300ms}
routes:
  - {name: r, path: /v1/*, scopes_all: [read], upstream: "http://127.0.0.1:9"}
`, idp.URL)), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	var seen atomic.Pointer[http.Request]
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen.Store(r) }))
	defer up.Close()
	cfg.Routes[0].Upstream = up.URL
	// The verifier's clock stands still until the test moves it past
	// cache_ttl: the cached answers cannot expire early on a slow machine.
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	g, err := New(cfg, Options{Now: func() time.Time { return time.Unix(0, clock.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	defer srv.Close()
	call := func(tok string) (int, string) {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/x", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p struct {
			Reason string `json:"reason"`
		}
		json.NewDecoder(resp.Body).Decode(&p)
		return resp.StatusCode, p.Reason
	}
	tests := []struct {
		token  string
		status int
		reason reason.Code
	}{
		{"opaque-good", 200, ""},
		{"opaque-noread", 403, reason.InsufficientScope},
		{"opaque-other", 401, reason.TokenAudienceMismatch},
		{"opaque-unknown", 401, reason.TokenInactive},
	}
	for _, tt := range tests {
		if status, why := call(tt.token); status != tt.status || why != string(tt.reason) {
			t.Errorf("%s: %d %q, want %d %q", tt.token, status, why, tt.status, tt.reason)
		}
	}
	if got := seen.Load().Header.Get("X-Authgate-Claim-Roles"); got != `["admin"]` {
		t.Errorf("claims from the introspection answer: X-Authgate-Claim-Roles %q", got)
	}
	if strings.Contains(seen.Load().Header.Get("Authorization"), "opaque") {
		t.Error("the token reached the upstream")
	}
	before := idp.calls.Load()
	call("opaque-good")
	call("opaque-unknown")
	if n := idp.calls.Load() - before; n != 0 {
		t.Errorf("%d introspections for answers in the cache", n)
	}
	// Revoked at the provider: refused once the cached answer expires.
	idp.mu.Lock()
	delete(idp.active, "opaque-good")
	idp.mu.Unlock()
	if status, _ := call("opaque-good"); status != 200 {
		t.Errorf("revoked at the provider, within cache_ttl: %d, want the cached answer", status)
	}
	clock.Add(int64(350 * time.Millisecond))
	if status, why := call("opaque-good"); status != 401 || why != string(reason.TokenInactive) {
		t.Errorf("after revocation: %d %q", status, why)
	}
	// The endpoint down: the gateway's fault, never the token's.
	idp.down.Store(true)
	if status, why := call("opaque-new"); status != 503 || why != string(reason.AuthUnavailable) {
		t.Errorf("endpoint down: %d %q", status, why)
	}
}

// TestIntrospectionAnswersReadExactly: an introspection answer is read
// like a JWT's claims — exact, case-sensitive member names (SCOPE is not
// scope), one rule for scopes (a tab inside a scope is no separator) —
// and an answer naming a member twice means two things at once: it is the
// endpoint's fault, 503 auth_unavailable, never a 401 and never the last
// value. The upstream receives only scopes that were granted.
func TestIntrospectionAnswersReadExactly(t *testing.T) {
	answers := map[string]string{
		"case":          `{"active":true,"sub":"s1","scope":"read","SCOPE":"read admin"}`,
		"case-active":   `{"ACTIVE":true,"sub":"s2","scope":"read admin"}`,
		"dup-scope":     `{"active":true,"sub":"s3","scope":"read","scope":"read admin"}`,
		"dup-active":    `{"active":false,"active":true,"sub":"s4","scope":"read admin"}`,
		"dup-escaped":   `{"active":true,"sub":"s5","act\u0069ve":false,"scope":"read admin"}`,
		"dup-sub":       `{"active":true,"sub":"s6","sub":"root","scope":"read admin"}`,
		"tab-scope":     `{"active":true,"sub":"s7","scope":"x\tadmin read"}`,
		"nbsp-scope":    `{"active":true,"sub":"s8","scope":"read\u00a0admin"}`,
		"doubled-space": `{"active":true,"sub":"s9","scope":"read  admin"}`,
		"active-string": `{"active":"true","sub":"s10","scope":"read admin"}`,
	}
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		answer, ok := answers[r.PostForm.Get("token")]
		if !ok {
			answer = `{"active":false}`
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, answer)
	}))
	defer idp.Close()
	var seen sync.Map // token → X-Authgate-Scopes the upstream received
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		principal := r.Header.Get("X-Authgate-Subject") // token:<issuer name>:<sub>
		seen.Store(principal[strings.LastIndexByte(principal, ':')+1:], r.Header.Get("X-Authgate-Scopes"))
	}))
	defer up.Close()
	cfg, err := config.Parse("i.yaml", []byte(fmt.Sprintf(`
admin: {listen: ""}
issuers:
  - name: idp
    issuer: https://idp.test
    audiences: [api]
    discovery: false
    introspection: {endpoint: "%s/introspect", client_id: gateway, client_secret: s3cret-introspection}
routes:
  - {name: admin, path: /admin/*, scopes_all: [admin], upstream: "%s"}
  - {name: read, path: /v1/*, scopes_all: [read], upstream: "%s"}
`, idp.URL, up.URL, up.URL)), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	defer srv.Close()
	tests := []struct {
		token, path string
		status      int
		reason      reason.Code
		subject     string // reaches the upstream with scopes
		scopes      string
	}{
		{"case", "/admin/x", 403, reason.InsufficientScope, "", ""},
		{"case", "/v1/x", 200, "", "s1", "read"},
		{"case-active", "/v1/x", 401, reason.TokenInactive, "", ""},
		{"dup-scope", "/admin/x", 503, reason.AuthUnavailable, "", ""},
		{"dup-active", "/admin/x", 503, reason.AuthUnavailable, "", ""},
		{"dup-escaped", "/admin/x", 503, reason.AuthUnavailable, "", ""},
		{"dup-sub", "/v1/x", 503, reason.AuthUnavailable, "", ""},
		{"tab-scope", "/v1/x", 503, reason.AuthUnavailable, "", ""},
		{"tab-scope", "/admin/x", 503, reason.AuthUnavailable, "", ""},
		{"nbsp-scope", "/v1/x", 503, reason.AuthUnavailable, "", ""},
		{"doubled-space", "/admin/x", 200, "", "s9", "read admin"},
		{"active-string", "/v1/x", 503, reason.AuthUnavailable, "", ""},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", srv.URL+tt.path, nil)
		req.Header.Set("Authorization", "Bearer "+tt.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Reason string `json:"reason"`
			Detail string `json:"detail"`
		}
		json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != tt.status || p.Reason != string(tt.reason) {
			t.Errorf("%s on %s: %d %q (%s), want %d %q", tt.token, tt.path, resp.StatusCode, p.Reason, p.Detail, tt.status, tt.reason)
		}
		if tt.subject != "" {
			if got, _ := seen.Load(tt.subject); got != tt.scopes {
				t.Errorf("%s: the upstream received scopes %q, want %q", tt.token, got, tt.scopes)
			}
		}
	}
	// Nothing refused reached the upstream with the scopes it claimed.
	seen.Range(func(k, v any) bool {
		if s := v.(string); strings.ContainsAny(s, "\t\u00a0") {
			t.Errorf("subject %v reached the upstream with scopes %q", k, s)
		}
		return true
	})
}
