package gateway

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/reason"
)

// spellingRoutes: /hosted/* is open on host open.test and needs scope
// admin elsewhere, so a request judged by a host it did not come with is
// a bypass.
const spellingRoutes = `
  - {name: hosted-open, hosts: [open.test], path: /hosted/*, public: true, upstream: "UP"}
  - {name: hosted, path: /hosted/*, scopes_all: [admin], upstream: "UP"}`

// spellings are the ways a client may write a header name that CGI, WSGI,
// Rack and PHP servers read as the same one (HTTP_X_ORIGINAL_URI).
func spellings(canon string) map[string]string {
	under := strings.ReplaceAll(canon, "-", "_")
	return map[string]string{
		"canonical":        canon,
		"lower":            strings.ToLower(canon),
		"upper":            strings.ToUpper(canon),
		"underscore":       under,
		"underscore lower": strings.ToLower(under),
	}
}

// underscored reports whether a spelling writes '_' for '-'.
func underscored(spelling string) bool { return strings.Contains(spelling, "underscore") }

// headerFamily is a class of headers authgate reads or strips, with what
// a client's copy must lead to in each mode. In proxy mode the request is
// for an open path and must reach the upstream without any copy; in a
// decision the proxy describes a protected path, and the client's copy
// must be refused (400 proxy_request_invalid) or change nothing (401
// credentials_missing).
type headerFamily struct {
	name    string
	headers []string
	value   string
	// refusedHyphen: a decision with a hyphenated (any case) copy is
	// refused; an underscored copy always is.
	refusedHyphen bool
}

