package caller_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authgate/authgate/caller"
)

// TestPassThrough: answers that are not authentication failures come
// back as responses, bodies whole, even a 400 problem the Transport read
// to decide.
func TestPassThrough(t *testing.T) {
	big := `{"type":"about:blank","title":"Bad input","status":400,"reason":"request_invalid","detail":"` + strings.Repeat("x", 100<<10) + `"}`
	cases := []struct {
		status int
		ctype  string
		body   string
	}{
		{404, "application/json", `{"message":"Not Found"}`},
		{500, "text/plain", "boom"},
		{400, "application/json", `{"error":"amount must be positive"}`},
		{400, "application/problem+json", big},
	}
	for _, tc := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", tc.ctype)
			w.WriteHeader(tc.status)
			io.WriteString(w, tc.body)
		}))
		resp, err := caller.New(caller.Config{Credential: caller.Bearer("tok-0123456789")}).Client().Get(srv.URL)
		if err != nil {
			t.Fatalf("%d: %v", tc.status, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		if resp.StatusCode != tc.status || string(body) != tc.body {
			t.Errorf("%d: got %d and %d bytes, want %d bytes", tc.status, resp.StatusCode, len(body), len(tc.body))
		}
	}
}
