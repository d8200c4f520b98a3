package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/internal/logtest"
	"github.com/authgate/authgate/internal/tokentest"
	"github.com/authgate/authgate/reason"
	"github.com/authgate/authgate/store/sqlite"
)

const issuerURL = "https://issuer.test"

// env is a gateway on loopback with a real upstream and a real JWKS server.
type env struct {
	t        testing.TB
	gw       *testServer
	upstream *httptest.Server
	jwksDown atomic.Bool
	logs     *logtest.Buffer
	g        *Gateway
	store    *sqlite.Store
	dataDir  string
	// seen is the last request the upstream received.
	seen atomic.Pointer[http.Request]
}

const testConfig = `
realm: api
environment: live
failure_limit: {per_credential: 1000, per_client: 1000, window: 1m}
detail: %s
fingerprint_key: Qx7vN2pLw9TzR4mK8sJdF3hB
issuers:
  - name: main
    issuer: https://issuer.test
    audiences: [api]
    jwks_url: %s
    jwks_min_refetch: 1s
routes:
  - {name: public, path: /public/*, public: true, upstream: "%[3]s"}
  - {name: read, path: /v1/data, methods: [GET], scopes_all: [read], upstream: "%[3]s"}
  - {name: write, path: /v1/data, methods: [POST], scopes_all: [write], upstream: "%[3]s"}
  - {name: any, path: "/v1/reports/{id}", scopes_any: [reports, admin], upstream: "%[3]s", forward_authorization: true}
  - {name: slow, path: /slow, upstream: "%[3]s", upstream_timeout: 200ms}
  - {name: dead, path: /dead, upstream: "%[4]s"}
  - {name: keyed, path: /keyed/*, schemes: [apikey, basic], scopes_all: [read], upstream: "%[3]s"}
  - {name: keyq, path: /keyq, schemes: [apikey], api_key_query: api_key, upstream: "%[3]s"}
  - {name: mixed, path: /v1/mixed, scopes_all: [read], scopes_any: [reports, admin], upstream: "%[3]s"}
`

// newEnvWithRoutes starts the gateway with more routes (their "UP" is the
// upstream's URL).
func newEnvWithRoutes(t testing.TB, routes string) *env {
	return newEnvConfig(t, api.DetailFull, routes)
}

// newEnv starts the gateway; extra lines are appended to the configuration.
func newEnv(t testing.TB, detail api.Detail, extra ...string) *env {
	return newEnvConfig(t, detail, "", extra...)
}

func newEnvConfig(t testing.TB, detail api.Detail, routes string, extra ...string) *env {
	t.Helper()
	return newEnvState(t, nil, detail, routes, extra...)
}

// newEnvState is newEnvConfig with long-lived state of the test's own
// (nil: a new one).
func newEnvState(t testing.TB, state *State, detail api.Detail, routes string, extra ...string) *env {
	t.Helper()
	e := &env{t: t, logs: &logtest.Buffer{}}
	jwks := tokentest.JWKS()
	js := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.jwksDown.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		w.Write(jwks)
	}))
	t.Cleanup(js.Close)
	e.upstream = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.seen.Store(r)
		if r.URL.Path == "/slow" {
			// Answers only when the gateway gives up on it (route slow's
			// upstream_timeout), or after 10 s so that a gateway that
			// never gives up fails the test instead of hanging it.
			select {
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Second):
			}
		}
		if r.Header.Get("X-Test-Upstream-Request-Id") != "" {
			w.Header().Set("Request-Id", "set-by-the-upstream")
		}
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "upstream:"+r.URL.Path)
	}))
	t.Cleanup(e.upstream.Close)
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadURL := "http://" + dead.Addr().String()
	dead.Close()
	doc := fmt.Sprintf(testConfig, detail, js.URL, e.upstream.URL, deadURL)
	if routes != "" {
		doc += strings.ReplaceAll(routes, "UP", e.upstream.URL) + "\n"
	}
	for _, line := range extra {
		// A line for a key the template has replaces the template's.
		key, _, _ := strings.Cut(line, ":")
		if i := strings.Index(doc, "\n"+key+":"); i >= 0 {
			end := i + 1 + strings.Index(doc[i+1:], "\n")
			doc = doc[:i+1] + line + doc[end:]
		} else {
			doc += line + "\n"
		}
	}
	cfg, err := config.Parse("test.yaml", []byte(doc), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	e.dataDir = t.TempDir()
	e.store, err = sqlite.Open(context.Background(), e.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.store.Close() })
	g, err := New(cfg, Options{Logger: slog.New(slog.NewJSONHandler(e.logs, nil)), Store: e.store, State: state})
	if err != nil {
		t.Fatal(err)
	}
	if state != nil {
		t.Cleanup(state.Close) // a State given outlives the gateway: its key sets are the test's to stop
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	g.Start(ctx)
	e.g = g
	// The server authgate serves with: its limits are part of what is tested.
	e.gw = serveEngine(t, testEngine, cfg, g.Handler())
	return e
}

