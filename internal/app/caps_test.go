package app

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
)

// hold opens a connection from ip to addr and asks for health on it: a
// connection the listener admitted answers 200 and stays open (a
// keep-alive), one over a cap is closed at once.
func hold(t *testing.T, ip, addr string) (net.Conn, bool) {
	t.Helper()
	c, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}).Dial("tcp", addr)
	if err != nil {
		return nil, false
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "GET "+api.HealthzPath+" HTTP/1.1\r\nHost: authgate\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		c.Close()
		return nil, false
	}
	resp.Body.Close()
	c.SetDeadline(time.Time{})
	t.Cleanup(func() { c.Close() })
	return c, resp.StatusCode == http.StatusOK
}

// TestAdminListenerCaps: with the gateway listener at its cap, the admin
// listener still answers; there one client address gets at most 16
// connections and all of them 64, and past that the local machine
// (127.0.0.1) still gets its reserve of 16. Addresses 127.0.0.2–.6 stand
// in for remote clients (the reserve is for 127.0.0.1 and ::1 exactly).
func TestAdminListenerCaps(t *testing.T) {
	was := adminIdleTimeout
	adminIdleTimeout = time.Minute // the held keep-alives must stay for the test
	t.Cleanup(func() { adminIdleTimeout = was })
	_, addr, adminAddr := startServing(t, `
listen: %[1]s
admin: {listen: %[2]s}
data_dir: `+t.TempDir()+`
server: {max_connections: 16, max_connections_per_client: 16}
routes:
  - {name: open, path: /*, public: true, upstream: "http://127.0.0.1:9"}
`)
	count := func(ip, addr string, n int) int {
		admitted := 0
		for range n {
			if _, ok := hold(t, ip, addr); ok {
				admitted++
			}
		}
		return admitted
	}
	steps := []struct {
		name        string
		ip, addr    string
		tries, want int
	}{
		{"the gateway listener fills to its cap", "127.0.0.7", addr, 17, 16},
		{"one admin client: 16 connections", "127.0.0.2", adminAddr, 17, 16},
		{"a second admin client", "127.0.0.3", adminAddr, 16, 16},
		{"a third admin client", "127.0.0.4", adminAddr, 16, 16},
		{"a fourth admin client: the total of 64 is full", "127.0.0.5", adminAddr, 16, 16},
		{"a fifth admin client: the total is reached", "127.0.0.6", adminAddr, 1, 0},
		{"the local machine: its reserve of 16", "127.0.0.1", adminAddr, 17, 16},
	}
	for _, s := range steps {
		if got := count(s.ip, s.addr, s.tries); got != s.want {
			t.Errorf("%s (%s): %d of %d connections admitted, want %d", s.name, s.ip, got, s.tries, s.want)
		}
	}
}

// TestAdminIdleTimeout: the admin listener ends an idle keep-alive after
// adminIdleTimeout (the gateway's own idle_timeout is minutes).
func TestAdminIdleTimeout(t *testing.T) {
	was := adminIdleTimeout
	adminIdleTimeout = 300 * time.Millisecond
	t.Cleanup(func() { adminIdleTimeout = was })
	_, _, adminAddr := startServing(t, `
listen: %[1]s
admin: {listen: %[2]s}
data_dir: `+t.TempDir()+`
routes:
  - {name: open, path: /*, public: true, upstream: "http://127.0.0.1:9"}
`)
	c, ok := hold(t, "127.0.0.2", adminAddr)
	if !ok {
		t.Fatal("the admin listener did not answer")
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); isTimeout(err) {
		t.Fatal("an idle keep-alive on the admin listener is still open after 5 s")
	}
}
