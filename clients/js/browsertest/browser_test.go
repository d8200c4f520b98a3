package browsertest

import (
	"context"
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

	"github.com/chromedp/chromedp"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/credential/apikey"
	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/internal/browsertest"
	"github.com/authgate/authgate/internal/gatewaytest"
	"github.com/authgate/authgate/internal/tokentest"
)

// dist is the compiled ESM of clients/js; the test skips without it (fails
// under CI, where .ci/run builds it first).
func dist(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "dist"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "index.js")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("clients/js/dist/index.js is missing, and CI must run this test: build it first (cd clients/js && npm ci && npm run build)")
		}
		t.Skip("clients/js/dist/index.js is missing: build it (cd clients/js && npm ci && npm run build) to run the browser test of the fetch wrapper")
	}
	return dir
}

// browser starts headless Chromium (Debian's chromium) with a fresh
// profile; it skips without one outside CI and fails under CI.
func browser(t *testing.T) context.Context {
	return browsertest.Chromium(t, "the fetch wrapper's browser test")
}

// seen is what the gateway received and answered, one entry per request.
type seen struct {
	mu   sync.Mutex
	reqs []seenRequest
	// more is closed (and replaced) whenever a request is recorded.
	more chan struct{}
}

type seenRequest struct {
	method, auth, apiKey, requestHeaders, requestID string
	status                                          int
}

func (s *seen) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		next.ServeHTTP(rec, r)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.reqs = append(s.reqs, seenRequest{method: r.Method, auth: r.Header.Get("Authorization"), apiKey: r.Header.Get("X-API-Key"),
			requestHeaders: r.Header.Get("Access-Control-Request-Headers"), requestID: w.Header().Get(api.RequestIDHeader), status: rec.status})
		if s.more != nil {
			close(s.more)
			s.more = nil
		}
	})
}

// awaitCount waits until n requests match, and reports whether they did
// within the bound. It may run on any goroutine.
func (s *seen) awaitCount(match func(seenRequest) bool, n int, within time.Duration) bool {
	bound := time.After(within)
	for {
		s.mu.Lock()
		if s.more == nil {
			s.more = make(chan struct{})
		}
		more := s.more
		s.mu.Unlock()
		if s.count(match) >= n {
			return true
		}
		select {
		case <-more:
		case <-bound:
			return false
		}
	}
}