func token(t testing.TB, change map[string]any) string {
	return tokentest.Sign(t, map[string]any{"iss": issuerURL, "aud": "api", "sub": "alice", "scope": "read"}, change)
}

type result struct {
	status     int
	header     http.Header
	problem    api.Problem
	challenges []challenge.Challenge
	body       string
}

func (e *env) do(method, path string, headers ...string) result {
	e.t.Helper()
	return e.doWith(http.DefaultClient, method, path, headers...)
}

// doWith sends a request through client and checks the invariants of
// every problem response.
func (e *env) doWith(client *http.Client, method, path string, headers ...string) result {
	e.t.Helper()
	req, err := http.NewRequest(method, e.gw.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1] // the client writes req.Host, never a Host header
			continue
		}
		// Exactly as spelled: the client writes the name as it is.
		req.Header[headers[i]] = append(req.Header[headers[i]], headers[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode, header: resp.Header, body: string(body)}
	if n := len(resp.Header.Values("Request-Id")); n != 1 {
		e.t.Fatalf("%d Request-Id headers on the answer, want 1: %q", n, resp.Header.Values("Request-Id"))
	}
	if resp.Header.Get("Content-Type") == "application/problem+json" {
		if err := json.Unmarshal(body, &r.problem); err != nil {
			e.t.Fatalf("problem body: %v", err)
		}
		if r.problem.Status != resp.StatusCode {
			e.t.Fatalf("problem status %d != HTTP status %d", r.problem.Status, resp.StatusCode)
		}
		if r.problem.RequestID != resp.Header.Get("Request-Id") || r.problem.RequestID == "" {
			e.t.Fatalf("request id: body %q header %q", r.problem.RequestID, resp.Header.Get("Request-Id"))
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			e.t.Fatalf("Cache-Control = %q", resp.Header.Get("Cache-Control"))
		}
	}
	r.challenges, err = challenge.Parse(resp.Header.Values("WWW-Authenticate")...)
	if err != nil {
		e.t.Fatalf("WWW-Authenticate does not parse: %v", err)
	}
	return r
}

func bearerParam(r result, name string) (string, bool) {
	for _, c := range r.challenges {
		if strings.EqualFold(c.Scheme, "Bearer") {
			return c.Get(name)
		}
	}
	return "", false
}

