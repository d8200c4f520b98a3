package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/internal/freeport"
	"github.com/authgate/authgate/internal/nginxtest"
)

func fill(t testing.TB, file, listen string, s *stack) string {
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer("LISTEN", listen, "AUTHGATE", s.gatewayAddr, "UPSTREAM", s.upstreamAddr).Replace(string(b))
}

// startNginx runs nginx with testdata/nginx.conf in front of s.
func startNginx(t *testing.T, s *stack) string {
	addr, _ := nginxtest.Start(t, func(addr string) string { return fill(t, "nginx.conf", addr, s) })
	return addr
}

// startCaddy runs caddy with testdata/Caddyfile in front of s.
func startCaddy(t *testing.T, s *stack) string {
	return runCaddy(t, func(addr string) string { return fill(t, "Caddyfile", addr, s) })
}

// runCaddy runs caddy with sites(addr) (Caddyfile site blocks, the first
// listening on addr) on a fresh loopback address until the test ends, and
// returns the address; caddy that loses the address to another process
// runs again on a fresh one (freeport.Start).
func runCaddy(t *testing.T, sites func(addr string) string) string {
	bin := nginxtest.Binary(t, "caddy", "/usr/bin/caddy")
	var addr, log string
	freeport.Start(t, freeport.Child{
		What: "caddy",
		Command: func(free func() string) *exec.Cmd {
			addr = free()
			dir := t.TempDir()
			file := writeFile(t, dir, "Caddyfile", "{\n\tadmin off\n\tauto_https off\n}\n"+sites(addr))
			log = filepath.Join(dir, "caddy.log")
			out, err := os.Create(log)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { out.Close() })
			cmd := exec.Command(bin, "run", "--config", file, "--adapter", "caddyfile")
			cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir, "HOME="+dir)
			cmd.Stdout, cmd.Stderr = out, out
			return cmd
		},
		Output: func() string { b, _ := os.ReadFile(log); return string(b) },
		// Caddy says so once every listener of the configuration is bound.
		Ready: func() bool {
			b, _ := os.ReadFile(log)
			return strings.Contains(string(b), `"serving initial configuration"`)
		},
	})
	return addr
}

type problem struct {
	Reason    string `json:"reason"`
	Status    int    `json:"status"`
	RequestID string `json:"request_id"`
}

