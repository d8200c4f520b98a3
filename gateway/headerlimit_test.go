package gateway

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
)

// headerBlock is a request head of exactly size bytes: the request line,
// the header lines and the blank line that ends them, each with its CRLF.
func headerBlock(t *testing.T, size int, extra string) string {
	t.Helper()
	start := "POST /public/x HTTP/1.1\r\nHost: gw\r\n" + extra + "X-Pad: "
	end := "\r\n\r\n"
	pad := size - len(start) - len(end)
	if pad < 1 {
		t.Fatalf("a header block of %d bytes cannot be built", size)
	}
	return start + strings.Repeat("p", pad) + end
}

// TestHeaderBlockLimit: max_header_bytes is the limit in force, to the
// byte — Go's server would allow 4096 bytes more — whether or not the
// body follows the head in the same write.
func TestHeaderBlockLimit(t *testing.T) {
	const limit = 16 << 10
	e := newEnv(t, api.DetailFull, "max_header_bytes: 16384")
	tests := []struct {
		name   string
		size   int
		body   string
		status int
	}{
		{"exactly the limit", limit, "", 200},
		{"exactly the limit, body in the same write", limit, "0123456789", 200},
		{"one byte over", limit + 1, "", 431},
		{"one byte over, body in the same write", limit + 1, "0123456789", 431},
		{"what Go's own slack would allow", limit + 4096, "", 431},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialTest(t, e.gw.URL)
			head := headerBlock(t, tt.size, "Content-Length: 10\r\n")
			if len(head) != tt.size {
				t.Fatalf("built %d bytes, want %d", len(head), tt.size)
			}
			io.WriteString(c, head+tt.body)
			if tt.body == "" {
				io.WriteString(c, "0123456789")
			}
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("a header block of %d bytes (limit %d): %d, want %d", tt.size, limit, resp.StatusCode, tt.status)
			}
		})
	}
}

// TestLargeHeads: a request head larger than a connection's first read
// buffer (fastHeadBuffer on the fast engine) is served whole, with its
// body, on both engines — alone, after and before small ones on the same
// connection, pipelined with them, or trickled — and a malformed one is
// still refused.
func TestLargeHeads(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		io.WriteString(w, r.Method+" "+r.URL.Path+", pad "+strconv.Itoa(len(r.Header.Get("X-Pad")))+", body "+string(b))
	}))
	t.Cleanup(echo.Close)
	e := newEnvConfig(t, api.DetailFull, `
  - {name: echo, path: /echo, public: true, upstream: "`+echo.URL+`"}
`, "max_header_bytes: 16384")
	// request is a POST of body with an X-Pad header of pad bytes.
	request := func(pad int, body string) string {
		return "POST /echo HTTP/1.1\r\nHost: gw\r\nContent-Length: " + strconv.Itoa(len(body)) +
			"\r\nX-Pad: " + strings.Repeat("p", pad) + "\r\n\r\n" + body
	}
	large := 3 * fastHeadBuffer
	// fits is the X-Pad of a head of exactly fastHeadBuffer bytes.
	fits := fastHeadBuffer - (len(request(0, "body0")) - len("body0"))
	tests := []struct {
		name string
		// pads are the requests' X-Pad sizes, in order on one connection.
		pads []int
		// pipelined: all requests written at once; piece: written in
		// pieces of this many bytes (0: in one write).
		pipelined bool
		piece     int
		status    int
	}{
		{"large", []int{large}, false, 0, 200},
		{"large, then small", []int{large, 10}, false, 0, 200},
		{"small, then large, then small", []int{10, large, 10}, false, 0, 200},
		{"the first buffer's size, one byte past it", []int{fits, fits + 1, fits}, false, 0, 200},
		{"one byte past the first buffer's size, pipelined", []int{fits + 1, fits}, true, 0, 200},
		{"pipelined", []int{10, large, 10, large}, true, 0, 200},
		{"trickled", []int{large}, false, 1000, 200},
		{"pipelined in pieces of 333", []int{10, large, fits + 1, 10, fits, large, 10}, true, 333, 200},
		{"pipelined in pieces of 1000", []int{10, large, fits + 1, 10, fits, large, 10}, true, 1000, 200},
		{"pipelined in pieces one byte past the buffer", []int{fits, 10, large, fits + 1, 10}, true, fastHeadBuffer + 1, 200},
		{"past max_header_bytes", []int{16 << 10}, false, 0, 431},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialTest(t, e.gw.URL)
			br := bufio.NewReader(c)
			var all strings.Builder
			for i, pad := range tt.pads {
				all.WriteString(request(pad, "body"+strconv.Itoa(i)))
			}
			if tt.pipelined {
				writePieces(c, all.String(), tt.piece)
			}
			for i, pad := range tt.pads {
				if !tt.pipelined {
					writePieces(c, request(pad, "body"+strconv.Itoa(i)), tt.piece)
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatalf("request %d: no answer: %v", i, err)
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.status {
					t.Fatalf("request %d (X-Pad %d): %d, want %d", i, pad, resp.StatusCode, tt.status)
				}
				if want := "POST /echo, pad " + strconv.Itoa(pad) + ", body body" + strconv.Itoa(i); tt.status == 200 && string(got) != want {
					t.Fatalf("request %d: upstream saw %q, want %q", i, got, want)
				}
			}
		})
	}
}

