package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/reason"
)

// TestUpstreamTimeoutBoundsHeaders: upstream_timeout bounds the wait for
// the upstream's response headers, not the answer: a body that goes on
// past it reaches the client whole, on both engines — a stream
// (server-sent events, no declared length), a long body and a short one
// of declared length (which the fast engine reads whole before it
// answers). (A late head is the upstream_timeout case of TestProxy.)
func TestUpstreamTimeoutBoundsHeaders(t *testing.T) {
	const timeout = 200 * time.Millisecond
	for _, declared := range []int{0, 27, smallAnswer + 1} {
		t.Run(strconv.Itoa(declared), func(t *testing.T) {
			second := "data: second\n\n" + strings.Repeat("x", max(declared-27, 0))
			events := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				if declared > 0 {
					w.Header().Set("Content-Length", strconv.Itoa(declared))
				}
				io.WriteString(w, "data: first\n\n")
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(3 * timeout): // the body goes quiet past upstream_timeout
				}
				io.WriteString(w, second)
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
			if resp.StatusCode != http.StatusOK || err != nil || string(body) != "data: first\n\n"+second {
				t.Fatalf("got %d, %d bytes (%v), want 200 and the whole body", resp.StatusCode, len(body), err)
			}
		})
	}
}

// TestUpstreamHeadLimit: an upstream answer's head is read up to
// maxUpstreamHead, on both engines; a larger one is the upstream's fault,
// a 502 with its reason, never passed on in part.
func TestUpstreamHeadLimit(t *testing.T) {
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		w.Header().Set("X-Big", strings.Repeat("b", n))
		w.Write([]byte("upstream: big"))
	}))
	t.Cleanup(big.Close)
	e := newEnvWithRoutes(t, `
  - {name: big, path: /big, public: true, upstream: "`+big.URL+`"}
`)
	tests := []struct {
		name   string
		header int
		status int
		reason reason.Code
	}{
		{"half the limit", maxUpstreamHead / 2, 200, ""},
		{"past the limit", maxUpstreamHead + 1024, 502, reason.UpstreamUnreachable},
		{"four times the limit", 4 * maxUpstreamHead, 502, reason.UpstreamUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("GET", "/big?n="+strconv.Itoa(tt.header))
			if r.status != tt.status || r.problem.Reason != string(tt.reason) {
				t.Fatalf("got %d %q, want %d %q", r.status, r.problem.Reason, tt.status, tt.reason)
			}
			want := 0
			if tt.status == 200 {
				want = tt.header
			}
			if got := len(r.header.Get("X-Big")); got != want {
				t.Fatalf("X-Big of %d bytes passed on, want %d", got, want)
			}
		})
	}
}
