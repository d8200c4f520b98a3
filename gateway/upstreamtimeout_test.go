package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestUpstreamTimeoutBoundsHeaders: upstream_timeout bounds the wait for
// the upstream's response headers, not the answer: a stream (server-sent
// events) that goes on past it reaches the client whole, on both engines.
// (A late head is the upstream_timeout case of TestProxy.)
func TestUpstreamTimeoutBoundsHeaders(t *testing.T) {
	const timeout = 200 * time.Millisecond
	events := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: first\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(3 * timeout): // the stream goes quiet past upstream_timeout
		}
		io.WriteString(w, "data: second\n\n")
	}))
	t.Cleanup(events.Close)
	e := newEnvWithRoutes(t, `
  - {name: events, path: /events, public: true, upstream: "`+events.URL+`", upstream_timeout: `+timeout.String()+`}
`)
	resp, err := http.Get(e.gw.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || err != nil || string(body) != "data: first\n\ndata: second\n\n" {
		t.Fatalf("got %d %q (%v), want 200 and both events", resp.StatusCode, body, err)
	}
}
