package app

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/internal/eventually"
)

// clientFrom is an HTTP client whose connections come from local address ip.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 2 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}, Timeout: 3 * time.Second}
}

// TestSlowBodyFlood: one address opens many connections that trickle
// request bodies a byte at a time (bounded: 200 connections for 3
// seconds). It gets at most its share of connections, each slow body is
// cut off, and meanwhile another client and the admin listener are
// answered.
func TestSlowBodyFlood(t *testing.T) {
	up := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "ok")
	})}
	upLn, _ := net.Listen("tcp", "127.0.0.1:0")
	go up.Serve(upLn)
	defer up.Close()
	_, addr, adminAddr := startServing(t, fmt.Sprintf(`
listen: %%[1]s
admin: {listen: %%[2]s}
data_dir: %s
trusted_proxies: ["10.0.0.0/8"]
server: {max_connections: 100, max_connections_per_client: 20, body_idle_timeout: 500ms, body_timeout: 1s}
routes:
  - {name: open, path: /*, public: true, upstream: "http://%s"}
`, t.TempDir(), upLn.Addr()))
	other, admin := clientFrom("127.0.0.2"), clientFrom("127.0.0.3")
	eventually.True(t, 10*time.Second, "the gateway answering", func() bool {
		resp, err := other.Get("http://" + addr + "/x")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})

	flood, stop := context.WithTimeout(context.Background(), 3*time.Second)
	defer stop()
	var admitted, refused atomic.Int32
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.1")}}).DialContext(flood, "tcp", addr)
			if err != nil {
				refused.Add(1)
				return
			}
			defer c.Close()
			io.WriteString(c, "POST /upload HTTP/1.1\r\nHost: gw\r\nContent-Length: 1000\r\n\r\n")
			buf := make([]byte, 1)
			// A connection over the cap is closed at accept; give a loaded
			// machine time to get there.
			c.SetReadDeadline(time.Now().Add(time.Second))
			if _, err := c.Read(buf); !isTimeout(err) {
				refused.Add(1) // closed at once: over the cap
				return
			}
			admitted.Add(1)
			for flood.Err() == nil {
				if _, err := io.WriteString(c, "x"); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
	}
	// While the flood goes on: another client and the admin listener.
	var answered, failed int
	for flood.Err() == nil {
		resp, err := other.Get("http://" + addr + "/x")
		if err != nil || resp.StatusCode != 200 {
			failed++
		} else {
			answered++
			resp.Body.Close()
		}
		resp, err = admin.Get("http://" + adminAddr + api.HealthzPath)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("admin listener during the flood: %v", err)
		} else {
			resp.Body.Close()
		}
		time.Sleep(100 * time.Millisecond)
	}
	wg.Wait()
	t.Logf("flood: %d connections admitted, %d closed at once; other client: %d answered, %d failed", admitted.Load(), refused.Load(), answered, failed)
	if admitted.Load() > 20 {
		t.Errorf("%d connections admitted from one address; the cap is 20", admitted.Load())
	}
	if answered == 0 || failed > 0 {
		t.Errorf("another client during the flood: %d answered, %d failed", answered, failed)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
