package gateway

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// TestUpstreamAnswerHeaders: of the upstream's answer headers, the client
// gets neither the hop-by-hop ones (in any case, and those its Connection
// field names) nor the upstream's Request-Id (the gateway's, one), nor on
// a route with a CORS policy the upstream's Access-Control-*; every other
// line reaches it as sent, on either engine.
func TestUpstreamAnswerHeaders(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Connection"] = []string{"X-Hop, x-other-HOP"}
		h["X-Hop"] = []string{"1"}
		h["X-Other-Hop"] = []string{"2"}
		h["Keep-Alive"] = []string{"timeout=5"}
		h["Proxy-Authenticate"] = []string{"Basic"}
		h["Request-Id"] = []string{"from-the-upstream"}
		h["Access-Control-Allow-Origin"] = []string{"https://upstream.test"}
		h["Access-Control-Max-Age"] = []string{"60"}
		h["X-Kept"] = []string{"a"}
		h["Set-Cookie"] = []string{"a=1", "b=2"}
		h["Content-Type"] = []string{"text/plain"}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(up.Close)
	g, cfg := startGateway(t, fmt.Sprintf(`
realm: api
fingerprint_key: Qx7vN2pLw9TzR4mK8sJdF3hB
routes:
  - {name: plain, path: /plain/*, public: true, upstream: %[1]q}
  - {name: cors, path: /cors/*, public: true, upstream: %[1]q, cors: {allowed_origins: ["https://app.test"]}}
`, up.URL))
	gw := serveEngine(t, testEngine, cfg, g.Handler())
	tests := []struct {
		path string
		// want is how many lines of each name the client gets.
		want map[string]int
		// origin is the answer's Access-Control-Allow-Origin.
		origin string
	}{
		{"/plain/a", map[string]int{"Connection": 0, "X-Hop": 0, "X-Other-Hop": 0, "Keep-Alive": 0, "Proxy-Authenticate": 0,
			"Request-Id": 1, "Access-Control-Allow-Origin": 1, "Access-Control-Max-Age": 1, "X-Kept": 1, "Set-Cookie": 2, "Content-Type": 1},
			"https://upstream.test"},
		{"/cors/a", map[string]int{"Connection": 0, "X-Hop": 0, "X-Other-Hop": 0, "Keep-Alive": 0, "Proxy-Authenticate": 0,
			"Request-Id": 1, "Access-Control-Allow-Origin": 1, "Access-Control-Max-Age": 0, "X-Kept": 1, "Set-Cookie": 2, "Content-Type": 1},
			"https://app.test"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			req, _ := http.NewRequest("GET", gw.URL+tt.path, nil)
			req.Header.Set("Origin", "https://app.test")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			for name, n := range tt.want {
				if got := len(resp.Header.Values(name)); got != n {
					t.Errorf("%d %s lines, want %d: %q", got, name, n, resp.Header.Values(name))
				}
			}
			if id := resp.Header.Get("Request-Id"); id == "from-the-upstream" {
				t.Errorf("the upstream's Request-Id reached the client")
			}
			if o := resp.Header.Get("Access-Control-Allow-Origin"); o != tt.origin {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", o, tt.origin)
			}
		})
	}
}

// TestHopByHopRequestHeaders: the upstream gets none of the client's
// hop-by-hop lines (nor those its Connection field names) but Te:
// trailers and, on a WebSocket route, the upgrade, on either engine.
func TestHopByHopRequestHeaders(t *testing.T) {
	var seen atomic.Pointer[http.Header]
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Clone()
		seen.Store(&h)
		if r.Header.Get("Upgrade") != "websocket" {
			w.Write([]byte("ok"))
			return
		}
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		rw.Flush()
	}))
	t.Cleanup(up.Close)
	doc := `
realm: api
fingerprint_key: Qx7vN2pLw9TzR4mK8sJdF3hB
routes:
  - {name: plain, path: /plain/*, public: true, upstream: %[1]q}
`
	g, cfg := startGateway(t, fmt.Sprintf(doc, up.URL))
	ws, wsCfg := startGateway(t, fmt.Sprintf(doc+"  - {name: ws, path: /ws, public: true, websocket: true, upstream: %[1]q}\n", up.URL))
	plain := serveEngine(t, testEngine, cfg, g.Handler())
	upgrading := serveEngine(t, testEngine, wsCfg, ws.Handler())
	tests := []struct {
		name    string
		gw      *testServer
		request string
		status  int
		// want are the lines the upstream must get; absent those it
		// must not.
		want   map[string]string
		absent []string
	}{
		{"Te: trailers kept", plain, "GET /plain/a HTTP/1.1\r\nHost: gw\r\nTe: trailers\r\n\r\n", 200,
			map[string]string{"Te": "trailers"}, nil},
		{"another Te dropped", plain, "GET /plain/a HTTP/1.1\r\nHost: gw\r\nTe: gzip\r\n\r\n", 200, nil, []string{"Te"}},
		{"Connection names", plain, "GET /plain/a HTTP/1.1\r\nHost: gw\r\nConnection: x-hop, X_Other\r\nX-Hop: 1\r\nX_Other: 2\r\nX-Kept: 3\r\nKeep-Alive: 5\r\nProxy-Authorization: Basic YTpi\r\n\r\n", 200,
			map[string]string{"X-Kept": "3"}, []string{"Connection", "X-Hop", "X_other", "Keep-Alive", "Proxy-Authorization"}},
		{"WebSocket upgrade", upgrading, "GET /ws HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", 101,
			map[string]string{"Upgrade": "websocket", "Connection": "Upgrade"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen.Store(nil)
			if status, _ := rawExchange(t, tt.gw.URL, tt.request, nil, 0); status != tt.status {
				t.Fatalf("status %d, want %d", status, tt.status)
			}
			h := seen.Load()
			if h == nil {
				t.Fatal("the upstream was not reached")
			}
			for name, v := range tt.want {
				if got := (*h)[name]; len(got) != 1 || got[0] != v {
					t.Errorf("the upstream got %s %q, want %q", name, got, v)
				}
			}
			for _, name := range tt.absent {
				if got, ok := (*h)[name]; ok {
					t.Errorf("the upstream got %s %q", name, got)
				}
			}
		})
	}
}