func TestRejections(t *testing.T) {
	e := newEnv(t, api.DetailFull)
	good := token(t, nil)
	tests := []struct {
		name     string
		method   string
		path     string
		headers  []string
		status   int
		reason   reason.Code
		errParam string // RFC 6750 error in the Bearer challenge; "-" none
		scope    string
	}{
		{"no credentials", "GET", "/v1/data", nil, 401, reason.CredentialsMissing, "-", ""},
		{"valid", "GET", "/v1/data", []string{"Authorization", "Bearer " + good}, 200, "", "", ""},
		{"lower-case bearer", "GET", "/v1/data", []string{"Authorization", "bearer " + good}, 200, "", "", ""},
		{"upper-case BEARER", "GET", "/v1/data", []string{"Authorization", "BEARER " + good}, 200, "", "", ""},
		{"two Authorization headers", "GET", "/v1/data", []string{"Authorization", "Bearer " + good, "Authorization", "Bearer " + good}, 400, reason.HeaderMalformed, "invalid_request", ""},
		{"Basic on a bearer route", "GET", "/v1/data", []string{"Authorization", "Basic YWxpY2U6cHc="}, 401, reason.SchemeUnsupported, "-", ""},
		{"Bearer Bearer", "GET", "/v1/data", []string{"Authorization", "Bearer Bearer " + good}, 400, reason.HeaderMalformed, "invalid_request", ""},
		{"double space", "GET", "/v1/data", []string{"Authorization", "Bearer  " + good}, 400, reason.HeaderMalformed, "invalid_request", ""},
		{"quoted token", "GET", "/v1/data", []string{"Authorization", `Bearer "` + good + `"`}, 400, reason.HeaderMalformed, "invalid_request", ""},
		{"empty token", "GET", "/v1/data", []string{"Authorization", "Bearer"}, 400, reason.HeaderMalformed, "invalid_request", ""},
		{"bare JWT without scheme", "GET", "/v1/data", []string{"Authorization", good}, 400, reason.HeaderMalformed, "invalid_request", ""},
		{"placeholder", "GET", "/v1/data", []string{"Authorization", "Bearer YOUR_VALID_ACCESS_TOKEN"}, 401, reason.CredentialPlaceholder, "invalid_token", ""},
		{"unexpanded shell", "GET", "/v1/data", []string{"Authorization", "Bearer $(cat token.txt)"}, 401, reason.CredentialPlaceholder, "invalid_token", ""},
		{"undefined", "GET", "/v1/data", []string{"Authorization", "Bearer undefined"}, 401, reason.CredentialPlaceholder, "invalid_token", ""},
		{"expired", "GET", "/v1/data", []string{"Authorization", "Bearer " + token(t, map[string]any{"exp": time.Now().Add(-time.Hour).Unix()})}, 401, reason.TokenExpired, "invalid_token", ""},
		{"16 KiB token", "GET", "/v1/data", []string{"Authorization", "Bearer " + strings.Repeat("a", 16<<10)}, 401, reason.TokenTooLarge, "invalid_token", ""},
		{"insufficient scope", "POST", "/v1/data", []string{"Authorization", "Bearer " + good}, 403, reason.InsufficientScope, "insufficient_scope", "write"},
		{"any-of scopes missing", "GET", "/v1/reports/7", []string{"Authorization", "Bearer " + good}, 403, reason.InsufficientScope, "insufficient_scope", "reports"},
		{"any-of scopes held", "GET", "/v1/reports/7", []string{"Authorization", "Bearer " + token(t, map[string]any{"scope": "admin"})}, 200, "", "", ""},
		{"public", "GET", "/public/x", nil, 200, "", "", ""},
		{"public with junk credentials", "GET", "/public/x", []string{"Authorization", "Bearer junk"}, 200, "", "", ""},
		{"no route", "GET", "/nowhere", nil, 404, reason.RouteNotFound, "-", ""},
		{"wrong method", "DELETE", "/v1/data", nil, 404, reason.RouteNotFound, "-", ""},
		{"dot segment", "GET", "/public/../v1/data", nil, 400, reason.PathMalformed, "-", ""},
		{"encoded dot segment", "GET", "/public/%2e%2e/v1/data", nil, 400, reason.PathMalformed, "-", ""},
		{"encoded slash", "GET", "/public%2f..%2fv1/data", nil, 400, reason.PathMalformed, "-", ""},
		{"upstream unreachable", "GET", "/dead", []string{"Authorization", "Bearer " + good}, 502, reason.UpstreamUnreachable, "-", ""},
		{"upstream timeout", "GET", "/slow", []string{"Authorization", "Bearer " + good}, 504, reason.UpstreamTimeout, "-", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			r := e.do(tt.method, tt.path, tt.headers...)
			if r.status != tt.status || string(tt.reason) != r.problem.Reason {
				t.Fatalf("got %d %q (%s), want %d %q", r.status, r.problem.Reason, r.problem.Detail, tt.status, tt.reason)
			}
			if r.status == 401 && len(r.challenges) == 0 {
				t.Fatal("a 401 without WWW-Authenticate")
			}
			errParam, has := bearerParam(r, "error")
			switch {
			case tt.errParam == "-" && has:
				t.Fatalf("challenge carries error=%q, want none", errParam)
			case tt.errParam != "-" && tt.errParam != "" && errParam != tt.errParam:
				t.Fatalf("error param %q, want %q", errParam, tt.errParam)
			}
			if tt.errParam != "-" && tt.errParam != "" {
				if desc, _ := bearerParam(r, "error_description"); strings.ContainsAny(desc, "\"\\") || desc == "" {
					t.Fatalf("error_description %q", desc)
				}
			}
			if scope, _ := bearerParam(r, "scope"); scope != tt.scope {
				t.Fatalf("scope param %q, want %q", scope, tt.scope)
			}
			if r.status < 300 && !strings.HasPrefix(r.body, "upstream:") {
				t.Fatalf("body %q did not come from the upstream", r.body)
			}
		})
	}
}

