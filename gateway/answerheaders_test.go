package gateway

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestProxiedAnswerFraming: the client gets the Content-Type and the
// Content-Length of a proxied answer as the upstream sent them, on both
// engines: no Content-Type the upstream did not send (a 204, an empty
// 200, a redirect), and the length
// an upstream's answer to HEAD declares.
func TestProxiedAnswerFraming(t *testing.T) {
	for _, c := range []struct {
		name, method, answer string
		contentType          []string // nil: none
		contentLength        int64
	}{
		{"no content", http.MethodGet, "HTTP/1.1 204 No Content\r\n\r\n", nil, 0},
		{"empty, untyped", http.MethodGet, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", nil, 0},
		{"redirect", http.MethodGet, "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n", nil, 0},
		// net/http types an untyped body by its first bytes; the fast
		// engine does the same for a body it reads whole.
		{"untyped text", http.MethodGet, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", []string{"text/plain; charset=utf-8"}, 5},
		{"untyped HTML", http.MethodGet, "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n<html></html>", []string{"text/html; charset=utf-8"}, 13},
		{"typed", http.MethodGet, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", []string{"application/json"}, 2},
		{"HEAD, small", http.MethodHead, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n", []string{"application/json"}, 100},
		{"HEAD, large", http.MethodHead, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n", []string{"application/json"}, 10000},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnvWithRoutes(t, `
  - {name: one, path: /one/*, public: true, upstream: "http://`+oneAnswerUpstream(t, c.answer)+`"}
`)
			conn, err := net.Dial("tcp", strings.TrimPrefix(e.gw.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			req, _ := http.NewRequest(c.method, e.gw.URL+"/one/x", nil)
			if err := req.Write(conn); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if got := resp.Header.Values("Content-Type"); !equalValues(got, c.contentType) {
				t.Errorf("Content-Type %q, the upstream sent %q", got, c.contentType)
			}
			if resp.ContentLength != c.contentLength {
				t.Errorf("Content-Length %d, the upstream declared %d", resp.ContentLength, c.contentLength)
			}
		})
	}
}

// equalValues reports whether a and b hold the same values (nil and
// empty alike).
func equalValues(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n") && len(a) == len(b)
}
