package gateway

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
)

// closingUpstream answers each request "ok" and closes the connection
// without saying so (no Connection: close), as an upstream restarting or
// ending idle keep-alives does; it returns its address.
func closingUpstream(t *testing.T) string {
	return oneAnswerUpstream(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
}

// oneAnswerUpstream reads one request a connection, sends answer as it
// is and closes the connection; it returns its address.
func oneAnswerUpstream(t *testing.T, answer string) string {
	return rawUpstream(t, func(string) string { return answer })
}

// rawUpstream reads one request a connection, sends the raw bytes
// answer gives for its path and closes the connection; it returns its
// address.
func rawUpstream(t *testing.T, answer func(path string) string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				io.WriteString(c, answer(req.URL.Path))
			}()
		}
	}()
	return ln.Addr().String()
}

// TestUpstreamClosedKeepAlive: a kept-alive upstream connection found
// closed is retried for a request without a body and a safe method, as
// net/http's transport does, also when the pool holds several dead
// connections: on both engines every GET gets its 200.
func TestUpstreamClosedKeepAlive(t *testing.T) {
	up := closingUpstream(t)
	e := newEnvWithRoutes(t, `
  - {name: closing, path: /closing/*, public: true, upstream: "http://`+up+`"}
`)
	// Bursts leave several dead connections in the pool at once.
	for round := range 5 {
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := http.Get(e.gw.URL + "/closing/x")
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("round %d, GET %d: %d", round, i, resp.StatusCode)
				}
			}()
		}
		wg.Wait()
	}
	for i := range 10 {
		r := e.do(http.MethodGet, "/closing/x")
		if r.status != http.StatusOK || r.body != "ok" {
			t.Fatalf("GET %d: %d %q", i, r.status, r.body)
		}
	}
}

// shortUpstream answers each request with a head announcing
// Content-Length: announced and then only "ok" before it closes the
// connection; it returns its address.
func shortUpstream(t *testing.T, announced int) string {
	return oneAnswerUpstream(t, fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\nok", announced))
}

// TestUpstreamAnswerEndsEarly: an upstream answer whose body ends before
// the length its head declares never reaches the client as a whole,
// shorter answer, on either engine, small (read whole on the fast
// engine) or large (streamed): the client sees its body fail.
func TestUpstreamAnswerEndsEarly(t *testing.T) {
	for _, announced := range []int{10, smallAnswer, smallAnswer + 1, 1 << 20} {
		t.Run(strconv.Itoa(announced), func(t *testing.T) {
			e := newEnvWithRoutes(t, `
  - {name: short, path: /short/*, public: true, upstream: "http://`+shortUpstream(t, announced)+`"}
`)
			resp, err := http.Get(e.gw.URL + "/short/x")
			if err != nil {
				return // refused before any answer: nothing looked whole
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err == nil {
				t.Fatalf("status %d, body %q (%d bytes, Content-Length %d) read as whole; upstream announced %d and sent 2",
					resp.StatusCode, body, len(body), resp.ContentLength, announced)
			}
		})
	}
}
