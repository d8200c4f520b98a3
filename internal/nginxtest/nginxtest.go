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

	"github.com/authgate/authgate/internal/freeport"
	"github.com/authgate/authgate/internal/logtest"
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

// Start runs nginx with servers(addr) (the inside of the http block,
// listening on addr; DIR in it stands for a private folder the workers can
// read) on a fresh loopback address until the test ends, and returns the
// address and the folder. nginx that loses the address to another process
// runs again on a fresh one (freeport.Start).
func Start(t testing.TB, servers func(addr string) string) (addr, dir string) {
	bin := Binary(t, "nginx", "/usr/sbin/nginx")
	var stderr *logtest.Buffer
	freeport.Start(t, freeport.Child{
		What: "nginx",
		Command: func(free func() string) *exec.Cmd {
			addr, dir = free(), t.TempDir()
			conf := writeConf(t, dir, servers(addr))
			stderr = &logtest.Buffer{}
			cmd := exec.Command(bin, "-c", conf, "-p", dir)
			cmd.Stderr = stderr
			return cmd
		},
		Output: func() string {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			return stderr.String() + string(log)
		},
		// nginx writes its pid file once it has bound its listeners.
		Ready: func() bool {
			if _, err := os.Stat(filepath.Join(dir, "nginx.pid")); err != nil {
				return false
			}
			c, err := net.Dial("tcp", addr)
			if err == nil {
				c.Close()
			}
			return err == nil
		},
		// SIGTERM lets the master stop its workers; SIGKILL would leave
		// them running without it.
		Stop: syscall.SIGTERM,
	})
	return addr, dir
}

// writeConf writes nginx.conf for servers into dir, with the folders
// nginx writes into kept inside dir, and returns its path.
func writeConf(t testing.TB, dir, servers string) string {
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
	return conf
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
