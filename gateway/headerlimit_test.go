package gateway

import (
	"bufio"
	"io"
	"net"
	"net/http"
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
			c, err := net.Dial("tcp", strings.TrimPrefix(e.gw.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
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