// count is how many requests match.
func (s *seen) count(match func(seenRequest) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.reqs {
		if match(r) {
			n++
		}
	}
	return n
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>clients/js</title></head>
<body><script type="module">
import * as authgate from "/dist/index.js";
window.authgate = authgate;
document.body.dataset.ready = "1";
</script></body></html>
`

// TestBrowser calls a real gateway from a page of another origin (another
// loopback port) through the compiled fetch wrapper: five concurrent calls
// with an expired token share one refresh and then succeed; a refused
// refresh asks the page to sign in once; a revoked API key's error carries
// credential_revoked, the Request-Id and the challenge (so CORS exposes
// WWW-Authenticate); the browser sent the CORS preflight first.
func TestBrowser(t *testing.T) {
	distDir := dist(t)
	ctx := browser(t)

	const issuer = "https://issuer.test"
	claims := map[string]any{"iss": issuer, "aud": "api", "sub": "browser-user", "scope": "read"}
	expired := tokentest.Sign(t, claims, map[string]any{"iat": time.Now().Add(-2 * time.Hour).Unix(), "exp": time.Now().Add(-time.Hour).Unix()})

	// The page's own origin: the page, the compiled ESM, and the page's
	// token endpoint (same-origin, as a BFF's would be).
	var refreshes atomic.Int32
	var refuse atomic.Bool
	var fresh atomic.Value
	mux := http.NewServeMux()
	mux.HandleFunc("GET /index.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	})
	mux.Handle("GET /dist/", http.StripPrefix("/dist/", http.FileServer(http.Dir(distDir))))
	var gw seen
	refusedExpired := func(r seenRequest) bool { return r.method == "GET" && r.auth == "Bearer "+expired && r.status == 401 }
	mux.HandleFunc("POST /refresh", func(w http.ResponseWriter, r *http.Request) {
		// Each round sends five calls with the expired token: the refresh
		// is held until the gateway has refused all five, so every 401
		// meets this one refresh in flight.
		round := int(refreshes.Add(1))
		if !gw.awaitCount(refusedExpired, 5*round, 10*time.Second) {
			t.Errorf("refresh %d: the gateway did not refuse %d calls with the expired token within 10s", round, 5*round)
		}
		if refuse.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"invalid_grant"}`)
			return
		}
		tok := tokentest.Sign(t, claims, map[string]any{"jti": fmt.Sprint(time.Now().UnixNano())})
		fresh.Store(tok)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"access_token": tok})
	})
	site := httptest.NewServer(mux)
	t.Cleanup(site.Close)

	// The gateway, configured like the demo, with CORS for the page's origin.
	jwks := tokentest.JWKS()
	js := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(jwks) }))
	t.Cleanup(js.Close)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"data": []string{"alpha", "beta"}, "subject": r.Header.Get("X-Authgate-Subject")})
	}))
	t.Cleanup(up.Close)
	a, cfg := gatewaytest.NewApp(t, fmt.Sprintf(`admin: {listen: ""}
data_dir: %s
realm: api
detail: full
environment: live
issuers:
  - name: main
    issuer: %s
    audiences: [api]
    algorithms: [RS256]
    jwks_url: %s
routes:
  - name: data
    path: /v1/data
    methods: [GET, POST]
    schemes: [bearer, apikey]
    scopes_all: [read]
    upstream: %s
    cors:
      allowed_origins: [%s]
      allowed_methods: [GET, POST]
      allowed_headers: [authorization, content-type, x-api-key]
      max_age: 10m
`, t.TempDir(), issuer, js.URL, up.URL, site.URL))
	key, revoked, err := apikey.Create(context.Background(), a.Store(), apikey.Spec{Name: "browser", Environment: "live", Scopes: []string{"read"}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Store().RevokeKey(context.Background(), key.ID, time.Now(), "test"); err != nil {
		t.Fatal(err)
	}
	gwURL := "http://" + gatewaytest.Serve(t, gw.wrap(gateway.NewServer(cfg, a.Handler()).Handler))
	if strings.EqualFold(gwURL, site.URL) {
		t.Fatalf("the page and the gateway share the origin %s", gwURL)
	}

	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, chromedp.Navigate(site.URL+"/index.html"), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="1"]`))); err != nil {
		t.Fatalf("loading the page and the compiled ESM from %s: %v", site.URL, err)
	}
	// run evaluates a script's async body in the page and decodes the JSON
	// it returns.
	run := func(what, body string, out any) {
		t.Helper()
		script := fmt.Sprintf(`(async () => {
const GATEWAY = %q, EXPIRED = %q, REVOKED = %q;
const { createAuthFetch, AuthError } = window.authgate;
let token = EXPIRED, signIns = 0;
const refresh = async () => {
  const r = await fetch("/refresh", { method: "POST" });
  if (!r.ok) throw new Error("the token endpoint refused: " + r.status);
  return (token = (await r.json()).access_token);
};
const describe = (e) => e instanceof AuthError
  ? { name: e.name, status: e.status, reason: e.reason, error: e.error, detail: e.detail, requestId: e.requestId, message: e.message, challenges: e.challenges.map((c) => c.scheme) }
  : { name: String(e && e.name), message: String(e && e.message) };
%s
})()`, gwURL, expired, revoked, body)
		ectx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		got, err := chromedp.Run(ectx, chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		t.Logf("%s: %s", what, got)
		if err := json.Unmarshal([]byte(got), out); err != nil {
			t.Fatalf("%s: %v in %s", what, err, got)
		}
	}

	// 1. An expired token, five concurrent calls: one refresh, five 200s.
	var first struct {
		Statuses []int `json:"statuses"`
		SignIns  int   `json:"signIns"`
	}
	run("expired token, five calls", `
const f = createAuthFetch({ getToken: () => token, refresh, onSignInRequired: () => signIns++ });
const answers = await Promise.all([1, 2, 3, 4, 5].map((i) => f(GATEWAY + "/v1/data?i=" + i)));
return JSON.stringify({ statuses: answers.map((r) => r.status), signIns });`, &first)
	if fmt.Sprint(first.Statuses) != "[200 200 200 200 200]" || first.SignIns != 0 {
		t.Errorf("five calls with an expired token: statuses %v, onSignInRequired %d times", first.Statuses, first.SignIns)
	}
	if n := refreshes.Load(); n != 1 {
		t.Errorf("five concurrent 401s made %d refreshes, not one", n)
	}
	newToken, _ := fresh.Load().(string)
	if n := gw.count(refusedExpired); n != 5 {
		t.Errorf("the gateway refused %d calls with the expired token, not 5", n)
	}
	if n := gw.count(func(r seenRequest) bool { return r.method == "GET" && r.auth == "Bearer "+newToken && r.status == 200 }); newToken == "" || n != 5 {
		t.Errorf("the gateway passed %d retries with the refreshed token, not 5", n)
	}
	preflights := gw.count(func(r seenRequest) bool {
		return r.method == "OPTIONS" && r.status == 204 && strings.Contains(strings.ToLower(r.requestHeaders), "authorization")
	})
	if preflights == 0 {
		t.Errorf("the gateway saw no CORS preflight for Authorization")
	}
	t.Logf("the gateway answered %d preflight(s) before the calls", preflights)

	// 2. The token endpoint refuses: onSignInRequired once, every call
	// rejects with the gateway's reason and challenge.
	refuse.Store(true)
	var second struct {
		SignIns int              `json:"signIns"`
		Errors  []map[string]any `json:"errors"`
	}
	run("refresh refused, five calls", `
const f = createAuthFetch({ getToken: () => token, refresh, onSignInRequired: () => signIns++ });
const results = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => f(GATEWAY + "/v1/data?j=" + i)));
return JSON.stringify({ signIns, errors: results.map((r) => r.status === "rejected" ? describe(r.reason) : { status: r.value.status }) });`, &second)
	if second.SignIns != 1 {
		t.Errorf("a refused refresh called onSignInRequired %d times, not once", second.SignIns)
	}
	if n := refreshes.Load(); n != 2 {
		t.Errorf("%d refreshes in all, not 2", n)
	}
	for _, e := range second.Errors {
		if e["name"] != "AuthError" || e["reason"] != "token_expired" || e["error"] != "invalid_token" || e["requestId"] == "" {
			t.Errorf("after a refused refresh: %v", e)
		}
	}

	// 3. A revoked API key: no retry; the error names credential_revoked,
	// the Request-Id, and the challenges (WWW-Authenticate is exposed).
	var third map[string]any
	run("revoked API key", `
