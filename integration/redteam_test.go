// Red-team regression tests (branch redteam). The TestRedteam* tests that
// report "FINDING" fail on the code they were written against and pass
// once the finding is fixed; the others record attacks that held.
package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"github.com/authgate/authgate/internal/gatewaytest"
	"github.com/authgate/authgate/internal/tokentest"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRedteamStatusOnlyFromClient: a client that sends Authgate-Decision:
// status itself, through the documented nginx and Caddy files, is never
// counted toward failure_limit (per_credential 10): unlimited guessing.
func TestRedteamStatusOnlyFromClient(t *testing.T) {
	for _, proxy := range []string{"nginx", "caddy"} {
		t.Run(proxy, func(t *testing.T) {
			s := newStack(t, proxy, false)
			var addr string
			if proxy == "nginx" {
				addr = startNginx(t, s)
			} else {
				addr = startCaddy(t, s)
			}
			// Same wrong credential 30 times; per_credential is 10.
			counts := map[int]int{}
			for i := 0; i < 30; i++ {
				r := raw(t, addr, "GET", "/v1/data", "Authorization", "Bearer abc.def.ghi", "Authgate-Decision", "status")
				counts[r.status]++
			}
			t.Logf("with client-sent Authgate-Decision: status: %v", counts)
			if counts[429] == 0 {
				t.Errorf("FINDING: 30 wrong tries with a client-sent Authgate-Decision: status were never limited (per_credential 10): %v", counts)
			}
			counts = map[int]int{}
			for i := 0; i < 30; i++ {
				r := raw(t, addr, "GET", "/v1/data", "Authorization", "Bearer abc.def.ghj")
				counts[r.status]++
			}
			t.Logf("without: %v", counts)
		})
	}
}

// TestRedteamSubjectCollision: two different subs of one issuer reach the
// upstream as the same X-Authgate-Subject: control characters are dropped
// and trailing whitespace is trimmed on the wire.
func TestRedteamSubjectCollision(t *testing.T) {
	s := newStack(t, "", false)
	for _, sub := range []string{"alice", "alice ", "alice\t", "al\x01ice", "alice\x7f", "\x00alice"} {
		tok := tokentest.Sign(t, map[string]any{"iss": issuer, "aud": "api", "sub": sub, "scope": "read"}, nil)
		r := raw(t, s.gatewayAddr, "GET", "/v1/data", "Authorization", "Bearer "+tok)
		s.upstream.mu.Lock()
		got := s.upstream.header.Values("X-Authgate-Subject")
		s.upstream.mu.Unlock()
		t.Logf("sub %q -> status %d, upstream subject %q", sub, r.status, got)
		if sub != "alice" && r.status == 200 && len(got) == 1 && got[0] == "token:main:alice" {
			t.Errorf("FINDING: sub %q reached the upstream as alice's subject", sub)
		}
	}
}

func (s *stack) last() (string, http.Header) {
	s.upstream.mu.Lock()
	defer s.upstream.mu.Unlock()
	p, h := s.upstream.path, s.upstream.header
	if p != "" {
		p = s.upstream.method + " " + p
	}
	s.upstream.method, s.upstream.path, s.upstream.header = "", "", nil
	return p, h
}