// TestHeaderSpellings is the class test of issue #24: every header the
// gateway reads from a proxy or strips, in every spelling (case, '-' or
// '_'), duplicated and as a list, against proxy mode and the decision
// endpoint under each proxy convention.
func TestHeaderSpellings(t *testing.T) {
	families := []headerFamily{
		{name: "describing", headers: api.DescribingHeaders, value: "/public/a", refusedHyphen: true},
		{name: "rewrite", headers: rewriteHeaders, value: "/public/a", refusedHyphen: true},
		{name: "identity", headers: []string{"X-Authgate-Subject", "X-Authgate-Scopes", "X-Authgate-Claim-Roles", "X-Authgate-Identity"}, value: "admin", refusedHyphen: true},
		{name: "forwarding", headers: forwardingHeaders, value: "192.0.2.1"},
		{name: "request id", headers: []string{"Request-Id"}, value: "not a usable id"},
		{name: "credential", headers: []string{"X-API-Key"}, value: "ag_live_not_a_key"},
	}
	decisionBase := map[string][]string{
		"nginx":   {"X-Original-Method", "GET", "X-Original-URI", "/hosted/x", "X-Original-Host", "api.test"},
		"caddy":   {"X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/hosted/x", "X-Forwarded-Host", "api.test"},
		"traefik": {"X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/hosted/x", "X-Forwarded-Host", "api.test"},
		// The host and path in one header: the last pair is the original
		// host's (open, missing) for the host checks below.
		"ingress-nginx": {"X-Original-Method", "GET", "X-Original-URL", "http://api.test/hosted/x"},
	}
	// hostless and openHost are base with no original host, and with the
	// host every route serves.
	hostless := func(base []string) []string {
		if len(base) == 4 {
			return []string{base[0], base[1], base[2], "http:///hosted/x"}
		}
		return base[:4]
	}
	openHost := func(base []string) []string {
		open := append([]string{}, base...)
		if len(base) == 4 {
			open[3] = "http://open.test/hosted/x"
		} else {
			open[5] = "open.test"
		}
		return open
	}
	proxy := newEnvWithRoutes(t, spellingRoutes)
	for _, f := range families {
		for _, h := range f.headers {
			for label, spelled := range spellings(h) {
				t.Run(fmt.Sprintf("proxy/%s/%s", spelled, label), func(t *testing.T) {
					proxy.t = t
					proxy.seen.Store(nil)
					r := proxy.do("GET", "/public/a", spelled, f.value)
					if r.status != 200 {
						t.Fatalf("status %d %s (%s)", r.status, r.problem.Reason, r.problem.Detail)
					}
					for name, values := range proxy.seen.Load().Header {
						if !spelledAs(name, h) {
							continue
						}
						// Only the gateway's own value, in the standard spelling.
						if name != http.CanonicalHeaderKey(h) || len(values) != 1 || values[0] == f.value {
							t.Fatalf("the upstream got %s: %q", name, values)
						}
					}
				})
			}
		}
	}
	// From a peer that is not a trusted proxy, the forwarding headers
	// authgate does not read never reach the upstream either.
	untrusting := newEnvConfig(t, api.DetailFull, spellingRoutes, "trusted_proxies: [10.0.0.0/8]")
	for _, h := range peerForwarding {
		for label, spelled := range spellings(h) {
			untrusting.t = t
			untrusting.seen.Store(nil)
			if r := untrusting.do("GET", "/public/a", spelled, "192.0.2.1"); r.status != 200 {
				t.Fatalf("%s: %d", spelled, r.status)
			}
			for name := range untrusting.seen.Load().Header {
				if spelledAs(name, h) {
					t.Errorf("untrusted peer, %s (%s): the upstream got %s", spelled, label, name)
				}
			}
		}
	}
	proxy.t = t
	proxy.seen.Store(nil)
	proxy.do("GET", "/public/a", "X-Real-IP", "192.0.2.1")
	if got := proxy.seen.Load().Header.Get("X-Real-Ip"); got != "192.0.2.1" {
		t.Errorf("a trusted proxy's X-Real-IP did not pass: %q", got)
	}

	// The path the proxy describes wins over any client copy in proxy
	// mode: a protected path stays protected.
	for _, h := range append(append([]string{}, api.DescribingHeaders...), rewriteHeaders...) {
		value := "/public/a"
		if strings.HasSuffix(h, "Method") {
			value = "OPTIONS"
		} else if strings.HasSuffix(h, "Host") {
			value = "open.test"
		}
		proxy.t = t
		if r := proxy.do("GET", "/hosted/x", h, value); r.status != 401 || r.problem.Reason != string(reason.CredentialsMissing) {
			t.Errorf("proxy mode, %s: %s: %d %s", h, value, r.status, r.problem.Reason)
		}
	}

	for convention, base := range decisionBase {
		e := newEnvConfig(t, api.DetailFull, spellingRoutes, "decision_proxy: "+convention)
		decide := func(t *testing.T, extra ...string) result {
			e.t = t
			return e.do("GET", "/.authgate/decide", append(append([]string{}, base...), extra...)...)
		}
		if r := decide(t); r.status != 401 || r.problem.Reason != string(reason.CredentialsMissing) {
			t.Fatalf("%s: the plain decision: %d %s (%s)", convention, r.status, r.problem.Reason, r.problem.Detail)
		}
		for _, f := range families {
			for _, h := range f.headers {
				for label, spelled := range spellings(h) {
					t.Run(fmt.Sprintf("%s/%s/%s", convention, spelled, label), func(t *testing.T) {
						r := decide(t, spelled, f.value)
						if underscored(label) || f.refusedHyphen {
							if r.status != 400 || r.problem.Reason != string(reason.ProxyRequestInvalid) {
								t.Fatalf("got %d %s (%s), want 400 proxy_request_invalid", r.status, r.problem.Reason, r.problem.Detail)
							}
							return
						}
						if r.status != 401 || r.problem.Reason != string(reason.CredentialsMissing) && f.name != "credential" {
							t.Fatalf("got %d %s (%s), want 401", r.status, r.problem.Reason, r.problem.Detail)
						}
					})
				}
			}
		}
		// The convention's own headers: once, one value, hyphenated.
		for i := 0; i < len(base); i += 2 {
			name, value := base[i], base[i+1]
			spoof := "/public/a"
			switch {
			case i == 0:
				spoof = "OPTIONS"
			case i == 4:
				spoof = "open.test"
			case strings.HasPrefix(value, "http://"):
				spoof = "http://open.test/public/a"
			}
			for label, spelled := range spellings(name) {
				t.Run(fmt.Sprintf("%s/own/%s/%s twice", convention, spelled, label), func(t *testing.T) {
					if r := decide(t, spelled, spoof); r.status != 400 || r.problem.Reason != string(reason.ProxyRequestInvalid) {
						t.Fatalf("got %d %s (%s), want 400 proxy_request_invalid", r.status, r.problem.Reason, r.problem.Detail)
					}
				})
			}
			if i != 2 {
				t.Run(fmt.Sprintf("%s/own/%s as a list", convention, name), func(t *testing.T) {
					listed := append([]string{}, base...)
					listed[i+1] = spoof + ", " + value
					e.t = t
					if r := e.do("GET", "/.authgate/decide", listed...); r.status != 400 || r.problem.Reason != string(reason.ProxyRequestInvalid) {
						t.Fatalf("got %d %s (%s), want 400 proxy_request_invalid", r.status, r.problem.Reason, r.problem.Detail)
					}
				})
			}
		}
		// The original host decides host routes, never the decision
		// request's own Host.
		e.t = t
		if r := e.do("GET", "/.authgate/decide", openHost(base)...); r.status != 200 {
			t.Errorf("%s: the open host: %d %s", convention, r.status, r.problem.Reason)
		}
		if r := e.do("GET", "/.authgate/decide", hostless(base)...); r.status != 400 || r.problem.Reason != string(reason.ProxyRequestInvalid) {
			t.Errorf("%s: no original host, with host routes: %d %s", convention, r.status, r.problem.Reason)
		}
		if r := e.do("GET", "/.authgate/decide/hosted/x", base...); r.status != 400 || r.problem.Reason != string(reason.ProxyRequestInvalid) {
			t.Errorf("%s: a path after the decision path: %d %s", convention, r.status, r.problem.Reason)
		}
	}
}

