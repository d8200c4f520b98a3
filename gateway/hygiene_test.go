package gateway

import (
	"net/url"
	"testing"

	"github.com/authgate/authgate/reason"
)

const hygieneRoutes = `
  - {name: items-delete, path: "/items/{id}", methods: [DELETE], schemes: [apikey], scopes_all: [admin], upstream: "UP"}
  - {name: items-open, path: /items/*, public: true, upstream: "UP"}
  - {name: over-post, path: /over, methods: [POST], public: true, method_override: true, upstream: "UP"}
  - {name: over-delete, path: /over, methods: [DELETE], schemes: [apikey], scopes_all: [admin], method_override: true, upstream: "UP"}
  - {name: plain-post, path: /plain, methods: [POST], public: true, upstream: "UP"}
  - {name: fwd, path: /fwd, schemes: [apikey], api_key_query: api_key, forward_authorization: true, upstream: "UP"}
`

// TestUpstreamRunsWhatWasDecided: the upstream never receives a request it
// could read differently than the gateway did (a lower-case method, an
// h2c tunnel, an override of the method or path, an identity header in
// another spelling) nor a credential the gateway consumed.
func TestUpstreamRunsWhatWasDecided(t *testing.T) {
	e := newEnvWithRoutes(t, hygieneRoutes)
	reader, _ := e.key("live", "read")
	admin, _ := e.key("live", "admin")
	tests := []struct {
		name    string
		method  string
		path    string
		headers []string
		status  int
		reason  reason.Code
		// upstream is what the upstream must see: "" not reached, else
		// the method it must get.
		upstream string
		absent   []string // headers the upstream must not get
		query    string   // the query the upstream must get
	}{
		{"lower-case method", "delete", "/items/1", nil, 400, reason.MethodMalformed, "", nil, ""},
		{"mixed-case method", "Get", "/items/1", nil, 400, reason.MethodMalformed, "", nil, ""},
		{"canonical method", "DELETE", "/items/1", []string{"X-API-Key", admin}, 200, "", "DELETE", nil, ""},
		{"h2c upgrade", "GET", "/items/1", []string{"Connection", "Upgrade, HTTP2-Settings", "Upgrade", "h2c", "HTTP2-Settings", "AAMAAABkAAQAAP__"}, 400, reason.UpgradeNotAllowed, "", nil, ""},
		{"WebSocket where not allowed", "GET", "/items/1", []string{"Connection", "Upgrade", "Upgrade", "websocket"}, 400, reason.UpgradeNotAllowed, "", nil, ""},
		{"identity header with underscores", "GET", "/items/1", []string{"X_Authgate_Subject", "root", "x_authgate_scopes", "admin"}, 200, "", "GET", []string{"X_authgate_subject", "X_authgate_scopes"}, ""},
		{"override stripped where not allowed", "POST", "/plain", []string{"X-HTTP-Method-Override", "DELETE", "X-Method-Override", "DELETE", "X-HTTP-Method", "DELETE"}, 200, "", "POST",
			[]string{"X-Http-Method-Override", "X-Method-Override", "X-Http-Method"}, ""},
		{"rewrite headers stripped", "GET", "/items/1", []string{"X-Original-URL", "/admin", "X-Rewrite-URL", "/admin"}, 200, "", "GET", []string{"X-Original-Url", "X-Rewrite-Url"}, ""},
		{"override judged as the overridden method", "POST", "/over", []string{"X-HTTP-Method-Override", "DELETE", "X-API-Key", reader}, 403, reason.InsufficientScope, "", nil, ""},
		{"override with the right scope", "POST", "/over", []string{"X-HTTP-Method-Override", "DELETE", "X-API-Key", admin}, 200, "", "POST", nil, ""},
		{"override to a lower-case method", "POST", "/over", []string{"X-HTTP-Method-Override", "delete"}, 400, reason.MethodMalformed, "", nil, ""},
		{"API key header not forwarded", "GET", "/keyed/a", []string{"X-API-Key", reader}, 200, "", "GET", []string{"X-Api-Key", "Authorization"}, ""},
		{"API key as Bearer not forwarded", "GET", "/keyed/a", []string{"Authorization", "Bearer " + reader}, 200, "", "GET", []string{"Authorization"}, ""},
		{"API key query parameter not forwarded", "GET", "/keyq?a=1&api_key=" + reader + "&b=%2F", nil, 200, "", "GET", nil, "a=1&b=%2F"},
		// A query net/url cannot parse (a ';', a bad escape) is sent as
		// httputil.ReverseProxy sends it, on both engines: re-encoded
		// from the pairs that parse. The pair holding the second key is
		// dropped, never passed to an upstream that splits on ';'.
		{"API key after a semicolon not forwarded", "GET", "/keyq?b=2&api_key=" + reader + "&a=1;api_key=" + reader, nil, 200, "", "GET", nil, "b=2"},
		{"query with a bad escape re-encoded", "GET", "/items/1?z=1&y=%zz&a=%2f", []string{"X-API-Key", reader}, 200, "", "GET", nil, "a=%2F&z=1"},
		{"forwarded where the route says so", "GET", "/fwd?api_key=" + reader, nil, 200, "", "GET", nil, "api_key=" + reader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			e.seen.Store(nil)
			r := e.do(tt.method, tt.path, tt.headers...)
			if r.status != tt.status || r.problem.Reason != string(tt.reason) {
				t.Fatalf("got %d %q (%s), want %d %q", r.status, r.problem.Reason, r.problem.Detail, tt.status, tt.reason)
			}
			seen := e.seen.Load()
			if tt.upstream == "" {
				if seen != nil {
					t.Fatalf("the upstream was reached: %s %s", seen.Method, seen.URL)
				}
				return
			}
			if seen == nil || seen.Method != tt.upstream {
				t.Fatalf("upstream got %v, want method %s", seen, tt.upstream)
			}
			for _, h := range tt.absent {
				if _, ok := seen.Header[h]; ok {
					t.Errorf("upstream got %s", h)
				}
			}
			if tt.query != "" && seen.URL.RawQuery != tt.query {
				t.Errorf("upstream query %q, want %q", seen.URL.RawQuery, tt.query)
			}
		})
	}
	e.t = t
	// The upstream's own Request-Id never doubles the gateway's (doWith
	// asserts exactly one on every answer).
	if r := e.do("GET", "/items/1", "X-Test-Upstream-Request-Id", "1"); r.status != 200 || r.header.Get("Request-Id") == "set-by-the-upstream" {
		t.Fatalf("Request-Id %q", r.header.Values("Request-Id"))
	}
}