// TestScopesAnyOn403: the challenge's scope is one sufficient choice (RFC
// 6750's scope lists scopes that are all needed), and the problem body
// lists the alternatives in scopes_any.
func TestScopesAnyOn403(t *testing.T) {
	e := newEnv(t, api.DetailFull)
	tests := []struct {
		name, path, scopes string
		status             int
		scope              string
		any                []string
	}{
		{"all-of only", "/v1/data", "write", 403, "read", nil},
		{"any-of only, none held", "/v1/reports/1", "read", 403, "reports", []string{"reports", "admin"}},
		{"any-of only, the second held", "/v1/reports/1", "admin", 200, "", nil},
		{"mixed, the all-of missing", "/v1/mixed", "reports", 403, "read reports", []string{"reports", "admin"}},
		{"mixed, the any-of missing", "/v1/mixed", "read", 403, "read reports", []string{"reports", "admin"}},
		{"mixed, both held", "/v1/mixed", "read admin", 200, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			r := e.do("GET", tt.path, "Authorization", "Bearer "+token(t, map[string]any{"scope": tt.scopes}))
			if r.status != tt.status {
				t.Fatalf("status %d (%s), want %d", r.status, r.problem.Detail, tt.status)
			}
			if n := len(r.header.Values("WWW-Authenticate")); tt.status == 403 && n != 1 {
				t.Fatalf("%d WWW-Authenticate lines, want 1", n)
			}
			if scope, _ := bearerParam(r, "scope"); scope != tt.scope {
				t.Errorf("scope param %q, want %q", scope, tt.scope)
			}
			if !slices.Equal(r.problem.ScopesAny, tt.any) {
				t.Errorf("scopes_any %q, want %q", r.problem.ScopesAny, tt.any)
			}
		})
	}
}

func TestDetailLevels(t *testing.T) {
	expired := token(t, map[string]any{"exp": time.Now().Add(-time.Hour).Unix()})
	for _, level := range []api.Detail{api.DetailReason, api.DetailNone} {
		t.Run(string(level), func(t *testing.T) {
			e := newEnv(t, level)
			r := e.do("GET", "/v1/data", "Authorization", "Bearer "+expired)
			if r.status != 401 || r.problem.Detail != "" {
				t.Fatalf("status %d detail %q", r.status, r.problem.Detail)
			}
			if errParam, _ := bearerParam(r, "error"); errParam != "invalid_token" {
				t.Fatalf("error param %q: challenges must stay correct at every detail level", errParam)
			}
			wantReason := map[api.Detail]string{api.DetailReason: "token_expired", api.DetailNone: ""}[level]
			if r.problem.Reason != wantReason {
				t.Fatalf("reason %q, want %q", r.problem.Reason, wantReason)
			}
			_, hasDesc := bearerParam(r, "error_description")
			if level == api.DetailNone && hasDesc {
				t.Fatal("detail none still sent error_description")
			}
			if !strings.Contains(e.logs.String(), "token expired") {
				t.Fatal("the log lost the full detail")
			}
		})
	}
}

