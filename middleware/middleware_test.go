package middleware_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/internal/demo"
	"github.com/authgate/authgate/internal/eventually"
	"github.com/authgate/authgate/internal/tokentest"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/store/sqlite"
)

// demoService is the demo's API as a plain net/http service protected by
// the middleware, beside the demo gateway itself.
type demoService struct {
	file    demo.File
	gateway string // the demo gateway's URL
	service *httptest.Server
	m       *middleware.Middleware
}

// startDemoService starts the demo and a ServeMux service with the demo's
// configuration (its routes become the handlers' rules).
func startDemoService(t testing.TB) *demoService {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	dir := t.TempDir()
	d, err := demo.Start(ctx, demo.Options{Listen: "127.0.0.1:0", StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	var f demo.File
	data, err := os.ReadFile(filepath.Join(dir, "demo.json"))
	if err == nil {
		err = json.Unmarshal(data, &f)
	}
	if err != nil {
		t.Fatal(err)
	}
	// The same file, less its routes: in a service the mux routes.
	text, err := os.ReadFile(f.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	doc, _, _ := strings.Cut(string(text), "\nroutes:")
	cfg, err := config.ParseService(f.ConfigFile, []byte(doc), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m, err := middleware.New(middleware.Config{Gateway: cfg, Store: st, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	answer := func(status int) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, _ := middleware.IdentityFrom(r.Context())
			w.WriteHeader(status)
			fmt.Fprintf(w, "hello %s", id.Principal)
		})
	}
	all := []string{"bearer", "apikey", "basic"}
	mux := http.NewServeMux()
	mux.Handle("GET /v1/data", m.Protect(middleware.Rule{Name: "data-read", Schemes: all, ScopesAll: []string{"read"}})(answer(200)))
	mux.Handle("POST /v1/data", m.Protect(middleware.Rule{Name: "data-write", Schemes: all, ScopesAll: []string{"write"}})(answer(201)))
	mux.Handle("GET /v1/admin", m.Protect(middleware.Rule{Name: "admin", Schemes: []string{"bearer"},
		ClaimsAll: []policy.ClaimRule{{Claim: "roles", Contains: "admin"}}})(answer(200)))
	mux.Handle("GET /public", answer(200))
	s := &demoService{file: f, gateway: f.URL, service: httptest.NewServer(mux), m: m}
	t.Cleanup(s.service.Close)
	return s
}

// answer is what the tests compare between the gateway and the service.
type answer struct {
	status     int
	reason     string
	challenges int
	errorOn    string // the scheme whose challenge carries error=
}

func (s *demoService) send(t testing.TB, base string, c demo.Case) answer {
	t.Helper()
	req, _ := http.NewRequest(c.Method, base+c.Path, nil)
	switch {
	case c.Token != "":
		req.Header.Set("Authorization", "Bearer "+s.file.Tokens[c.Token])
	case c.APIKey != "":
		req.Header.Set("X-API-Key", s.file.APIKeys[c.APIKey])
	case c.Basic == "good":
		req.SetBasicAuth(s.file.Basic.User, s.file.Basic.Password)
	case c.Basic == "wrong":
		req.SetBasicAuth(s.file.Basic.User, demo.WrongPassword)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p struct {
		Reason string `json:"reason"`
	}
	json.NewDecoder(resp.Body).Decode(&p)
	a := answer{status: resp.StatusCode, reason: p.Reason, challenges: len(resp.Header.Values("WWW-Authenticate"))}
	for _, ch := range resp.Header.Values("WWW-Authenticate") {
		if strings.Contains(ch, "error=") {
			a.errorOn, _, _ = strings.Cut(ch, " ")
		}
	}
	return a
}

// TestDemoCasesThroughAService: the demo's cases, sent to the demo gateway
// and to a plain ServeMux service protected by the middleware, get the same
// status, reason, number of challenges and challenge carrying the error.
func TestDemoCasesThroughAService(t *testing.T) {
	s := startDemoService(t)
	for _, c := range demo.Cases {
		t.Run(fmt.Sprintf("%s %s %s%s%s", c.Method, c.Path, c.Token, c.APIKey, c.Basic), func(t *testing.T) {
			want := s.send(t, s.gateway, c)
			got := s.send(t, s.service.URL, c)
			if want.status != c.Status || want.reason != string(c.Reason) {
				t.Fatalf("the gateway answered %+v, the demo table says %d %q", want, c.Status, c.Reason)
			}
			if got != want {
				t.Fatalf("the service answered %+v, the gateway %+v", got, want)
			}
		})
	}
}

// TestIdentityInTheContext: the handler learns who called, never the
// credential.
func TestIdentityInTheContext(t *testing.T) {
	s := startDemoService(t)
	for _, tt := range []struct {
		c    demo.Case
		want string
	}{
		{demo.Case{Token: "valid", Method: "GET", Path: "/v1/data"}, "hello token:demo:"},
		{demo.Case{APIKey: "live", Method: "GET", Path: "/v1/data"}, "hello apikey:"},
		{demo.Case{Basic: "good", Method: "GET", Path: "/v1/data"}, "hello basic:" + s.file.Basic.User},
	} {
		req, _ := http.NewRequest(tt.c.Method, s.service.URL+tt.c.Path, nil)
		switch {
		case tt.c.Token != "":
			req.Header.Set("Authorization", "Bearer "+s.file.Tokens[tt.c.Token])
		case tt.c.APIKey != "":
			req.Header.Set("X-API-Key", s.file.APIKeys[tt.c.APIKey])
		default:
			req.SetBasicAuth(s.file.Basic.User, s.file.Basic.Password)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(string(body), tt.want) {
			t.Errorf("%+v: %d %q, want %q…", tt.c, resp.StatusCode, body, tt.want)
		}
	}
}

func TestServiceConfigurationHasNoRoutes(t *testing.T) {
	_, err := config.ParseService("svc.yaml", []byte("routes:\n  - {name: a, path: /a, public: true, upstream: \"http://127.0.0.1:9\"}\n"), func(string) (string, bool) { return "", false })
	if err == nil || !strings.Contains(err.Error(), "svc.yaml:1") {
		t.Fatalf("a service file with routes: %v", err)
	}
	if _, err := middleware.New(middleware.Config{Gateway: config.Default()}); err == nil {
		t.Fatal("a middleware that can verify nothing was built")
	}
}

// BenchmarkMiddleware is what the middleware adds to a handler: the bare
// handler, and the same behind Require with an RS256 JWT answered from
// the token cache (the common case), no socket involved.
//
//	go test ./middleware -run '^$' -bench Middleware -benchmem
func BenchmarkMiddleware(b *testing.B) {
	bare, protected, auth := cachedTokenService(b)
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"bare", bare}, {"jwt-cached", protected}} {
		b.Run(c.name, func(b *testing.B) {
			req := benchRequest()
			for b.Loop() {
				serveOK(b, c.h, req, auth)
			}
		})
	}
}

// cachedTokenService is a bare handler, the same behind Require("read"),
// and the Authorization value of an RS256 JWT the middleware accepts (from
// its token cache after the first request). Allowed requests are not
// logged (access_log.sample_allowed 0) and the failure limits never trip.
func cachedTokenService(tb testing.TB) (bare, protected http.Handler, auth string) {
	jwks, _ := tokentest.CountingJWKS(tb)
	cfg, err := config.ParseService("bench.yaml", []byte(fmt.Sprintf(`
realm: api
access_log: {sample_allowed: 0}
failure_limit: {per_credential: 1000000000, per_client: 1000000000, per_account: 1000000000, window: 1m}
issuers:
  - {name: main, issuer: "https://issuer.test", audiences: [api], jwks_url: "%s"}
`, jwks)), func(string) (string, bool) { return "", false })
	if err != nil {
		tb.Fatal(err)
	}
	m, err := middleware.New(middleware.Config{Gateway: cfg, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	bare = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	auth = "Bearer " + tokentest.Sign(tb, map[string]any{"iss": "https://issuer.test", "aud": "api", "sub": "alice", "scope": "read"}, nil)
	return bare, m.Require("read")(bare), auth
}

// benchRequest is the request the benchmark and the allocation test send.
func benchRequest() *http.Request {
	req := httptest.NewRequest("GET", "/v1/data", nil)
	req.RemoteAddr = "127.0.0.1:40000"
	return req
}

// serveOK serves req with Authorization auth through h (fresh headers and
// writer, as a server would give) and fails tb unless h answers 200.
func serveOK(tb testing.TB, h http.Handler, req *http.Request, auth string) {
	req.Header = http.Header{"Authorization": {auth}}
	w := &discard{header: http.Header{}}
	h.ServeHTTP(w, req)
	if w.status != 200 {
		tb.Fatalf("status %d", w.status)
	}
}

// discard is a ResponseWriter that keeps the status only.
type discard struct {
	header http.Header
	status int
}

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(code int)        { d.status = code }

// TestExplain: a handler's rule explained as a dry run, with its checks.
func TestExplain(t *testing.T) {
	s := startDemoService(t)
	rule := middleware.Rule{Name: "data-write", Schemes: []string{"bearer", "apikey", "basic"}, ScopesAll: []string{"write"}}
	for _, tt := range []struct {
		token  string
		status int
		reason string
	}{{"valid", 200, ""}, {"expired", 401, "token_expired"}, {"insufficient_scope", 403, "insufficient_scope"}} {
		out, err := s.m.Explain(context.Background(), rule, api.ExplainRequest{Method: "POST", Path: "/v1/data", Token: s.file.Tokens[tt.token]})
		if err != nil {
			t.Fatal(err)
		}
		if out.Status != tt.status || out.Reason != tt.reason || out.Route != "data-write" || len(out.Checks) == 0 {
			t.Errorf("%s: %+v", tt.token, out)
		}
	}
}

// TestCloseEndsKeyRefreshes: after Close the middleware fetches its
// issuer's key set no more (the refreshes belong to the middleware, not to
// the process).
func TestCloseEndsKeyRefreshes(t *testing.T) {
	jwks, fetches := tokentest.CountingJWKS(t)
	cfg, err := config.ParseService("svc.yaml", []byte(fmt.Sprintf(
		"issuers:\n  - {name: idp, issuer: \"https://idp.test\", audiences: [api], jwks_url: \"%s/jwks\", jwks_refresh: 10ms}\n", jwks)),
		func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	m, err := middleware.New(middleware.Config{Gateway: cfg, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	eventually.True(t, time.Minute, "the key set is refreshed every 10ms", func() bool { return fetches.Load() >= 3 })
	m.Close()
	time.Sleep(50 * time.Millisecond) // a fetch in flight at Close may still land
	closed := fetches.Load()
	time.Sleep(200 * time.Millisecond) // twenty refresh periods
	if n := fetches.Load(); n != closed {
		t.Errorf("the key set was fetched %d more times after Close", n-closed)
	}
}