const f = createAuthFetch({ getToken: () => REVOKED, header: "X-API-Key" });
const err = await f(GATEWAY + "/v1/data").then(() => null, (e) => e);
return JSON.stringify(describe(err));`, &third)
	revokedCalls := gw.count(func(r seenRequest) bool { return r.method == "GET" && r.apiKey == revoked })
	var rid string
	gw.mu.Lock()
	for _, r := range gw.reqs {
		if r.method == "GET" && r.apiKey == revoked {
			rid = r.requestID
		}
	}
	gw.mu.Unlock()
	if third["name"] != "AuthError" || third["status"] != float64(401) || third["reason"] != "credential_revoked" {
		t.Errorf("revoked key: %v", third)
	}
	if rid == "" || third["requestId"] != rid {
		t.Errorf("revoked key: the error's Request-Id is %v, the gateway sent %q", third["requestId"], rid)
	}
	if cs, _ := third["challenges"].([]any); len(cs) == 0 {
		t.Errorf("revoked key: no challenge read: WWW-Authenticate is not exposed to the page (%v)", third)
	}
	if msg, _ := third["message"].(string); strings.Contains(msg, revoked) || !strings.Contains(msg, "credential_revoked") {
		t.Errorf("revoked key: message %q", msg)
	}
	if revokedCalls != 1 {
		t.Errorf("the revoked key was sent %d times, not once", revokedCalls)
	}
	if n := gw.count(func(r seenRequest) bool {
		return r.method == "OPTIONS" && strings.Contains(strings.ToLower(r.requestHeaders), "x-api-key")
	}); n == 0 {
		t.Errorf("the gateway saw no CORS preflight for X-API-Key")
	}
}