// TestLargeHeadMalformed: a head that is malformed past the first read
// buffer is refused (400) on both engines, and never reaches the
// upstream.
func TestLargeHeadMalformed(t *testing.T) {
	e := newEnv(t, api.DetailFull, "max_header_bytes: 16384")
	tests := []struct {
		name string
		line string
	}{
		{"control character in a value", "X-Bad: a\x01b\r\n"},
		{"no colon", "X-Bad\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.seen.Store(nil)
			head := "GET /public/x HTTP/1.1\r\nHost: gw\r\nX-Pad: " + strings.Repeat("p", 2*fastHeadBuffer) + "\r\n" + tt.line + "\r\n"
			c := dialTest(t, e.gw.URL)
			io.WriteString(c, head)
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || e.seen.Load() != nil {
				t.Fatalf("got %d (upstream reached: %v), want 400", resp.StatusCode, e.seen.Load() != nil)
			}
		})
	}
}

// TestShutdownAfterLargeHead: shutting the server down ends a kept-alive
// connection whose last head was larger than the first read buffer, as
// any other, on both engines.
func TestShutdownAfterLargeHead(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(up.Close)
	g, cfg := startGateway(t, fmt.Sprintf(`
realm: api
fingerprint_key: Qx7vN2pLw9TzR4mK8sJdF3hB
server: {idle_timeout: 1h}
issuers:
  - {name: main, issuer: "https://issuer.test", audiences: [api], jwks_url: "http://127.0.0.1:9/jwks"}
routes:
  - {name: public, path: /public/*, public: true, upstream: %q}
`, up.URL))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var serve func(net.Listener) error
	var shutdown func(context.Context) error
	asked := *cfg
	asked.Server.Engine = testEngine
	if asked.ServesFast() {
		srv := NewFastServer(cfg, g.Handler(), nil)
		serve, shutdown = srv.Serve, srv.ShutdownWithContext
	} else {
		srv := NewServer(cfg, g.Handler())
		serve, shutdown = srv.Serve, srv.Shutdown
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		serve(ln)
	}()
	c := dialTest(t, ln.Addr().String())
	io.WriteString(c, "GET /public/x HTTP/1.1\r\nHost: gw\r\nX-Pad: "+strings.Repeat("p", 2*fastHeadBuffer)+"\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("got %v (%v), want 200", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	// Only the context ends a wait for a connection that is never closed.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	<-served
	if n, err := br.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("the kept-alive connection is still open after shutdown (%d, %v)", n, err)
	}
}

// dialTest connects to the server at addr (a URL or host:port) until the
// test ends; every read and write on the connection ends within a
// minute.
func dialTest(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(addr, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(time.Minute))
	return c
}

// writePieces writes s to c in pieces of n bytes (0: at once).
func writePieces(c net.Conn, s string, n int) {
	if n == 0 {
		n = len(s)
	}
	for len(s) > 0 {
		k := min(n, len(s))
		io.WriteString(c, s[:k])
		s = s[k:]
	}
}

// TestLastBytes: lastBytes keeps the last bytes of everything added, in
// order, whatever the sizes of the pieces.
func TestLastBytes(t *testing.T) {
	const size = 8
	tests := []struct {
		name   string
		pieces []string
	}{
		{"exactly full", []string{"abcdefgh"}},
		{"larger than the buffer", []string{"abcdefghijkl"}},
		{"small pieces wrapping", []string{"abc", "def", "ghi", "jk"}},
		{"ending at the buffer's end", []string{"abcd", "efgh", "ijkl", "mnop"}},
		{"a large piece after a wrap", []string{"abcdefghi", "jk", "lmnopqrstuvw"}},
		{"empty pieces", []string{"", "abcdefg", "", "hi"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := lastBytes{size: size}
			all := strings.Join(tt.pieces, "")
			for _, p := range tt.pieces {
				l.add([]byte(p))
			}
			if !l.full {
				t.Fatalf("%d bytes added and not full", len(all))
			}
			if got, want := l.bytes(), all[len(all)-size:]; !bytes.Equal(got, []byte(want)) {
				t.Fatalf("got %q, want %q", got, want)
			}
			// Forgotten, it keeps only what comes after.
			l.forget()
			if l.add([]byte("xyz")); l.full {
				t.Fatal("full again after forget and 3 bytes")
			}
			l.add([]byte("uvwxy"))
			if got := l.bytes(); !l.full || string(got) != "xyzuvwxy" {
				t.Fatalf("after forget: %q (full %v), want \"xyzuvwxy\"", got, l.full)
			}
		})
	}
}
