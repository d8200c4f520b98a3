package gateway

import (
	"fmt"
	"net/http"
	"net/http/httptest"
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