// TestH2CNotTunnelledOnWebSocketRoute: a route that allows WebSocket
// still refuses an h2c upgrade. A WebSocket route is served by the
// standard engine whatever the configuration asks (config.ServesFast),
// so this case lives apart from TestUpstreamRunsWhatWasDecided, whose
// routes the fast engine serves.
func TestH2CNotTunnelledOnWebSocketRoute(t *testing.T) {
	e := newEnvWithRoutes(t, `
  - {name: ws, path: /ws, public: true, websocket: true, upstream: "UP"}
`)
	r := e.do("GET", "/ws", "Connection", "Upgrade", "Upgrade", "h2c")
	if r.status != 400 || r.problem.Reason != string(reason.UpgradeNotAllowed) {
		t.Fatalf("got %d %q, want 400 %s", r.status, r.problem.Reason, reason.UpgradeNotAllowed)
	}
	if e.seen.Load() != nil {
		t.Fatal("the upstream was reached")
	}
}

func TestWithoutQueryParam(t *testing.T) {
	for raw, want := range map[string]string{
		"api_key=x":                  "",
		"a=1&api_key=x&b=2":          "a=1&b=2",
		"api%5Fkey=x&a=%2F":          "a=%2F",
		"api_key=x&api_key=y&api=1":  "api=1",
		"a=1&api_key":                "a=1",
		"a=1;api_key=x":              "a=1;api_key=x",
		"api_keys=1&xapi_key=2&a=&b": "api_keys=1&xapi_key=2&a=&b",
	} {
		if got := withoutQueryParam(raw, "api_key"); got != want {
			t.Errorf("%q → %q, want %q", raw, got, want)
		}
		if _, err := url.ParseQuery(want); err != nil && want != "a=1;api_key=x" {
			t.Errorf("%q: %v", want, err)
		}
	}
}
