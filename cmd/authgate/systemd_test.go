package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/eventually"
)

// TestSystemdNotify runs `authgate serve` as systemd runs the unit in
// deploy/ (Type=notify, WatchdogSec=): on a NOTIFY_SOCKET the test
// listens on, READY=1 comes once the listener answers, RELOADING=1 (with
// MONOTONIC_USEC) and READY=1 around a SIGHUP reload, WATCHDOG=1 pings
// at half of WATCHDOG_USEC, and STOPPING=1 when SIGTERM begins the
// shutdown.
func TestSystemdNotify(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	msgs := make(chan string, 1000)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "100000")

	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer up.Close()
	var addr string
	file := filepath.Join(dir, "authgate.yaml")
	p, logs := startServe(t, func(free func() string) string {
		addr = free()
		os.WriteFile(file, []byte(fmt.Sprintf(serveConfig, addr, up.URL, "")), 0o600)
		return file
	}, nil)
	cmd := p.Cmd

	pings := 0
	// next is the next notification other than a watchdog ping, which
	// must start with want.
	next := func(want string) string {
		t.Helper()
		for {
			m := eventually.Receive(t, 10*time.Second, want, msgs)
			if m == "WATCHDOG=1" {
				pings++
				continue
			}
			if !strings.HasPrefix(m, want+"\n") && m != want {
				t.Fatalf("notification %q, want %s\nlogs: %s", m, want, logs.String())
			}
			return m
		}
	}
	if m := next("READY=1"); !strings.Contains(m, "STATUS=serving on "+addr) {
		t.Fatalf("READY without the status: %q", m)
	}
	if s := status("http://" + addr + "/slow"); s != 200 {
		t.Fatalf("READY=1 was sent, but the listener answers %d", s)
	}
	cmd.Process.Signal(syscall.SIGHUP)
	if m := next("RELOADING=1"); !strings.Contains(m, "\nMONOTONIC_USEC=") {
		t.Fatalf("RELOADING without MONOTONIC_USEC: %q", m)
	}
	if m := next("READY=1"); !strings.Contains(m, "reloaded") {
		t.Fatalf("READY after the reload: %q", m)
	}
	os.WriteFile(file, []byte("routes: [oops\n"), 0o600)
	cmd.Process.Signal(syscall.SIGHUP)
	next("RELOADING=1")
	if m := next("READY=1"); !strings.Contains(m, "refused") {
		t.Fatalf("READY after a refused reload does not say so: %q", m)
	}
	for pings < 3 {
		if m := eventually.Receive(t, 10*time.Second, "a watchdog ping", msgs); m != "WATCHDOG=1" {
			t.Fatalf("unexpected notification %q", m)
		}
		pings++
	}
	cmd.Process.Signal(syscall.SIGTERM)
	next("STOPPING=1")
	if err := p.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, logs.String())
	}
}
