// Package integration runs authgate behind the real proxies people use —
// Debian's nginx (auth_request) and Caddy (forward_auth) — and in proxy
// mode, and checks statuses, challenges, identity headers and path
// bypass attempts end to end. The proxy tests skip when the proxy is not
// installed by hand; .ci/run installs both (and with CI set they fail
// instead of skipping).
package integration

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/credential/apikey"
	"github.com/authgate/authgate/internal/app"
	"github.com/authgate/authgate/internal/gatewaytest"
	"github.com/authgate/authgate/internal/tokentest"
)

const issuer = "https://issuer.integration.test"

func token(t testing.TB, scope string) string {
	return tokentest.Sign(t, map[string]any{"iss": issuer, "aud": "api", "sub": "alice", "scope": scope}, nil)
}

// seen is what the upstream received last.
type seen struct {
	mu           sync.Mutex
	method, path string
	header       http.Header
}

// stack is an authgate gateway, its upstream and its JWKS server.
type stack struct {
	gatewayAddr, upstreamAddr string
	upstream                  *seen
	// apiKey is a key with scope read for /keyed/*; keyID its id.
	apiKey, keyID string
}

// The layout of every test: /public/* open, /admin/* needs scope admin,
// /v1/* needs read; /ro/* is open to GET only, /hosted/* on host
// open.test only.
const routes = `
routes:
  - {name: public, path: /public/*, public: true, upstream: "UP"}
  - {name: admin, path: /admin/*, scopes_all: [admin], upstream: "UP"}
  - {name: api, path: /v1/*, scopes_all: [read], upstream: "UP"}
  - {name: keyed, path: /keyed/*, schemes: [apikey, bearer], scopes_all: [read], upstream: "UP"}
  - {name: ro, path: /ro/*, methods: [GET], public: true, upstream: "UP"}
  - {name: ro-write, path: /ro/*, scopes_all: [admin], upstream: "UP"}
  - {name: hosted-open, hosts: [open.test], path: /hosted/*, public: true, upstream: "UP"}
  - {name: hosted, path: /hosted/*, scopes_all: [admin], upstream: "UP"}
`

// newStack starts the gateway for decisions from proxy (decision_proxy;
// "" in proxy mode) with the routes of every test; with jwksDown its
// issuer's key set cannot be fetched, so every token is answered 503.
func newStack(t testing.TB, proxy string, jwksDown bool) *stack {
	return startStack(t, proxy, "", routes, jwksDown)
}

// startStack is newStack with more configuration lines (extra) and the
// routes section routesYAML, whose "UP" is the upstream's URL.
func startStack(t testing.TB, proxy, extra, routesYAML string, jwksDown bool) *stack {
	s := &stack{upstream: &seen{}}
	s.upstreamAddr = gatewaytest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.upstream.mu.Lock()
		s.upstream.method, s.upstream.path, s.upstream.header = r.Method, r.RequestURI, r.Header.Clone()
		s.upstream.mu.Unlock()
		fmt.Fprintf(w, "upstream saw %s %s subject=%q", r.Method, r.RequestURI, r.Header.Get("X-Authgate-Subject"))
	}))
	jwks := tokentest.JWKS()
	jwksAddr := gatewaytest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if jwksDown {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Write(jwks)
	}))
	convention := ""
	if proxy != "" {
		convention = "decision_proxy: " + proxy
	}
	var a *app.App
	s.gatewayAddr, a = gatewaytest.StartApp(t, fmt.Sprintf(`
realm: api
%s
%s
issuers:
  - {name: main, issuer: "%s", audiences: [api], jwks_url: "http://%s/jwks"}
`, convention, extra, issuer, jwksAddr)+strings.ReplaceAll(routesYAML, "UP", "http://"+s.upstreamAddr))
	if a.Store() == nil {
		return s // no route takes API keys
	}
	k, key, err := apikey.Create(context.Background(), a.Store(), apikey.Spec{Name: "it", Environment: "live", Scopes: []string{"read"}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	s.apiKey, s.keyID = key, k.ID
	return s
}

// reply is a raw HTTP answer.
type reply struct {
	status int
	header http.Header
	body   string
}

// raw sends target exactly as written (no client-side path cleaning), and
// each header name as spelled; a "Host" pair replaces the default Host.
func raw(t testing.TB, addr, method, target string, headers ...string) reply {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	host := addr
	var b strings.Builder
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			host = headers[i+1] // the request's own Host, not another line
			continue
		}
		fmt.Fprintf(&b, "%s: %s\r\n", headers[i], headers[i+1])
	}
	fields := b.String()
	b.Reset()
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n%s", method, target, host, fields)
	b.WriteString("\r\n")
	io.WriteString(conn, b.String())
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func writeFile(t testing.TB, dir, name, content string) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
