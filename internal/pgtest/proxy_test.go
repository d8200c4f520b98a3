package pgtest

import (
	"bufio"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// TestFreezingProxy: bytes pass both ways; frozen, nothing passes and no
// socket closes (a connection made then is accepted and held); thawed,
// what was held arrives.
func TestFreezingProxy(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	p := NewFreezingProxy(t, echo.Addr().String())
	dial := func() (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c, bufio.NewReader(c)
	}
	roundTrip := func(c net.Conn, r *bufio.Reader, msg string, within time.Duration) error {
		if _, err := io.WriteString(c, msg+"\n"); err != nil {
			return err
		}
		c.SetReadDeadline(time.Now().Add(within))
		got, err := r.ReadString('\n')
		if err == nil && got != msg+"\n" {
			t.Fatalf("got %q, want %q", got, msg)
		}
		return err
	}
	c1, r1 := dial()
	if err := roundTrip(c1, r1, "before", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	p.Freeze()
	if err := roundTrip(c1, r1, "frozen", 200*time.Millisecond); !isTimeout(err) {
		t.Fatalf("an answer came through a frozen proxy (or the socket closed): %v", err)
	}
	c2, r2 := dial()
	if err := roundTrip(c2, r2, "new", 200*time.Millisecond); !isTimeout(err) {
		t.Fatalf("a connection made while frozen was answered (or closed): %v", err)
	}
	p.Thaw()
	for _, c := range []struct {
		r    *bufio.Reader
		conn net.Conn
		want string
	}{{r1, c1, "frozen\n"}, {r2, c2, "new\n"}} {
		c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if got, err := c.r.ReadString('\n'); err != nil || got != c.want {
			t.Fatalf("after the thaw: %q %v, want %q", got, err, c.want)
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