// TestRedteamPreflightCarriesOverride: a CORS preflight is answered 204
// in a decision before the method-override check, so the proxy forwards
// an unauthenticated OPTIONS with X-HTTP-Method-Override (and a body) to a
// protected route's upstream.
func TestRedteamPreflightCarriesOverride(t *testing.T) {
	routes := `
routes:
  - {name: admin, path: /admin/*, scopes_all: [admin], upstream: "UP", cors: {allowed_origins: ["https://app.example"], allowed_methods: [GET, DELETE]}}
`
	for _, proxy := range []string{"nginx", "caddy"} {
		t.Run(proxy, func(t *testing.T) {
			s := startStack(t, proxy, "", routes, false)
			addr := map[string]func(*testing.T, *stack) string{"nginx": startNginx, "caddy": startCaddy}[proxy](t, s)
			r := raw(t, addr, "OPTIONS", "/admin/users/1", "Origin", "https://app.example", "Access-Control-Request-Method", "DELETE",
				"X-HTTP-Method-Override", "DELETE", "Content-Length", "0")
			p, h := s.last()
			t.Logf("status %d body %q; upstream saw %q override=%q", r.status, r.body, p, h.Get("X-Http-Method-Override"))
			if p != "" && h.Get("X-Http-Method-Override") != "" {
				t.Errorf("FINDING: an unauthenticated OPTIONS with X-HTTP-Method-Override reached a protected route's upstream")
			}
			r = raw(t, addr, "GET", "/admin/users/1", "X-HTTP-Method-Override", "DELETE")
			if p, _ = s.last(); r.status != 400 || p != "" {
				t.Errorf("a GET with an override on a route without method_override: %d, upstream saw %q", r.status, p)
			}
		})
	}
}

// TestRedteamForwardedFor: X-Forwarded-For hops from a trusted proxy
// against deny_cidrs and allow_cidrs.
func TestRedteamForwardedFor(t *testing.T) {
	routes := `
routes:
  - {name: denied, path: /deny/*, public: true, deny_cidrs: [10.0.0.0/8, "fe80::/10", "2001:db8::/32"], upstream: "UP"}
  - {name: allowed, path: /allow/*, public: true, allow_cidrs: [192.0.2.0/24], upstream: "UP"}
`
	s := startStack(t, "", "trusted_proxies: [127.0.0.1/32]", routes, false)
	hops := []string{"10.0.0.1", "::ffff:10.0.0.1", "[::ffff:10.0.0.1]:80", "10.0.0.1:80", "fe80::1%eth0", "[fe80::1%eth0]:80",
		"2001:db8::1%1", "::ffff:10.0.0.1%eth0", "0x0a.0.0.1", "010.0.0.1", "10.1", " 10.0.0.1 ", "10.0.0.1,", ",10.0.0.1", "10.0.0.1, 127.0.0.1",
		"192.0.2.1%x", "::ffff:192.0.2.1", "192.0.2.1, 127.0.0.1, 127.0.0.1"}
	for _, h := range hops {
		d := raw(t, s.gatewayAddr, "GET", "/deny/x", "X-Forwarded-For", h)
		a := raw(t, s.gatewayAddr, "GET", "/allow/x", "X-Forwarded-For", h)
		t.Logf("XFF %-30q deny-route %d  allow-route %d", h, d.status, a.status)
		if strings.Contains(h, "%") && (strings.Contains(h, "fe80") || strings.Contains(h, "2001:db8")) && d.status == 200 {
			t.Errorf("FINDING: %q (an address in deny_cidrs, with a zone) passed deny_cidrs", h)
		}
	}
}

// TestRedteamProxyModePassThrough lists the client headers that reach the
// upstream in proxy mode.
func TestRedteamProxyModePassThrough(t *testing.T) {
	routes := `
routes:
  - {name: public, path: /public/*, public: true, upstream: "UP"}
`
	s := startStack(t, "", "", routes, false)
	hdrs := []string{"X-Real-IP", "1.1.1.1", "True-Client-IP", "1.1.1.2", "X-Client-IP", "1.1.1.3", "X-Forwarded-Port", "443",
		"X-Forwarded-Ssl", "on", "X-Forwarded-Scheme", "https", "X-Forwarded-Prefix", "/admin", "X-Forwarded-Path", "/admin/x",
		"Request_Id", "spoof", "X-Original-Path", "/admin/x", "X-Envoy-Original-Path", "/admin/x", "X-HTTP-Method-Override", "DELETE",
		"X_HTTP_METHOD_OVERRIDE", "DELETE", "X-Authgate_Subject", "root", "x-authgate-identity", "forged", "Forwarded", "for=1.1.1.1;proto=https",
		"X-Original-URL", "/admin", "X-Rewrite_URL", "/admin", "X-Forwarded_Host", "evil", "X-Forwarded-For_", "1.1.1.1", "Authgate-Decision", "status"}
	raw(t, s.gatewayAddr, "GET", "/public/x", hdrs...)
	_, h := s.last()
	for k, v := range h {
		t.Logf("upstream got %s: %q", k, v)
	}
}