// TestDecisionConventions: each convention is read from its own headers
// only; Envoy's from the path and the request's own method and host.
func TestDecisionConventions(t *testing.T) {
	good := token(t, map[string]any{"scope": "read"})
	for _, tt := range []struct {
		convention string
		path       string
		headers    []string
		status     int
		reason     reason.Code
	}{
		{"nginx", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URI", "/v1/data", "Authorization", "Bearer " + good}, 200, ""},
		{"nginx", "/.authgate/decide", []string{"X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/v1/data", "Authorization", "Bearer " + good}, 400, reason.ProxyRequestInvalid},
		{"nginx", "/.authgate/decide/v1/data", []string{"Authorization", "Bearer " + good}, 400, reason.ProxyRequestInvalid},
		{"caddy", "/.authgate/decide", []string{"X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/v1/data", "Authorization", "Bearer " + good}, 200, ""},
		// The Critical of #24: a client's X-Original-URI beside Caddy's.
		{"caddy", "/.authgate/decide", []string{"X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/v1/data", "X-Original-URI", "/public/a"}, 400, reason.ProxyRequestInvalid},
		{"caddy", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URI", "/v1/data", "Authorization", "Bearer " + good}, 400, reason.ProxyRequestInvalid},
		{"traefik", "/.authgate/decide", []string{"X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/v1/data", "Authorization", "Bearer " + good}, 200, ""},
		{"envoy", "/.authgate/decide/v1/data", []string{"Authorization", "Bearer " + good}, 200, ""},
		{"envoy", "/.authgate/decide/v1/data", nil, 401, reason.CredentialsMissing},
		{"envoy", "/.authgate/decide/v1/data", []string{"X-Original-URI", "/public/a"}, 400, reason.ProxyRequestInvalid},
		{"envoy", "/.authgate/decide/public/a", []string{"X-Forwarded-Uri", "/v1/data"}, 400, reason.ProxyRequestInvalid},
		{"envoy", "/.authgate/decide/public/a", nil, 200, ""},
		// ingress-nginx: the whole URL in X-Original-URL.
		{"ingress-nginx", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URL", "https://api.example.com/v1/data?a=1,2", "Authorization", "Bearer " + good}, 200, ""},
		{"ingress-nginx", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URL", "http://api.example.com/v1/data"}, 401, reason.CredentialsMissing},
		{"ingress-nginx", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URL", "http:///public/a"}, 200, ""},
		{"ingress-nginx", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URL", "/public/a"}, 400, reason.ProxyRequestInvalid},
		{"ingress-nginx", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URL", "ftp://h/public/a"}, 400, reason.ProxyRequestInvalid},
		{"ingress-nginx", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URL", "HTTP://h/public/a"}, 400, reason.ProxyRequestInvalid},
		{"ingress-nginx", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URL", "http://u@h/public/a"}, 400, reason.ProxyRequestInvalid},
		{"ingress-nginx", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URL", "http://h"}, 400, reason.ProxyRequestInvalid},
		{"ingress-nginx", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URL", "http://h/public/a, http://h/v1/data"}, 400, reason.ProxyRequestInvalid},
		{"ingress-nginx", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URL", "http://h/public/a", "X-Original-URL", "http://h/v1/data"}, 400, reason.ProxyRequestInvalid},
		{"ingress-nginx", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URL", "http://h/public/a", "x-original-url", "http://h/v1/data"}, 400, reason.ProxyRequestInvalid},
		{"ingress-nginx", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URL", "http://h/public/a", "X_Original_URL", "http://h/v1/data"}, 400, reason.ProxyRequestInvalid},
		{"ingress-nginx", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URL", "http://h/public/a", "X-Original-URI", "/v1/data"}, 400, reason.ProxyRequestInvalid},
		{"ingress-nginx", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URL", "http://h/public/a", "X-Forwarded-Uri", "/v1/data"}, 400, reason.ProxyRequestInvalid},
		{"ingress-nginx", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URL", "http://h/public/a", "X-Rewrite-URL", "/v1/data"}, 400, reason.ProxyRequestInvalid},
		{"ingress-nginx", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URI", "/public/a", "Authorization", "Bearer " + good}, 400, reason.ProxyRequestInvalid},
		{"ingress-nginx", "/.authgate/decide/public/a", []string{"X-Original-Method", "GET", "X-Original-URL", "http://h/public/a"}, 400, reason.ProxyRequestInvalid},
		// Under every other convention X-Original-URL is a path rewrite.
		{"nginx", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URI", "/public/a", "X-Original-URL", "http://h/v1/data"}, 400, reason.ProxyRequestInvalid},
		{"caddy", "/.authgate/decide", []string{"X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/public/a", "X-Original-URL", "http://h/v1/data"}, 400, reason.ProxyRequestInvalid},
		{"envoy", "/.authgate/decide/public/a", []string{"X-Original-URL", "http://h/v1/data"}, 400, reason.ProxyRequestInvalid},
	} {
		t.Run(tt.convention+" "+tt.path+" "+strings.Join(tt.headers, " ")[:min(40, len(strings.Join(tt.headers, " ")))], func(t *testing.T) {
			e := newEnv(t, api.DetailFull, "decision_proxy: "+tt.convention)
			r := e.do("GET", tt.path, tt.headers...)
			if r.status != tt.status || r.problem.Reason != string(tt.reason) {
				t.Fatalf("got %d %q (%s), want %d %q", r.status, r.problem.Reason, r.problem.Detail, tt.status, tt.reason)
			}
		})
	}
}

// TestSubjectsAreNamespaced (#24 item 13): the subject the upstream gets
// says the credential's kind and, for tokens, its issuer, so a token whose
// sub imitates an API key's subject, or a Basic user's name, never passes
// for it.
func TestSubjectsAreNamespaced(t *testing.T) {
	e := newEnvWithRoutes(t, `
  - {name: every, path: /every/*, schemes: [apikey, basic, bearer], scopes_all: [read], upstream: "UP"}`)
	key, k := e.key("live", "read")
	e.user("alice", "correct horse battery")
	subjectOf := func(headers ...string) string {
		t.Helper()
		e.seen.Store(nil)
		if r := e.do("GET", "/every/a", headers...); r.status != 200 {
			t.Fatalf("%d %s (%s)", r.status, r.problem.Reason, r.problem.Detail)
		}
		values := e.seen.Load().Header.Values("X-Authgate-Subject")
		if len(values) != 1 {
			t.Fatalf("the upstream got %d subjects", len(values))
		}
		return values[0]
	}
	for _, tt := range []struct {
		name    string
		headers []string
		want    string
	}{
		{"API key", []string{"X-API-Key", key}, "apikey:" + k.ID},
		{"Basic", []string{"Authorization", basicAuth("alice", "correct horse battery")}, "basic:alice"},
		{"JWT named like the key", []string{"Authorization", "Bearer " + token(t, map[string]any{"sub": "apikey:" + k.ID})}, "token:main:apikey:" + k.ID},
		{"JWT named like the user", []string{"Authorization", "Bearer " + token(t, map[string]any{"sub": "alice"})}, "token:main:alice"},
		{"JWT named like a Basic subject", []string{"Authorization", "Bearer " + token(t, map[string]any{"sub": "basic:alice"})}, "token:main:basic:alice"},
	} {
		e.t = t
		if got := subjectOf(tt.headers...); got != tt.want {
			t.Errorf("%s: the upstream's subject %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestEchoNeverDecides: the echo endpoint answers under any prefix of the
// API, but never under the decision path: there its 200 would be an allow
// (Envoy's HTTP mode sends the original path after the decision path), and
// the client's own identity headers would reach the upstream.
func TestEchoNeverDecides(t *testing.T) {
	for _, tt := range []struct {
		convention, path string
		headers          []string
	}{
		{"envoy", "/.authgate/decide/v1/data/.authgate/echo", nil},
		{"envoy", "/.authgate/decide/.authgate/echo", nil},
		{"nginx", "/.authgate/decide", []string{"X-Original-Method", "GET", "X-Original-URI", "/v1/data/.authgate/echo"}},
		{"caddy", "/.authgate/decide", []string{"X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/v1/data/.authgate/echo"}},
	} {
		t.Run(tt.convention+" "+tt.path, func(t *testing.T) {
			e := newEnv(t, api.DetailFull, "decision_proxy: "+tt.convention+"\necho: true")
			if r := e.do("GET", tt.path, tt.headers...); r.status == 200 || r.problem.Reason == "" {
				t.Fatalf("a decision for an echo path: %d %q, want a refusal with a reason", r.status, r.problem.Reason)
			}
		})
	}
	e := newEnv(t, api.DetailFull, "echo: true")
	if r := e.do("GET", "/v1/data/.authgate/echo"); r.status != 200 {
		t.Fatalf("the echo under the API's prefix: %d %q", r.status, r.problem.Reason)
	}
}
