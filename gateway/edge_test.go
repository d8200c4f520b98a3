package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/reason"
)

const corsRoute = `  - name: browser
    path: /browser/*
    scopes_all: [read]
    upstream: "UP"
    cors:
      allowed_origins: ["https://app.test", "https://*.example.test"]
      allowed_methods: [GET, POST]
      allow_credentials: true`

func TestDecisionEndpoint(t *testing.T) {
	e := newEnv(t, api.DetailFull)
	good := token(t, map[string]any{"scope": "read"})
	tests := []struct {
		name    string
		method  string
		path    string
		headers []string
		status  int
		reason  string
	}{
		{"nginx allowed", "GET", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URI", "/v1/data?x=1", "Authorization", "Bearer " + good}, 200, ""},
		{"nginx no token", "GET", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URI", "/v1/data"}, 401, "credentials_missing"},
		{"nginx scope", "GET", "/.authgate/decide", []string{"X-Original-Method", "POST", "X-Original-URI", "/v1/data", "Authorization", "Bearer " + good}, 403, "insufficient_scope"},
		{"public route", "GET", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URI", "/public/a"}, 200, ""},
		{"no original", "GET", "/.authgate/decide", []string{"Authorization", "Bearer " + good}, 400, "proxy_request_invalid"},
		{"bypass attempt", "GET", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URI", "/public/%2e%2e/v1/data"}, 400, "path_malformed"},
		// A fragment in the original target is refused as in proxy mode,
		// in the path or in the query.
		{"fragment in the path", "GET", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URI", "/public/a#f"}, 400, "path_malformed"},
		{"fragment in the query", "GET", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URI", "/public/a?x=1#f"}, 400, "path_malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			r := e.do(tt.method, tt.path, tt.headers...)
			if r.status != tt.status || r.problem.Reason != tt.reason {
				t.Fatalf("got %d %q (%s), want %d %q", r.status, r.problem.Reason, r.problem.Detail, tt.status, tt.reason)
			}
			if r.status == 200 && strings.Contains(tt.name, "allowed") && r.header.Get("X-Authgate-Subject") != "token:main:alice" {
				t.Fatalf("identity headers: %v", r.header)
			}
		})
	}
	// Only trusted proxies may ask.
	e.t = t
	strict := newEnv(t, api.DetailFull, "trusted_proxies: [10.0.0.0/8]")
	r := strict.do("GET", "/.authgate/decide", "X-Original-Method", "GET", "X-Original-URI", "/public/a")
	if r.status != 403 || r.problem.Reason != "proxy_untrusted" {
		t.Fatalf("untrusted proxy: %d %s", r.status, r.problem.Reason)
	}
}

func TestCORS(t *testing.T) {
	e2 := newEnvWithRoutes(t, corsRoute)
	good := token(t, map[string]any{"scope": "read"})
	pre := func(origin, method, headers string) result {
		return e2.do("OPTIONS", "/browser/x", "Origin", origin, "Access-Control-Request-Method", method, "Access-Control-Request-Headers", headers)
	}
	r := pre("https://app.test", "GET", "authorization")
	if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "https://app.test" ||
		!strings.Contains(strings.ToLower(r.header.Get("Access-Control-Allow-Headers")), "authorization") ||
		r.header.Get("Access-Control-Allow-Credentials") != "true" || !strings.Contains(r.header.Get("Vary"), "Origin") {
		t.Fatalf("preflight: %d %v", r.status, r.header)
	}
	if r := pre("https://a.example.test", "POST", "authorization, content-type"); r.status != 204 {
		t.Fatalf("pattern origin: %d %s", r.status, r.problem.Detail)
	}
	for _, bad := range []string{"https://evil.test", "https://example.test.evil.test", "null"} {
		if r := pre(bad, "GET", "authorization"); r.status != 403 || r.problem.Reason != "cors_origin_denied" {
			t.Fatalf("origin %s: %d %s", bad, r.status, r.problem.Reason)
		}
	}
	if r := pre("https://app.test", "GET", "x-secret"); r.status != 403 {
		t.Fatalf("unlisted header: %d", r.status)
	}
	// A rejected actual request still carries CORS headers, so the page can
	// read WWW-Authenticate.
	r = e2.do("GET", "/browser/x", "Origin", "https://app.test")
	if r.status != 401 || r.header.Get("Access-Control-Allow-Origin") != "https://app.test" ||
		!strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "WWW-Authenticate") {
		t.Fatalf("401 with CORS: %d %v", r.status, r.header)
	}
	r = e2.do("GET", "/browser/x", "Origin", "https://app.test", "Authorization", "Bearer "+good)
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "https://app.test" {
		t.Fatalf("200 with CORS: %d %v", r.status, r.header)
	}
	// Preflight through the decision endpoint, original method from the proxy.
	r = e2.do("GET", "/.authgate/decide", "X-Original-Method", "OPTIONS", "X-Original-URI", "/browser/x",
		"Origin", "https://app.test", "Access-Control-Request-Method", "GET")
	if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "https://app.test" {
		t.Fatalf("decision preflight: %d %v", r.status, r.header)
	}
}

// TestCORSOnEveryRefusal: the refusals decided right after the route
// matched — a client network the route does not serve, a body too large —
// carry the CORS headers too; without them a browser sees only a network
// error and cannot read the reason, WWW-Authenticate or Request-Id.
func TestCORSOnEveryRefusal(t *testing.T) {
	e := newEnvWithRoutes(t, `  - name: intranet
    path: /intranet/*
    scopes_all: [read]
    allow_cidrs: [10.0.0.0/8]
    upstream: "UP"
    cors: {allowed_origins: ["https://app.test"]}
  - name: upload
    path: /upload
    methods: [POST]
    public: true
    max_body_bytes: 8
    upstream: "UP"
    cors: {allowed_origins: ["https://app.test"]}`)
	tests := []struct {
		name, method, path, body string
		status                   int
	}{
		{"client network refused", "GET", "/intranet/x", "", 403},
		{"body too large", "POST", "/upload", strings.Repeat("x", 64), 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, e.gw.URL+tt.path, strings.NewReader(tt.body))
			req.Header.Set("Origin", "https://app.test")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.test" ||
				resp.Header.Get("Access-Control-Expose-Headers") != "WWW-Authenticate, Request-Id, Retry-After, DPoP-Nonce" {
				t.Fatalf("%d, CORS headers %q %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), resp.Header.Get("Access-Control-Expose-Headers"))
			}
		})
	}
}

func TestForwardedHeadersOnlyFromTrustedProxies(t *testing.T) {
	e := newEnv(t, api.DetailFull, "trusted_proxies: [10.0.0.0/8]")
	e.do("GET", "/public/a", "X-Forwarded-For", "6.6.6.6", "X-Forwarded-Proto", "https")
	seen := e.seen.Load()
	if xff := seen.Header.Get("X-Forwarded-For"); xff != "127.0.0.1" || seen.Header.Get("X-Forwarded-Proto") != "http" {
		t.Fatalf("untrusted client's forwarding headers passed on: XFF %q proto %q", xff, seen.Header.Get("X-Forwarded-Proto"))
	}
	trusting := newEnv(t, api.DetailFull)
	trusting.do("GET", "/public/a", "X-Forwarded-For", "203.0.113.9", "X-Forwarded-Proto", "https")
	seen = trusting.seen.Load()
	if xff := seen.Header.Get("X-Forwarded-For"); xff != "203.0.113.9, 127.0.0.1" || seen.Header.Get("X-Forwarded-Proto") != "https" {
		t.Fatalf("trusted proxy's chain: XFF %q proto %q", xff, seen.Header.Get("X-Forwarded-Proto"))
	}
}

func TestHeaderCountLimit(t *testing.T) {
	e := newEnv(t, api.DetailFull, "max_header_count: 20")
	var h []string
	for i := range 30 {
		h = append(h, fmt.Sprintf("X-Filler-%d", i), "x")
	}
	if r := e.do("GET", "/public/a", h...); r.status != 431 || r.problem.Reason != "headers_too_many" {
		t.Fatalf("got %d %s", r.status, r.problem.Reason)
	}
}

// TestClientNetworks: allow_cidrs and deny_cidrs judge the client address
// (the one trusted_proxies yields), before any credential: 403
// client_network_denied with no challenge, and no failure counted.
func TestClientNetworks(t *testing.T) {
	e := newEnvWithRoutes(t, `
  - {name: office, path: /office/*, public: true, allow_cidrs: [10.0.0.0/8], upstream: "UP"}
  - {name: blocked, path: /blocked/*, public: true, deny_cidrs: [127.0.0.0/8, 192.0.2.0/24], upstream: "UP"}
  - {name: proxied, path: /proxied/*, public: true, allow_cidrs: [127.0.0.0/8], upstream: "UP"}
  - {name: denylist, path: /denylist/*, public: true, deny_cidrs: [192.0.2.0/24], upstream: "UP"}`)
	tests := []struct {
		name, path string
		headers    []string
		status     int
	}{
		{"loopback is not in allow_cidrs", "/office/x", nil, 403},
		{"a trusted proxy forwards a client in allow_cidrs", "/office/x", []string{"X-Forwarded-For", "10.1.2.3"}, 200},
		{"a trusted proxy forwards one outside", "/office/x", []string{"X-Forwarded-For", "203.0.113.9"}, 403},
		{"loopback is in deny_cidrs", "/blocked/x", nil, 403},
		{"forwarded from a denied network", "/blocked/x", []string{"X-Forwarded-For", "192.0.2.7"}, 403},
		{"forwarded from elsewhere", "/blocked/x", []string{"X-Forwarded-For", "203.0.113.9"}, 200},
		{"credentials do not help", "/office/x", []string{"Authorization", "Bearer " + token(t, nil)}, 403},
		// A hop is an address with or without a port or brackets;
		// anything else is an unknown client, never the proxy itself.
		{"a hop with a port", "/office/x", []string{"X-Forwarded-For", "10.1.2.3:4711"}, 200},
		{"a bracketed IPv6 hop with a port", "/blocked/x", []string{"X-Forwarded-For", "[2001:db8::1]:443"}, 200},
		{"a bracketed IPv6 hop", "/blocked/x", []string{"X-Forwarded-For", "[2001:db8::1]"}, 200},
		{"a denied hop with a port", "/blocked/x", []string{"X-Forwarded-For", "192.0.2.7:80"}, 403},
		{"an unknown hop fails an allow list naming the proxy", "/proxied/x", []string{"X-Forwarded-For", "unknown"}, 403},
		{"an unknown hop fails a deny list", "/denylist/x", []string{"X-Forwarded-For", "unknown"}, 403},
		{"a garbage hop behind a good one", "/proxied/x", []string{"X-Forwarded-For", "10.1.2.3, _hidden"}, 403},
		{"the proxy's own network, no hops", "/proxied/x", nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			r := e.do("GET", tt.path, tt.headers...)
			if r.status != tt.status {
				t.Fatalf("status %d (%s), want %d", r.status, r.problem.Reason, tt.status)
			}
			if tt.status == 403 && (r.problem.Reason != string(reason.ClientNetworkDenied) || len(r.header.Values("WWW-Authenticate")) != 0) {
				t.Fatalf("reason %q, %d challenges", r.problem.Reason, len(r.header.Values("WWW-Authenticate")))
			}
		})
	}
}

// TestProtectedResourceMetadata: with a resource identifier, the gateway
// serves its RFC 9728 metadata (path inserted after the well-known
// prefix), and every Bearer challenge names it; other challenges do not.
func TestProtectedResourceMetadata(t *testing.T) {
	e := newEnv(t, api.DetailFull, "resource: https://api.example.test/v1")
	const metaURL = "https://api.example.test/.well-known/oauth-protected-resource/v1"
	for _, r := range []result{e.do("GET", "/v1/data"), e.do("GET", "/v1/data", "Authorization", "Bearer "+token(t, map[string]any{"aud": "other"}))} {
		if r.status != 401 {
			t.Fatalf("status %d", r.status)
		}
		if v, _ := bearerParam(r, "resource_metadata"); v != metaURL {
			t.Errorf("resource_metadata %q, want %q", v, metaURL)
		}
	}
	r := e.do("GET", "/keyed/a")
	for _, c := range r.challenges {
		if _, ok := c.Get("resource_metadata"); ok && !strings.EqualFold(c.Scheme, "Bearer") {
			t.Errorf("the %s challenge names resource_metadata", c.Scheme)
		}
	}
	m := e.do("GET", "/.well-known/oauth-protected-resource/v1")
	var doc struct {
		Resource             string   `json:"resource"`
		AuthorizationServers []string `json:"authorization_servers"`
		Scopes               []string `json:"scopes_supported"`
		BearerMethods        []string `json:"bearer_methods_supported"`
	}
	if m.status != 200 || json.Unmarshal([]byte(m.body), &doc) != nil {
		t.Fatalf("metadata: %d %s", m.status, m.body)
	}
	if doc.Resource != "https://api.example.test/v1" || len(doc.AuthorizationServers) != 1 || doc.AuthorizationServers[0] != issuerURL ||
		!slices.Contains(doc.Scopes, "read") || !slices.Equal(doc.BearerMethods, []string{"header"}) {
		t.Errorf("metadata %+v", doc)
	}
	// Without a resource identifier: no metadata, no parameter.
	plain := newEnv(t, api.DetailFull)
	if r := plain.do("GET", "/v1/data"); func() bool { _, ok := bearerParam(r, "resource_metadata"); return ok }() {
		t.Error("resource_metadata without a resource")
	}
}

// TestHostRouting: routes may serve only some hosts (exact or one
// wildcard label); the same path on two hosts is two routes; a host no
// route serves is 404; preserve_host sends the client's Host upstream;
// in decision mode the proxy's X-Forwarded-Host is the host.
func TestHostRouting(t *testing.T) {
	e := newEnvWithRoutes(t, `
  - {name: shop, path: /h/*, public: true, hosts: [shop.example.test], preserve_host: true, upstream: "UP"}
  - {name: tenants, path: /h/*, public: true, hosts: ["*.tenants.example.test"], upstream: "UP"}`)
	tests := []struct {
		host, route  string
		status       int
		upstreamHost string // "" when the upstream URL's host is expected
	}{
		{"shop.example.test", "shop", 200, "shop.example.test"},
		{"SHOP.example.test:8443", "shop", 200, "SHOP.example.test:8443"},
		{"acme.tenants.example.test", "tenants", 200, ""},
		{"tenants.example.test", "", 404, ""},
		{"other.example.test", "", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			e.t = t
			req, _ := http.NewRequest("GET", e.gw.URL+"/h/x", nil)
			req.Host = tt.host
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status != 200 {
				return
			}
			seen := e.seen.Load()
			want := tt.upstreamHost
			if want == "" {
				want = strings.TrimPrefix(e.upstream.URL, "http://")
			}
			if seen.Host != want {
				t.Errorf("upstream Host %q, want %q", seen.Host, want)
			}
		})
	}
	// Decision mode: the host the proxy forwards chooses the route.
	for host, want := range map[string]int{"acme.tenants.example.test": 200, "nowhere.example.test": 404} {
		r := e.do("GET", "/.authgate/decide", "X-Original-Method", "GET", "X-Original-URI", "/h/x", "X-Original-Host", host)
		if r.status != want {
			t.Errorf("decision for host %s: %d, want %d", host, r.status, want)
		}
	}
}