// TestRedteamClaimHeaderSpoof: with claim_headers, a client's own
// X-Authgate-Claim-* header passes the documented nginx and Caddy files to
// the upstream; and in Caddy, adding the claim header to copy_headers (as
// the docs suggest for the identity token) still keeps the client's copy
// when the answer's value is empty (the token lacks the claim).
func TestRedteamClaimHeaderSpoof(t *testing.T) {
	routes := `
claim_headers: {Roles: roles}
routes:
  - {name: public, path: /public/*, public: true, upstream: "UP"}
  - {name: api, path: /v1/*, scopes_all: [read], upstream: "UP"}
`
	read := token(t, "read") // no roles claim
	for _, proxy := range []string{"nginx", "caddy", "caddy-copy"} {
		t.Run(proxy, func(t *testing.T) {
			conv := strings.TrimSuffix(proxy, "-copy")
			s := startStack(t, conv, "", routes, false)
			var addr string
			switch proxy {
			case "nginx":
				addr = startNginx(t, s)
			case "caddy":
				addr = startCaddy(t, s)
			default:
				addr = startCaddyWith(t, s, func(c string) string {
					return strings.Replace(c, "copy_headers X-Authgate-Subject", "copy_headers X-Authgate-Claim-Roles X-Authgate-Subject", 1)
				})
			}
			for _, target := range []string{"/public/x", "/v1/data"} {
				r := raw(t, addr, "GET", target, "Authorization", "Bearer "+read, "X-Authgate-Claim-Roles", `["admin"]`)
				_, h := s.last()
				t.Logf("%s: status %d, upstream subject %q roles %q", target, r.status, h.Get("X-Authgate-Subject"), h.Values("X-Authgate-Claim-Roles"))
				if r.status == 200 && h.Get("X-Authgate-Claim-Roles") != "" {
					t.Errorf("FINDING: the client's X-Authgate-Claim-Roles reached the upstream of %s", target)
				}
			}
		})
	}
}

// startCaddyWith is startCaddy with the Caddyfile edited by edit.
func startCaddyWith(t *testing.T, s *stack, edit func(string) string) string {
	return runCaddy(t, func(addr string) string { return edit(fill(t, "Caddyfile", addr, s)) })
}

// rawLines sends a request whose header block is written verbatim.
func rawLines(t testing.TB, addr, head string) (int, string) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(conn, head)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestRedteamOddHeaderLines: header lines a parser may read differently
// (space before the colon, obs-fold, NUL, non-ASCII names), through each
// proxy and in proxy mode, on a protected path.
func TestRedteamOddHeaderLines(t *testing.T) {
	lines := []string{
		"X-Original-URI : /public/x\r\n",
		"X-Original-URI\t: /public/x\r\n",
		"X-Forwarded-Uri : /public/x\r\n",
		"X-Foo: a\r\n X-Original-URI: /public/x\r\n",
		"X-Foo: a\r\n\tX-Forwarded-Uri: /public/x\r\n",
		"X-Forwarded-Uri: /admin/x\r\n /public/x\r\n",
		"X-Original-URI: /public/x\r\n",
		"X-Forwarded-Uri: /public/x\r\n",
		"X-Forwarded-Uri:\r\n",
		"X-Original-Ürı: /public/x\r\n",
		"X-Forwarded-Method: GET\r\nX-Forwarded-Uri: /public/x\r\n",
	}
	for _, proxy := range []string{"", "nginx", "caddy"} {
		s := newStack(t, proxy, false)
		addr := s.gatewayAddr
		switch proxy {
		case "nginx":
			addr = startNginx(t, s)
		case "caddy":
			addr = startCaddy(t, s)
		}
		for _, l := range lines {
			st, body := rawLines(t, addr, "GET /admin/x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"+l+"\r\n")
			s.upstream.mu.Lock()
			up := s.upstream.path
			s.upstream.path = ""
			s.upstream.mu.Unlock()
			if len(body) > 80 {
				body = body[:80]
			}
			t.Logf("%-6s %-55q -> %d upstream=%q %q", proxy, l, st, up, body)
			if up != "" {
				t.Errorf("%s: %q reached the upstream of /admin/x without credentials", proxy, l)
			}
		}
	}
}

