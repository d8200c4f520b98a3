package gateway

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/reason"
)

// rawExchange writes head, then each of pieces after its pause, on one
// connection to the gateway at gw (its URL), and reads the answer.
func rawExchange(t *testing.T, gw, head string, pieces []string, pause time.Duration) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(gw, "http://"))
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
	}{
		{"small body", post("Content-Length: 5\r\n"), []string{"hello"}, 0, 200, ""},
		{"declared too large", post("Content-Length: 65\r\n"), nil, 0, 413, reason.RequestBodyTooLarge},
		{"chunked too large", post("Transfer-Encoding: chunked\r\n"), []string{"41\r\n" + strings.Repeat("x", 65) + "\r\n0\r\n\r\n"}, 0, 413, reason.RequestBodyTooLarge},
		{"chunked, broken framing", post("Transfer-Encoding: chunked\r\n"), []string{"zz\r\nnot a chunk\r\n0\r\n\r\n"}, 0, 400, reason.RequestBodyMalformed},
		{"a pause longer than the idle limit", post("Content-Length: 10\r\n"), []string{"a", "bcdefghij"}, 600 * time.Millisecond, 408, reason.RequestBodyTimeout},
		{"trickled past the whole-body limit", post("Content-Length: 10\r\n"), strings.Split("abcdefghij", ""), 200 * time.Millisecond, 408, reason.RequestBodyTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.seen.Store(nil)
			status, why := rawExchange(t, e.gw.URL, tt.head, tt.pieces, tt.pause)
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

// TestExpectContinue: "Expect: 100-continue" (the name in any case) is
// answered only once the request is judged and its body is wanted: a
// refused request gets its final answer (and no 100), an allowed one gets
// 100 Continue, then its body is forwarded. A client that sends the body
// without waiting is served the same. An HTTP/1.0 request, which has no
// expectations, is judged before its body too, and never gets a 100 (not
// the upstream's either).
func TestExpectContinue(t *testing.T) {
	var got atomic.Pointer[string]
	reading := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		body := string(b)
		got.Store(&body)
	}))
	t.Cleanup(reading.Close)
	e := newEnvConfig(t, api.DetailFull, `
  - {name: guarded, path: /guarded, scopes_all: [write], upstream: "`+reading.URL+`"}
  - {name: upload, path: /upload, public: true, max_body_bytes: 64, upstream: "`+reading.URL+`"}
`, "server: {body_idle_timeout: 2s, body_timeout: 5s}")
	good := token(t, map[string]any{"scope": "write"})
	headAs := func(proto, expect, path, headers string) string {
		return "POST " + path + " " + proto + "\r\nHost: gw\r\n" + expect + headers + "\r\n"
	}
	head := func(path, headers string) string {
		return headAs("HTTP/1.1", "Expect: 100-continue\r\n", path, headers)
	}
	lower := func(path, headers string) string {
		return headAs("HTTP/1.1", "expect: 100-continue\r\n", path, headers)
	}
	http10 := func(path, headers string) string { return headAs("HTTP/1.0", "", path, headers) }
	http10Expecting := func(path, headers string) string {
		return headAs("HTTP/1.0", "Expect: 100-continue\r\n", path, headers)
	}
	authorized := "Authorization: Bearer " + good + "\r\n"
	tests := []struct {
		name string
		head string
		// eager: the body follows the head without waiting for 100 (which
		// still comes, as the body is read).
		eager     bool
		continued bool
		status    int
		reason    reason.Code
	}{
		{"no credentials", head("/guarded", "Content-Length: 5\r\n"), false, false, 401, reason.CredentialsMissing},
		{"declared too large", head("/upload", "Content-Length: 65\r\n"), false, false, 413, reason.RequestBodyTooLarge},
		{"allowed", head("/guarded", authorized+"Content-Length: 5\r\n"), false, true, 200, ""},
		{"allowed, chunked", head("/upload", "Transfer-Encoding: chunked\r\n"), false, true, 200, ""},
		{"allowed, body sent at once", head("/upload", "Content-Length: 5\r\n"), true, true, 200, ""},
		{"lower-case name, no credentials", lower("/guarded", "Content-Length: 5\r\n"), false, false, 401, reason.CredentialsMissing},
		{"lower-case name, allowed", lower("/guarded", authorized+"Content-Length: 5\r\n"), false, true, 200, ""},
		{"HTTP/1.0, no credentials, body not sent", http10("/guarded", "Content-Length: 5\r\n"), false, false, 401, reason.CredentialsMissing},
		{"HTTP/1.0, declared too large, body not sent", http10("/upload", "Content-Length: 65\r\n"), false, false, 413, reason.RequestBodyTooLarge},
		{"HTTP/1.0, allowed", http10("/guarded", authorized+"Content-Length: 5\r\n"), true, false, 200, ""},
		// HTTP/1.0 has no expectations: no 100, from the gateway or the upstream.
		{"HTTP/1.0 with an expectation, allowed", http10Expecting("/upload", "Content-Length: 5\r\n"), true, false, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got.Store(nil)
			conn, err := net.Dial("tcp", strings.TrimPrefix(e.gw.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			body := "hello"
			if strings.Contains(tt.head, "chunked") {
				body = "5\r\nhello\r\n0\r\n\r\n"
			}
			io.WriteString(conn, tt.head)
			if tt.eager {
				io.WriteString(conn, body)
			}
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			if got := resp.StatusCode == http.StatusContinue; got != tt.continued {
				t.Fatalf("first answer %d; want 100 Continue: %v", resp.StatusCode, tt.continued)
			}
			if tt.continued {
				if !tt.eager {
					io.WriteString(conn, body)
				}
				// net/http's proxy passes the upstream's own 100 on.
				for resp.StatusCode == http.StatusContinue {
					if resp, err = http.ReadResponse(br, nil); err != nil {
						t.Fatalf("no answer after the body: %v", err)
					}
				}
			}
			defer resp.Body.Close()
			var p api.Problem
			json.NewDecoder(resp.Body).Decode(&p)
			if resp.StatusCode != tt.status || p.Reason != string(tt.reason) {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, p.Reason, tt.status, tt.reason)
			}
			if seen := got.Load(); (seen != nil) != (tt.status == 200) || seen != nil && *seen != "hello" {
				t.Fatalf("the upstream got %v, want the body only when allowed", seen)
			}
		})
	}
}
