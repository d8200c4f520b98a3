package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/authgate/authgate/api"
)

// TestUpstreamH2C: a route with upstream_h2c reaches an upstream that
// speaks only HTTP/2 without TLS; the upstream gets exactly what an
// HTTP/1.1 upstream gets (one identity, one Request-Id, no credential),
// bodies pass both ways, and concurrent requests share one connection.
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
	e := newEnvConfig(t, DetailFull, strings.ReplaceAll(`
  - {name: h2, path: /h2/*, methods: [GET, POST], scopes_all: [read], upstream: "H2", upstream_h2c: true}
`, "H2", up.URL))
	tok := token(t, nil)
	r := e.do("POST", "/h2/a", "Authorization", "Bearer "+tok, "X-Authgate-Subject", "root")
	if r.status != 200 || r.body != "h2:/h2/a:" {
		t.Fatalf("status %d body %q", r.status, r.body)
	}
	got := seen[0]
	for name, want := range map[string]int{"X-Authgate-Subject": 1, api.RequestIDHeader: 1, "Authorization": 0} {
		if n := len(got.Header.Values(name)); n != want {
			t.Fatalf("the h2c upstream got %d %s headers, want %d", n, name, want)
		}
	}
	if got.Header.Get("X-Authgate-Subject") != "alice" {
		t.Fatalf("subject %q", got.Header.Get("X-Authgate-Subject"))
	}
	// A body on the way up, then 32 requests at once on one connection.
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
		t.Fatalf("34 requests used %d upstream connections, want 1", len(conns))
	}
}
