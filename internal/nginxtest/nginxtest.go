// Package nginxtest runs Debian's nginx for tests: a private prefix in a
// temporary folder, one worker, no daemon, stopped at the end of the test.
// Without nginx the test is skipped — or failed when CI is set, since
// .ci/run installs it.
package nginxtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Binary finds a program, or skips the test (fails it under CI).
func Binary(t testing.TB, name string, paths ...string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed, and CI must run this test (.ci/run installs it)", name)
	}
	t.Skipf("%s is not installed (apt-get install %s); .ci/run installs it", name, name)
	return ""
}

// FreeAddr returns a loopback address nothing listens on now.
func FreeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Start runs nginx with servers (the inside of the http block; DIR in it
// stands for a private folder the workers can read) and waits until addr
// accepts connections.
func Start(t testing.TB, addr, servers string) (dir string) {
	bin := Binary(t, "nginx", "/usr/sbin/nginx")
	dir = t.TempDir()
	os.Chmod(dir, 0o755)
	os.Mkdir(filepath.Join(dir, "tmp"), 0o755)
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;" // workers must read the test's private temp folder
	}
	conf := filepath.Join(dir, "nginx.conf")
	err := os.WriteFile(conf, []byte(fmt.Sprintf(`%[1]s
daemon off;
worker_processes 1;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path %[2]s/tmp; proxy_temp_path %[2]s/tmp; fastcgi_temp_path %[2]s/tmp;
  uwsgi_temp_path %[2]s/tmp; scgi_temp_path %[2]s/tmp;
%[3]s
}
`, user, dir, replaceDir(servers, dir))), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", conf, "-p", dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// SIGTERM lets the master stop its workers; SIGKILL would leave
		// them running without it.
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	WaitUp(t, addr, filepath.Join(dir, "error.log"))
	return dir
}

// WaitUp waits until addr accepts connections, or fails with the log.
func WaitUp(t testing.TB, addr, logFile string) {
	for range 200 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	log, _ := os.ReadFile(logFile)
	t.Fatalf("%s did not come up: %s", addr, log)
}

func replaceDir(s, dir string) string {
	out := []byte{}
	for i := 0; i < len(s); i++ {
		if i+3 <= len(s) && s[i:i+3] == "DIR" {
			out = append(out, dir...)
			i += 2
			continue
		}
		out = append(out, s[i])
	}
	return string(out)
}