// TestRedteamSlowJWKS: a key set server that drips one byte a second.
func TestRedteamSlowJWKS(t *testing.T) {
	up := gatewaytest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	// abandoned is closed when the gateway hangs up on the drip before
	// its end: the fetch was bounded (a fetch that read all 20 s would
	// end in a 503 too, for the key set is not JSON — the hang-up, not the
	// status or a clock, is what tells).
	abandoned := make(chan struct{})
	var once sync.Once
	jwksAddr := gatewaytest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("{"))
		w.(http.Flusher).Flush()
		for i := 0; i < 20; i++ {
			select {
			case <-r.Context().Done():
				once.Do(func() { close(abandoned) })
				return
			case <-time.After(time.Second):
			}
			w.Write([]byte(" "))
			w.(http.Flusher).Flush()
		}
	}))
	addr := gatewaytest.Start(t, fmt.Sprintf(`
issuers:
  - {name: main, issuer: "%s", audiences: [api], jwks_url: "http://%s/jwks"}
routes:
  - {name: api, path: /v1/*, scopes_all: [read], upstream: "http://%s"}
`, issuer, jwksAddr, up))
	start := time.Now()
	r := raw(t, addr, "GET", "/v1/x", "Authorization", "Bearer "+token(t, "read"))
	t.Logf("status %d after %s: %.120s", r.status, time.Since(start), r.body)
	if r.status != 503 {
		t.Errorf("a dripping key set: %d after %s", r.status, time.Since(start))
	}
	select {
	case <-abandoned:
	case <-time.After(30 * time.Second):
		t.Error("the gateway read the dripping key set to its end: the fetch is not bounded")
	}
}

// TestRedteamUpgradeInDecisions: the upgrade rule (h2c never, WebSocket
// only where the route says) is not applied to decisions: Caddy forwards
// the upgrade, and the upstream's 101 opens a tunnel authgate never sees.
func TestRedteamUpgradeInDecisions(t *testing.T) {
	routes := `
routes:
  - {name: public, path: /public/*, public: true, upstream: "UP"}
`
	for _, proxy := range []string{"", "caddy", "nginx"} {
		t.Run("via-"+proxy, func(t *testing.T) {
			s := &stack{upstream: &seen{}}
			s.upstreamAddr = gatewaytest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s.upstream.mu.Lock()
				s.upstream.path, s.upstream.header = r.Method+" "+r.RequestURI, r.Header.Clone()
				s.upstream.mu.Unlock()
				if r.Header.Get("Upgrade") == "" {
					io.WriteString(w, "plain")
					return
				}
				c, brw, err := http.NewResponseController(w).Hijack()
				if err != nil {
					return
				}
				defer c.Close()
				io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: "+r.Header.Get("Upgrade")+"\r\n\r\n")
				// after the switch: read one HTTP/1.1 request in the tunnel and answer it unjudged
				req, err := http.ReadRequest(brw.Reader)
				if err != nil {
					return
				}
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 24\r\n\r\ntunnel served "+fmt.Sprintf("%-10s", req.URL.Path))
			}))
			jwks := tokentest.JWKS()
			jwksAddr := gatewaytest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(jwks) }))
			conv := ""
			if proxy != "" {
				conv = "decision_proxy: " + proxy
			}
			s.gatewayAddr = gatewaytest.Start(t, fmt.Sprintf("%s\nissuers:\n  - {name: main, issuer: %q, audiences: [api], jwks_url: \"http://%s/jwks\"}\n", conv, issuer, jwksAddr)+
				strings.ReplaceAll(routes, "UP", "http://"+s.upstreamAddr))
			addr := s.gatewayAddr
			switch proxy {
			case "caddy":
				addr = startCaddy(t, s)
			case "nginx":
				addr = startNginx(t, s)
			}
			for _, up := range []string{"websocket", "h2c"} {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				c.SetDeadline(time.Now().Add(5 * time.Second))
				extra := "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
				conn := "Upgrade"
				if up == "h2c" {
					extra, conn = "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n", "Upgrade, HTTP2-Settings"
				}
				io.WriteString(c, "GET /public/x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: "+conn+"\r\nUpgrade: "+up+"\r\n"+extra+"\r\n")
				br := bufio.NewReader(c)
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Logf("%s: %v", up, err)
					c.Close()
					continue
				}
				_, h := s.last()
				t.Logf("%s: status %d; upstream saw Upgrade=%q Connection=%q HTTP2-Settings=%q", up, resp.StatusCode, h.Get("Upgrade"), h.Get("Connection"), h.Get("Http2-Settings"))
				if resp.StatusCode == 101 {
					t.Errorf("FINDING: Upgrade: %s on a route without websocket was switched (101) through %q", up, proxy)
					io.WriteString(c, "GET /admin/secret HTTP/1.1\r\nHost: x\r\n\r\n")
					r2, err := http.ReadResponse(br, nil)
					if err == nil {
						b, _ := io.ReadAll(r2.Body)
						t.Logf("   in the tunnel: %d %q", r2.StatusCode, b)
					}
				}
				c.Close()
			}
		})
	}
}