// checkEdge runs the same end-to-end table through a proxy (or the
// gateway itself, in proxy mode). Every header authgate sets is counted on
// the wire: a proxy that doubles one fails.
func checkEdge(t *testing.T, addr string, s *stack) {
	read, admin := token(t, "read"), token(t, "admin")
	tests := []struct {
		name    string
		target  string
		headers []string
		status  int
		reason  string
		subject string // identity the upstream must see on success
		// challenges is how many WWW-Authenticate lines must arrive, and
		// errOn the scheme whose challenge carries error ("" none).
		challenges int
		errOn      string
	}{
		{"public, no credentials", "/public/x", nil, 200, "", "", 0, ""},
		{"protected, no credentials", "/v1/data", nil, 401, "credentials_missing", "", 1, ""},
		{"protected, token", "/v1/data", []string{"Authorization", "Bearer " + read}, 200, "", "token:main:alice", 0, ""},
		{"lower-case bearer", "/v1/data", []string{"Authorization", "bearer " + read}, 200, "", "token:main:alice", 0, ""},
		{"expired-looking garbage", "/v1/data", []string{"Authorization", "Bearer abc.def.ghi"}, 401, "token_malformed", "", 1, "Bearer"},
		{"scope missing", "/admin/x", []string{"Authorization", "Bearer " + read}, 403, "insufficient_scope", "", 1, "Bearer"},
		{"admin scope", "/admin/x", []string{"Authorization", "Bearer " + admin}, 200, "", "token:main:alice", 0, ""},
		{"spoofed identity on public", "/public/x", []string{"X-Authgate-Subject", "root"}, 200, "", "", 0, ""},
		{"spoofed identity via Connection", "/admin/x", []string{"X-Authgate-Subject", "root", "Connection", "close, X-Authgate-Subject"}, 401, "credentials_missing", "", 1, ""},
		{"API key", "/keyed/a", []string{"X-API-Key", s.apiKey}, 200, "", "apikey:" + s.keyID, 0, ""},
		{"API key wrong", "/keyed/a", []string{"X-API-Key", mistyped(s.apiKey)}, 401, "api_key_malformed", "", 2, "ApiKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.upstream.mu.Lock()
			s.upstream.header = nil
			s.upstream.mu.Unlock()
			r := raw(t, addr, "GET", tt.target, tt.headers...)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			count := func(name string) int { return len(r.header.Values(name)) }
			if tt.reason != "" {
				var p problem
				if err := json.Unmarshal([]byte(r.body), &p); err != nil || p.Reason != tt.reason || p.Status != tt.status {
					t.Fatalf("problem body %q, want reason %s", r.body, tt.reason)
				}
				if count("Request-Id") != 1 || r.header.Get("Request-Id") != p.RequestID {
					t.Fatalf("Request-Id %q vs body %q", r.header.Values("Request-Id"), p.RequestID)
				}
				if count("Content-Type") != 1 || count("Cache-Control") != 1 {
					t.Fatalf("Content-Type %q, Cache-Control %q", r.header.Values("Content-Type"), r.header.Values("Cache-Control"))
				}
			} else if count("Request-Id") > 1 {
				t.Fatalf("%d Request-Id headers", count("Request-Id"))
			}
			if count("WWW-Authenticate") != tt.challenges {
				t.Fatalf("%d WWW-Authenticate lines %q, want %d", count("WWW-Authenticate"), r.header.Values("WWW-Authenticate"), tt.challenges)
			}
			cs, err := challenge.Parse(r.header.Values("WWW-Authenticate")...)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				e, has := c.Get("error")
				if has != strings.EqualFold(c.Scheme, tt.errOn) || has && e == "" {
					t.Fatalf("challenge %s error=%q; the error belongs on %q only", c.Scheme, e, tt.errOn)
				}
				if tt.status == 403 {
					if scope, _ := c.Get("scope"); scope != "admin" {
						t.Fatalf("scope param %q", scope)
					}
				}
			}
			if tt.status == 200 {
				s.upstream.mu.Lock()
				h := s.upstream.header
				s.upstream.mu.Unlock()
				if got := h.Get("X-Authgate-Subject"); got != tt.subject {
					t.Fatalf("upstream saw subject %q, want %q", got, tt.subject)
				}
				for _, name := range []string{"X-Api-Key", "Authorization"} {
					if _, ok := h[name]; ok && h.Get(name) != "" {
						t.Fatalf("the upstream received the credential in %s", name)
					}
				}
			}
		})
	}
}

// bypasses are path tricks against /public/* open and /admin/* protected.
// None may reach /admin through the public route; each is rejected
// (400, or 404 for a route that does not exist) or canonicalized.
var bypasses = []string{
	"/public/../admin/x",
	"/public/%2e%2e/admin/x",
	"/public/%2E%2e/admin/x",
	"/public/.%2e/admin/x",
	"/public%2f..%2fadmin/x",
	"/public/..%2fadmin/x",
	"//admin/x",
	"/public//../admin/x",
	"/public/..;/admin/x",
	"/admin;x=1/x",
	"/public\\..\\admin\\x",
	"/public/%5c..%5cadmin/x",
	"/public/%00/../admin/x",
	"/public/%c0%ae%c0%ae/admin/x",
	"/ADMIN/x",
	"/Admin/x",
	"/public/./../admin/x",
}

// headerBypass is a request for a protected resource (no credentials)
// that carries a header claiming to describe another, open one: the
// original URI, method or host of a forward-auth convention, a path
// rewrite, in every spelling. Whatever the proxy, it must not be served.
type headerBypass struct {
	method, target string
	headers        []string
}

