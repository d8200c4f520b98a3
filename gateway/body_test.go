package gateway

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/reason"
)

// rawExchange writes head, then each of pieces after its pause, on one
// connection to the gateway, and reads the answer.
func rawExchange(t *testing.T, e *env, head string, pieces []string, pause time.Duration) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.gw.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, head)
	for _, p := range pieces {
		time.Sleep(pause)
		if _, err := io.WriteString(conn, p); err != nil {
			break // the gateway gave up on us: fine, read its answer
		}
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer resp.Body.Close()
	var p api.Problem
	json.NewDecoder(resp.Body).Decode(&p)
	return resp.StatusCode, p.Reason
}

// TestRequestBodies: a body too large, too slow or badly framed is the
// client's fault (413, 408, 400) and never reaches the upstream as a
// fault of its own.
func TestRequestBodies(t *testing.T) {
	e := newEnvConfig(t, api.DetailFull, `
  - {name: upload, path: /upload, public: true, max_body_bytes: 64, upstream: "UP"}
`, "server: {body_idle_timeout: 300ms, body_timeout: 1s}")
	post := func(headers string) string {
		return "POST /upload HTTP/1.1\r\nHost: gw\r\n" + headers + "\r\n"
	}
	tests := []struct {
		name   string
		head   string
		pieces []string
		pause  time.Duration
		status int
		reason reason.Code
		// firstByte: the first byte of the body comes late or never. The
		// fast engine (fasthttp) reads it before the request is judged,
		// for at most body_idle_timeout, and answers a bare 408 after.
		firstByte bool
	}{
		{"small body", post("Content-Length: 5\r\n"), []string{"hello"}, 0, 200, "", false},
		{"declared too large", post("Content-Length: 65\r\n"), nil, 0, 413, reason.RequestBodyTooLarge, true},
		{"chunked too large", post("Transfer-Encoding: chunked\r\n"), []string{"41\r\n" + strings.Repeat("x", 65) + "\r\n0\r\n\r\n"}, 0, 413, reason.RequestBodyTooLarge, false},
		{"chunked, broken framing", post("Transfer-Encoding: chunked\r\n"), []string{"zz\r\nnot a chunk\r\n0\r\n\r\n"}, 0, 400, reason.RequestBodyMalformed, false},
		{"a pause longer than the idle limit", post("Content-Length: 10\r\n"), []string{"a", "bcdefghij"}, 600 * time.Millisecond, 408, reason.RequestBodyTimeout, true},
		{"trickled past the whole-body limit", post("Content-Length: 10\r\n"), strings.Split("abcdefghij", ""), 200 * time.Millisecond, 408, reason.RequestBodyTimeout, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.seen.Store(nil)
			status, why := rawExchange(t, e, tt.head, tt.pieces, tt.pause)
			if tt.firstByte && testEngine == config.EngineFast {
				tt.status, tt.reason = http.StatusRequestTimeout, ""
			}
			if status != tt.status || why != string(tt.reason) {
				t.Fatalf("got %d %q, want %d %q", status, why, tt.status, tt.reason)
			}
			if tt.status == 413 && tt.pieces == nil && e.seen.Load() != nil {
				t.Fatal("a body declared too large reached the upstream")
			}
		})
	}
	if !strings.Contains(e.logs.String(), `"reason":"request_body_malformed"`) {
		t.Fatal("the broken body is not logged with its reason")
	}
}
