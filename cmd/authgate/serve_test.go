package main

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/eventually"
	"github.com/authgate/authgate/internal/freeport"
)

// TestMain lets a test run this binary as authgate itself.
func TestMain(m *testing.M) {
	if os.Getenv("AUTHGATE_TEST_MAIN") == "1" {
		os.Args = append([]string{"authgate"}, os.Args[1:]...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

const serveConfig = `
listen: %s
admin: {listen: ""}
issuers:
  - {name: ci, issuer: "https://ci", audiences: [api], secret: "0123456789abcdef0123456789abcdef"}
routes:
  - {name: slow, path: /slow, public: true, upstream: "%s"}
%s`

// startServe runs `authgate serve` with the configuration file that
// config writes for the addresses it takes from free, until the process
// has logged that it listens and ready (nil: nothing more) holds. One that
// loses a port to another process runs again on fresh addresses.
func startServe(t *testing.T, config func(free func() string) string, ready func() bool) (*freeport.Process, *syncBuf) {
	var logs *syncBuf
	p := freeport.Start(t, freeport.Child{
		What: "authgate serve",
		Command: func(free func() string) *exec.Cmd {
			cmd := exec.Command(os.Args[0], "serve", "--config", config(free))
			cmd.Env = append(os.Environ(), "AUTHGATE_TEST_MAIN=1")
			logs = &syncBuf{}
			cmd.Stderr = logs
			return cmd
		},
		Output: func() string { return logs.String() },
		Ready: func() bool {
			return strings.Contains(logs.String(), `"msg":"authgate listening"`) && (ready == nil || ready())
		},
	})
	return p, logs
}

// waitFor polls ok until it holds, under a generous bound (a loaded
// machine, -race), and fails with the process's logs if it never does.
func waitFor(t *testing.T, what string, logs *syncBuf, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(25 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never happened within 30s; logs:\n%s", what, logs.String())
		}
	}
}

func status(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestServeReloadAndGracefulShutdown runs `authgate serve` as a process:
// SIGHUP applies a good configuration and refuses a bad one (keeping the
// old), SIGTERM lets a request in flight finish.
func TestServeReloadAndGracefulShutdown(t *testing.T) {
	// Once hold is set, the upstream tells arrived of the next request and
	// answers it only when release is closed: the test knows the request
	// is in flight, and that it outlived the start of the shutdown.
	var hold atomic.Bool
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	up := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hold.Load() {
			arrived <- struct{}{}
			<-release
		}
		fmt.Fprint(w, "slow ok")
	})}
	upLn, _ := net.Listen("tcp", "127.0.0.1:0")
	go up.Serve(upLn)
	defer up.Close()
	upstream := "http://" + upLn.Addr().String()

	dir := t.TempDir()
	var addr string
	file := filepath.Join(dir, "authgate.yaml")
	write := func(extra string) { os.WriteFile(file, []byte(fmt.Sprintf(serveConfig, addr, upstream, extra)), 0o600) }
	p, logs := startServe(t, func(free func() string) string { addr = free(); write(""); return file },
		func() bool { return status("http://"+addr+"/slow") == 200 })
	cmd := p.Cmd
	base := "http://" + addr
	if s := status(base + "/open"); s != 404 {
		t.Fatalf("before reload /open = %d", s)
	}
	write(fmt.Sprintf("  - {name: open, path: /open, public: true, upstream: %q}\n", upstream))
	cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the reload", logs, func() bool { return status(base+"/open") == 200 })

	os.WriteFile(file, []byte("routes: [oops\n"), 0o600)
	cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the refusal", logs, func() bool { return strings.Contains(logs.String(), "reload refused") })
	if s := status(base + "/open"); s != 200 {
		t.Fatalf("after a bad reload /open = %d: the old configuration must stay", s)
	}

	hold.Store(true)
	done := make(chan int, 1)
	go func() { done <- status(base + "/slow") }()
	eventually.Receive(t, 10*time.Second, "the request at the upstream", arrived)
	cmd.Process.Signal(syscall.SIGTERM)
	eventually.True(t, 10*time.Second, "the shutdown begun (logged)", func() bool { return strings.Contains(logs.String(), "shutting down") })
	select {
	case s := <-done:
		t.Fatalf("the request in flight was answered (%d) before the upstream was", s)
	default:
	}
	close(release)
	if s := <-done; s != 200 {
		t.Fatalf("request in flight during shutdown: %d", s)
	}
	if err := p.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, logs.String())
	}
}

func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	gen := exec.Command("go", "run", filepath.Join(runtimeGOROOT(), "src/crypto/tls/generate_cert.go"), "--host", "127.0.0.1", "--ecdsa-curve", "P256")
	gen.Dir = dir
	if out, err := gen.CombinedOutput(); err != nil {
		t.Skipf("cannot generate a test certificate: %v %s", err, out)
	}
	var addr string
	file := filepath.Join(dir, "authgate.yaml")
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	startServe(t, func(free func() string) string {
		addr = free()
		os.WriteFile(file, []byte(fmt.Sprintf(serveConfig, addr, "http://127.0.0.1:9", "tls: {cert_file: cert.pem, key_file: key.pem}\n")), 0o600)
		return file
	}, func() bool {
		resp, err := client.Get("https://" + addr + "/nowhere")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 404 && resp.TLS != nil
	})
}

func runtimeGOROOT() string {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// TestServeBusyPort: a port in use is refused with what to do about it.
func TestServeBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "authgate.yaml")
	os.WriteFile(file, []byte(fmt.Sprintf(serveConfig, ln.Addr(), "http://127.0.0.1:9", "")), 0o600)
	_, err = run(t, "", "serve", "--config", file)
	if err == nil || !strings.Contains(err.Error(), "--listen HOST:PORT") {
		t.Fatalf("busy port: %v", err)
	}
}