// headerBypasses: each header a proxy or the gateway reads to learn what
// the original request was, in the spellings a client may try.
func headerBypasses() []headerBypass {
	var out []headerBypass
	claims := []struct {
		method, target, header, value string
	}{
		{"GET", "/admin/x", "X-Original-URI", "/public/x"},
		{"GET", "/admin/x", "X-Forwarded-Uri", "/public/x"},
		{"GET", "/admin/x", "X-Original-URL", "/public/x"},
		{"GET", "/admin/x", "X-Rewrite-URL", "/public/x"},
		{"POST", "/ro/x", "X-Original-Method", "GET"},
		{"POST", "/ro/x", "X-Forwarded-Method", "GET"},
		{"GET", "/hosted/x", "X-Original-Host", "open.test"},
		{"GET", "/hosted/x", "X-Forwarded-Host", "open.test"},
	}
	for _, c := range claims {
		under := strings.ReplaceAll(c.header, "-", "_")
		for _, name := range []string{c.header, strings.ToLower(c.header), strings.ToUpper(c.header), under, strings.ToLower(under)} {
			out = append(out, headerBypass{c.method, c.target, []string{name, c.value}})
		}
		out = append(out, headerBypass{c.method, c.target, []string{c.header, c.value, c.header, c.value}})
	}
	return out
}

// checkHeaderBypasses returns the table of results for the closing note.
func checkHeaderBypasses(t *testing.T, addr string, s *stack) []string {
	var rows []string
	for _, b := range headerBypasses() {
		s.upstream.mu.Lock()
		s.upstream.path = ""
		s.upstream.mu.Unlock()
		r := raw(t, addr, b.method, b.target, b.headers...)
		s.upstream.mu.Lock()
		reached := s.upstream.path
		s.upstream.mu.Unlock()
		var p problem
		json.Unmarshal([]byte(r.body), &p)
		row := fmt.Sprintf("%s %s %s: %s → %d %s", b.method, b.target, b.headers[0], b.headers[1], r.status, p.Reason)
		rows = append(rows, row)
		if r.status < 400 || reached != "" {
			t.Errorf("BYPASS: %s reached the upstream (%q) without credentials", row, reached)
		}
	}
	return rows
}

// checkHostRoute: the original request's Host picks host routes (through
// nginx, X-Original-Host $host), and no other host opens them.
func checkHostRoute(t *testing.T, addr string) {
	for host, want := range map[string]int{"open.test": 200, "OPEN.test:8080": 200, "other.test": 401} {
		if r := raw(t, addr, "GET", "/hosted/x", "Host", host); r.status != want {
			t.Errorf("Host %s: %d, want %d", host, r.status, want)
		}
	}
}

// checkBypasses returns the table of results for the closing note.
func checkBypasses(t *testing.T, addr string, s *stack) []string {
	var rows []string
	for _, target := range bypasses {
		s.upstream.mu.Lock()
		s.upstream.path = ""
		s.upstream.mu.Unlock()
		r := raw(t, addr, "GET", target)
		s.upstream.mu.Lock()
		reached := s.upstream.path
		s.upstream.mu.Unlock()
		var p problem
		json.Unmarshal([]byte(r.body), &p)
		rows = append(rows, fmt.Sprintf("%-32s %d %s upstream=%q", target, r.status, p.Reason, reached))
		if r.status == 200 && strings.Contains(strings.ToLower(reached), "admin") {
			t.Errorf("BYPASS: %s reached the upstream as %s without credentials", target, reached)
		}
		if r.status < 400 && r.status != 200 {
			t.Errorf("%s: unexpected status %d", target, r.status)
		}
	}
	return rows
}

func TestProxyMode(t *testing.T) {
	s := newStack(t, "", false)
	checkEdge(t, s.gatewayAddr, s)
	for _, row := range checkBypasses(t, s.gatewayAddr, s) {
		t.Log("proxy mode: " + row)
	}
	for _, row := range checkHeaderBypasses(t, s.gatewayAddr, s) {
		t.Log("proxy mode: " + row)
	}
	checkHostRoute(t, s.gatewayAddr)
}

func TestBehindNginx(t *testing.T) {
	s := newStack(t, "nginx", false)
	addr := startNginx(t, s)
	checkEdge(t, addr, s)
	for _, row := range checkBypasses(t, addr, s) {
		t.Log("nginx: " + row)
	}
	for _, row := range checkHeaderBypasses(t, addr, s) {
		t.Log("nginx: " + row)
	}
	checkHostRoute(t, addr)
}