func TestIdentityHeadersAndAuthorizationForwarding(t *testing.T) {
	e := newEnv(t, api.DetailFull)
	good := token(t, map[string]any{"scope": "read reports"})
	spoof := []string{"Authorization", "Bearer " + good, "X-Authgate-Subject", "root", "x-authgate-scopes", "admin",
		"X-Authgate-Extra", "1", "Connection", "X-Authgate-Subject"}
	r := e.do("GET", "/v1/data", spoof...)
	if r.status != 200 {
		t.Fatalf("status %d %s", r.status, r.problem.Detail)
	}
	seen := e.seen.Load()
	if got := seen.Header.Get("X-Authgate-Subject"); got != "token:main:alice" {
		t.Fatalf("upstream saw subject %q", got)
	}
	if got := seen.Header.Get("X-Authgate-Scopes"); got != "read reports" {
		t.Fatalf("upstream saw scopes %q", got)
	}
	if seen.Header.Get("X-Authgate-Extra") != "" {
		t.Fatal("a client-sent identity header reached the upstream")
	}
	if seen.Header.Get("X-Authgate-Issuer") != issuerURL || !strings.HasPrefix(seen.Header.Get("X-Authgate-Credential"), "jwt:") {
		t.Fatalf("issuer/credential headers: %v", seen.Header)
	}
	if seen.Header.Get("Authorization") != "" {
		t.Fatal("Authorization forwarded on a route that strips it")
	}
	if seen.Header.Get("Request-Id") != r.header.Get("Request-Id") {
		t.Fatal("upstream did not get the request id")
	}
	// forward_authorization: true keeps it.
	e.do("GET", "/v1/reports/1", "Authorization", "Bearer "+good)
	if e.seen.Load().Header.Get("Authorization") != "Bearer "+good {
		t.Fatal("Authorization not forwarded on a route that keeps it")
	}
	// A public route never carries identity, whatever the client sends.
	e.do("GET", "/public/a", "X-Authgate-Subject", "root")
	if e.seen.Load().Header.Get("X-Authgate-Subject") != "" {
		t.Fatal("spoofed subject reached a public upstream")
	}
}

func TestRequestID(t *testing.T) {
	e := newEnv(t, api.DetailFull)
	r := e.do("GET", "/v1/data", "Request-Id", "abc-123.x")
	if r.header.Get("Request-Id") != "abc-123.x" {
		t.Fatalf("well-formed incoming id not reused: %q", r.header.Get("Request-Id"))
	}
	for _, bad := range []string{"has space", strings.Repeat("a", 200), "a\"b"} {
		r := e.do("GET", "/v1/data", "Request-Id", bad)
		if got := r.header.Get("Request-Id"); got == bad || len(got) != 26 {
			t.Fatalf("malformed id %q: got %q", bad, got)
		}
	}
}

func TestJWKSOutageIsNever401(t *testing.T) {
	e := newEnv(t, api.DetailFull)
	good := token(t, nil)
	if r := e.do("GET", "/v1/data", "Authorization", "Bearer "+good); r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	e.jwksDown.Store(true)
	if r := e.do("GET", "/v1/data", "Authorization", "Bearer "+token(t, map[string]any{"jti": "x"})); r.status != 200 {
		t.Fatalf("cached keys while JWKS down: %d %s", r.status, r.problem.Detail)
	}
}

