package gateway

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/authgate/authgate/reason"
)

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