// TestFaultsThroughNginx: authgate's own fault reaches the client as 503
// with Retry-After and its problem body — nginx would make it a 500.
func TestFaultsThroughNginx(t *testing.T) {
	s := newStack(t, "nginx", true)
	addr := startNginx(t, s)
	r := raw(t, addr, "GET", "/v1/data", "Authorization", "Bearer "+token(t, "read"))
	var p problem
	json.Unmarshal([]byte(r.body), &p)
	if r.status != 503 || p.Reason != "auth_unavailable" || r.header.Get("Retry-After") == "" || len(r.header.Values("WWW-Authenticate")) != 0 {
		t.Fatalf("got %d %q Retry-After %q challenges %q", r.status, p.Reason, r.header.Get("Retry-After"), r.header.Values("WWW-Authenticate"))
	}
}

func TestBehindCaddy(t *testing.T) {
	s := newStack(t, "caddy", false)
	addr := startCaddy(t, s)
	checkEdge(t, addr, s)
	for _, row := range checkBypasses(t, addr, s) {
		t.Log("caddy: " + row)
	}
	for _, row := range checkHeaderBypasses(t, addr, s) {
		t.Log("caddy: " + row)
	}
}

// mistyped changes the last character of key (always to another one).
func mistyped(key string) string {
	last := byte('x')
	if key[len(key)-1] == last {
		last = 'y'
	}
	return key[:len(key)-1] + string(last)
}

// TestBehindIngressNginx: authgate as ingress-nginx's external auth
// (decision_proxy: ingress-nginx), with nginx configured as the
// controller's template configures the auth location. The original
// request is read from X-Original-URL and X-Original-Method; a client's
// own copies cannot change what is judged (nginx replaces them), and the
// original host, not the subrequest's, decides host routes.
func TestBehindIngressNginx(t *testing.T) {
	s := newStack(t, "ingress-nginx", false)
	addr, _ := nginxtest.Start(t, func(addr string) string { return fill(t, "ingress-nginx.conf", addr, s) })
	spoof := []string{"X-Original-URL", "http://open.test/public/a", "X-Original-Method", "OPTIONS"}
	for _, tt := range []struct {
		name, path string
		headers    []string
		status     int
		subject    bool
	}{
		{"a token with the scope", "/v1/data", []string{"Authorization", "Bearer " + token(t, "read")}, 200, true},
		{"no credential", "/v1/data", nil, 401, false},
		{"a token without the scope", "/v1/data", []string{"Authorization", "Bearer " + token(t, "other")}, 403, false},
		{"a public path", "/public/a", nil, 200, false},
		{"a client's X-Original-URL and -Method", "/v1/data", spoof, 401, false},
		{"the host of the original URL opens a host route", "/hosted/x", []string{"Host", "open.test"}, 200, false},
		{"another host does not", "/hosted/x", []string{"Host", "closed.test"}, 401, false},
		{"a client's X-Original-URL for the open host", "/hosted/x", append([]string{"Host", "closed.test"}, spoof...), 401, false},
		{"a client's X-Original-URL on an open path", "/public/a", []string{"X-Original-URL", "http://h/admin/x"}, 200, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s.upstream.mu.Lock()
			s.upstream.path = ""
			s.upstream.mu.Unlock()
			r := raw(t, addr, "GET", tt.path, tt.headers...)
			if r.status != tt.status {
				t.Fatalf("got %d (%s), want %d", r.status, r.body, tt.status)
			}
			s.upstream.mu.Lock()
			defer s.upstream.mu.Unlock()
			// The recipe lists X-Original-URL in auth-response-headers:
			// a client's copy, a path rewrite, never reaches the API.
			if tt.status == 200 && (s.upstream.path != tt.path || (s.upstream.header.Get("X-Authgate-Subject") != "") != tt.subject ||
				len(s.upstream.header.Values("X-Original-Url")) != 0) {
				t.Fatalf("the upstream saw %q, subject %q, X-Original-URL %q", s.upstream.path, s.upstream.header.Get("X-Authgate-Subject"), s.upstream.header.Values("X-Original-Url"))
			}
			if tt.status != 200 && s.upstream.path != "" {
				t.Fatalf("the upstream was reached: %q", s.upstream.path)
			}
		})
	}
}
