package gateway

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/authgate/authgate/api"
)

// TestUpstreamH2C: a route with upstream_h2c reaches an upstream that
// speaks only HTTP/2 without TLS; the upstream gets exactly what an
// HTTP/1.1 upstream gets (one identity and one Request-Id, counted in any
// spelling; no credential, from whichever place it came), bodies pass both
// ways, and concurrent requests share one connection.
func TestUpstreamH2C(t *testing.T) {
	var mu sync.Mutex
	conns := map[string]bool{}
	var seen []*http.Request
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		conns[r.RemoteAddr] = true
		seen = append(seen, r)
		mu.Unlock()
		if r.ProtoMajor != 2 {
			http.Error(w, "HTTP/2 only", http.StatusHTTPVersionNotSupported)
			return
		}
		io.WriteString(w, "h2:"+r.URL.Path+":"+strings.Repeat("x", len(body)))
	}))
	up.Config.Protocols = new(http.Protocols)
	up.Config.Protocols.SetUnencryptedHTTP2(true)
	up.Start()
	t.Cleanup(up.Close)
	e := newEnvConfig(t, api.DetailFull, strings.ReplaceAll(`
  - {name: h2, path: /h2/*, methods: [GET, POST], schemes: [bearer, apikey], api_key_query: api_key, scopes_all: [read], upstream: "H2", upstream_h2c: true}
`, "H2", up.URL))
	tok := token(t, nil)
	key, _ := e.key("live", "read")
	// Every place a credential may arrive in, with client-sent identity
	// headers in every spelling: the upstream counts each header in any
	// spelling on what HTTP/2 delivered, and the query keeps no key.
	spoofs := []string{"X-Authgate-Subject", "root", "x-authgate-subject", "root", "X_Authgate_Subject", "root", "X-AUTHGATE-SCOPES", "admin"}
	for _, c := range []struct {
		name, path string
		headers    []string
		subject    string
	}{
		{"bearer", "/h2/a", []string{"Authorization", "Bearer " + tok}, "token:main:alice"},
		{"key header", "/h2/a", []string{"X-API-Key", key}, ""},
		{"key header, lower case", "/h2/a", []string{"x-api-key", key}, ""},
		{"key in the query", "/h2/a?x=1&api_key=" + key, nil, ""},
		{"key as bearer", "/h2/a", []string{"Authorization", "Bearer " + key}, ""},
	} {
		mu.Lock()
		seen = nil
		mu.Unlock()
		r := e.do("POST", c.path, append(c.headers, spoofs...)...)
		if r.status != 200 || r.body != "h2:/h2/a:" || len(seen) != 1 {
			t.Fatalf("%s: status %d body %q, %d upstream requests", c.name, r.status, r.body, len(seen))
		}
		got := seen[0]
		for name, want := range map[string]int{"X-Authgate-Subject": 1, "X-Authgate-Scopes": 1, api.RequestIDHeader: 1, "Authorization": 0, "X-Api-Key": 0} {
			if n := countSpellings(got.Header, name); n != want {
				t.Fatalf("%s: the h2c upstream got %d %s headers (any spelling), want %d", c.name, n, name, want)
			}
		}
		if sub := got.Header.Get("X-Authgate-Subject"); sub == "root" || c.subject != "" && sub != c.subject {
			t.Fatalf("%s: subject %q", c.name, sub)
		}
		if q := got.URL.RawQuery; strings.Contains(q, "api_key") || strings.Contains(q, key) {
			t.Fatalf("%s: the upstream's query %q still holds the key", c.name, q)
		}
	}
	// A body on the way up, then 32 requests at once: one connection for all.
	req, _ := http.NewRequest("POST", e.gw.URL+"/h2/b", strings.NewReader(strings.Repeat("y", 100000)))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(b) != len("h2:/h2/b:")+100000 {
		t.Fatalf("with a body: %d, %d bytes back", resp.StatusCode, len(b))
	}
	var wg sync.WaitGroup
	statuses := make(chan int, 32)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", e.gw.URL+"/h2/c", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				statuses <- 0
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != 200 {
			t.Fatalf("a concurrent request: %d", s)
		}
	}
	if len(conns) != 1 {
		t.Fatalf("the requests to the h2c upstream used %d connections, want 1", len(conns))
	}
}

// countSpellings counts the values of name in h under every spelling of
// it (case, "_" for "-").
func countSpellings(h http.Header, name string) int {
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "_", "-") }
	n := 0
	for k, vs := range h {
		if norm(k) == norm(name) {
			n += len(vs)
		}
	}
	return n
}

// TestUpstreamH2CToHTTP1: upstream_h2c towards an upstream that speaks
// only HTTP/1.1 is the gateway's configuration fault, never the client's:
// 502 upstream_unreachable, no challenge, and the log line names
// upstream_h2c. The upstream error in the log is bounded whatever the
// upstream sent: an HTTP/1.1 upstream answering a 4000-byte garbage line
// (which Go's transport quotes) is logged in at most 512 characters.
func TestUpstreamH2CToHTTP1(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	t.Cleanup(up.Close)
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	go func() {
		for {
			c, err := raw.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.Read(make([]byte, 4096))
				io.WriteString(c, strings.Repeat("g", 4000)+"\r\n\r\n")
			}()
		}
	}()
	e := newEnvConfig(t, api.DetailFull, strings.NewReplacer("H1", up.URL, "RAW", "http://"+raw.Addr().String()).Replace(`
  - {name: h1, path: /h1/*, scopes_all: [read], upstream: "H1", upstream_h2c: true}
  - {name: garbled, path: /garbled/*, scopes_all: [read], upstream: "RAW"}
`))
	for _, c := range []struct{ path, want string }{{"/h1/a", "upstream_h2c"}, {"/garbled/a", "malformed HTTP"}} {
		r := e.do("GET", c.path, "Authorization", "Bearer "+token(t, nil))
		if r.status != 502 || r.problem.Reason != "upstream_unreachable" || len(r.challenges) != 0 {
			t.Fatalf("%s: got %d %s, %d challenges", c.path, r.status, r.problem.Reason, len(r.challenges))
		}
		var upErr string
		for _, l := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
			var line map[string]any
			if json.Unmarshal([]byte(l), &line) == nil && line["path"] == c.path {
				upErr, _ = line["upstream_error"].(string)
			}
		}
		if !strings.Contains(upErr, c.want) || len([]rune(upErr)) > 512 {
			t.Fatalf("%s: upstream_error %.80q… (%d characters), want it to say %q within 512", c.path, upErr, len([]rune(upErr)), c.want)
		}
	}
}