// TestRedteamTrailers: identity headers sent as chunked-body trailers
// reach the upstream with no value (net/http passes a declared trailer's
// name on, empty; the values are dropped).
func TestRedteamTrailers(t *testing.T) {
	var got http.Header
	up := gatewaytest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		got = r.Trailer.Clone()
		io.WriteString(w, "ok")
	}))
	addr := gatewaytest.Start(t, fmt.Sprintf("routes:\n  - {name: public, path: /public/*, public: true, upstream: \"http://%s\"}\n", up))
	for _, decl := range []string{"", "Trailer: X-Authgate-Subject\r\n"} {
		st, body := rawLines(t, addr, "POST /public/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n"+decl+"\r\n3\r\nabc\r\n0\r\nX-Authgate-Subject: root\r\nX-Authgate-Claim-Roles: admin\r\n\r\n")
		t.Logf("declared %q: %d %q; upstream trailers %q", decl, st, body, got)
		for name, values := range got {
			if strings.HasPrefix(http.CanonicalHeaderKey(strings.ReplaceAll(name, "_", "-")), "X-Authgate-") && strings.Join(values, "") != "" {
				t.Errorf("declared %q: the upstream got the trailer %s: %q", decl, name, values)
			}
		}
	}
}

// TestRedteamEnvoyPaths: path tricks after the decision path, envoy mode.
func TestRedteamEnvoyPaths(t *testing.T) {
	s := newStack(t, "envoy", false)
	for _, c := range []struct {
		target string
		hdr    []string
	}{
		{"/.authgate/decide/public/x", nil},
		{"/.authgate/decide/admin/x", nil},
		{"/.authgate/decide/../admin/x", nil},
		{"/.authgate/decide/public/../admin/x", nil},
		{"/.authgate/decide//admin/x", nil},
		{"/.authgate/decide/%2e%2e/admin/x", nil},
		{"/.authgate/decide%2fpublic/x", nil},
		{"/.authgate/decid%65/public/x", nil},
		{"/.authgate/decide/public%2f..%2fadmin/x", nil},
		{"/.authgate/decide", nil},
		{"/.authgate/decide/", nil},
		{"/.authgate/decide?/public/x", nil},
		{"/.authgate/decide/public/x?a=/../admin", nil},
		{"/.authgate/decide/admin/x", []string{"X-Original-URI", "/public/x"}},
		{"/.authgate/decide/admin/x", []string{"X-Forwarded-Uri", "/public/x"}},
		{"/.authgate/decide/admin/x", []string{"X-Envoy-Original-Path", "/public/x"}},
		{"http://open.test/.authgate/decide/hosted/x", nil},
		{"/.authgate/decide/hosted/x", []string{"Host", "open.test"}},
		{"/.authgate/decide/hosted/x", []string{"Host", "OPEN.test.:1"}},
		{"/.authgate/decide/hosted/x", []string{"Host", "[open.test]"}},
	} {
		r := raw(t, s.gatewayAddr, "GET", c.target, c.hdr...)
		var p problem
		json.Unmarshal([]byte(r.body), &p)
		t.Logf("%-45s %v -> %d %s", c.target, c.hdr, r.status, p.Reason)
	}
}