func TestJWKSDownAtStartIs503(t *testing.T) {
	e := &env{}
	_ = e
	jwksDown := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer jwksDown.Close()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer up.Close()
	doc := fmt.Sprintf(testConfig, "full", jwksDown.URL, up.URL, up.URL)
	cfg, err := config.Parse("t.yaml", []byte(doc), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g, err := New(cfg, Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Store: st})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g.Start(ctx)
	ev := &env{t: t, gw: serveEngine(t, testEngine, cfg, g.Handler())}
	r := ev.do("GET", "/v1/data", "Authorization", "Bearer "+token(t, nil))
	if r.status != 503 || r.problem.Reason != string(reason.AuthUnavailable) || r.header.Get("Retry-After") == "" {
		t.Fatalf("got %d %q Retry-After %q", r.status, r.problem.Reason, r.header.Get("Retry-After"))
	}
	if len(r.challenges) != 0 {
		t.Fatal("a 503 carried a challenge: that blames the client's credentials")
	}
}

// TestAccessLogSampleAllowed: with access_log.sample_allowed 0.5, some
// but not all allowed requests are logged, while every rejection is. The
// sampler is the unseeded math/rand, so the bound is statistical and wide:
// of 400 allowed requests between 20% and 80% (the binomial's standard
// deviation is 10 requests; the bound is 12 of them either side).
func TestAccessLogSampleAllowed(t *testing.T) {
	e := newEnv(t, api.DetailFull, "access_log: {sample_allowed: 0.5}")
	good := token(t, nil)
	const n, refused = 400, 50
	for range n {
		if r := e.do("GET", "/v1/data", "Authorization", "Bearer "+good); r.status != 200 {
			t.Fatalf("allowed: %d", r.status)
		}
	}
	for range refused {
		e.do("GET", "/v1/data")
	}
	allowed, rejected := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
		var rec struct {
			Msg, Reason string
			Status      int
		}
		if json.Unmarshal([]byte(line), &rec) != nil || rec.Msg != "request" {
			continue
		}
		switch {
		case rec.Status == 200:
			allowed++
		case rec.Reason == "credentials_missing":
			rejected++
		}
	}
	t.Logf("sample_allowed 0.5: %d of %d allowed requests logged", allowed, n)
	if allowed < n*20/100 || allowed > n*80/100 {
		t.Errorf("%d of %d allowed requests logged with sample_allowed 0.5; want between 20%% and 80%%", allowed, n)
	}
	if rejected != refused {
		t.Errorf("%d of %d rejections logged with sample_allowed 0.5; want every one", rejected, refused)
	}
}

// TestAccessLogLevelsAndSampling: rejections are always logged at INFO,
// upstream faults at WARN, the gateway's own at ERROR; allowed requests
// are sampled (here: none logged).
func TestAccessLogLevelsAndSampling(t *testing.T) {
	e := newEnv(t, api.DetailFull, "access_log: {sample_allowed: 0}")
	good := token(t, nil)
	for range 5 {
		if r := e.do("GET", "/v1/data", "Authorization", "Bearer "+good); r.status != 200 {
			t.Fatalf("allowed: %d", r.status)
		}
	}
	e.do("GET", "/v1/data")
	e.do("GET", "/dead", "Authorization", "Bearer "+good)
	key, _ := e.key("live", "read")
	e.store.Close()
	e.do("GET", "/keyed/a", "X-API-Key", key)
	levels := map[string]string{}
	allowed := 0
	for _, line := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
		var rec struct {
			Level, Msg, Reason string
			Status             int
		}
		if json.Unmarshal([]byte(line), &rec) != nil || rec.Msg != "request" {
			continue
		}
		if rec.Status == 200 {
			allowed++
		}
		levels[rec.Reason] = rec.Level
	}
	want := map[string]string{"credentials_missing": "INFO", "upstream_unreachable": "WARN", "auth_unavailable": "ERROR"}
	for reason, level := range want {
		if levels[reason] != level {
			t.Errorf("%s logged at %q, want %s", reason, levels[reason], level)
		}
	}
	if allowed != 0 {
		t.Errorf("%d allowed requests logged with sample_allowed 0", allowed)
	}
}