// TestRedteamHostNormalization: authgate reads "open.test.", "[open.test]"
// and "OPEN.TEST" as open.test; a Caddy with a site for open.test and a
// catch-all site (another app) may not.
func TestRedteamHostNormalization(t *testing.T) {
	routes := `
routes:
  - {name: hosted-open, hosts: [open.test], path: /hosted/*, public: true, upstream: "UP"}
  - {name: hosted, path: /hosted/*, scopes_all: [admin], upstream: "UP"}
`
	s := startStack(t, "caddy", "", routes, false)
	var adminSaw string
	adminUp := gatewaytest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		adminSaw = r.Host + " " + r.RequestURI
		io.WriteString(w, "ADMIN APP")
	}))
	var port string
	addr2 := runCaddy(t, func(addr string) string {
		_, port, _ = net.SplitHostPort(addr)
		caddyfile := fill(t, "Caddyfile", addr, s)
		site := strings.SplitN(caddyfile, "\n", 2)
		body := site[1][strings.Index(site[1], "http://"):]
		openSite := strings.Replace(body, "http://"+addr, "http://open.test:"+port, 1)
		other := strings.Replace(strings.Replace(body, "http://"+addr, "http://:"+port, 1), "reverse_proxy "+s.upstreamAddr, "reverse_proxy "+adminUp, 1)
		return openSite + "\n" + other
	})
	for _, host := range []string{"open.test", "open.test:" + port, "OPEN.TEST", "open.test.", "open.test.:" + port, "[open.test]", "other.test"} {
		adminSaw = ""
		r := raw(t, addr2, "GET", "/hosted/x", "Host", host)
		p, _ := s.last()
		t.Logf("Host %-22q -> %d; public app saw %q, admin app saw %q", host, r.status, p, adminSaw)
		if adminSaw != "" && r.status == 200 {
			t.Errorf("FINDING: Host %q judged as open.test (public) but served by the catch-all site", host)
		}
	}
}

// TestRedteamQueryKeyReachesUpstream: a route's api_key_query parameter is
// removed in proxy mode, but behind nginx and Caddy the upstream gets it.
func TestRedteamQueryKeyReachesUpstream(t *testing.T) {
	routes := `
routes:
  - {name: keyed, path: /keyed/*, schemes: [apikey], api_key_query: api_key, upstream: "UP"}
`
	for _, proxy := range []string{"", "nginx", "caddy"} {
		t.Run("via-"+proxy, func(t *testing.T) {
			s := startStack(t, proxy, "", routes, false)
			addr := s.gatewayAddr
			switch proxy {
			case "nginx":
				addr = startNginx(t, s)
			case "caddy":
				addr = startCaddy(t, s)
			}
			r := raw(t, addr, "GET", "/keyed/a?api_key="+s.apiKey+"&x=1")
			p, _ := s.last()
			t.Logf("status %d, upstream saw %q", r.status, p)
			if strings.Contains(p, s.apiKey) {
				t.Errorf("FINDING: the upstream received the API key in the query (via %q)", proxy)
			}
		})
	}
}
