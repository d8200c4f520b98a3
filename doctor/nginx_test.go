package doctor

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// startNginx runs Debian's nginx with auth_basic on a loopback port. It
// skips when nginx is not installed (.ci/run installs it).
func startNginx(t *testing.T, user, password string) string {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, err = os.Stat("/usr/sbin/nginx"); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("nginx is not installed, and CI must run this test")
			}
			t.Skip("nginx is not installed (apt-get install nginx-light); .ci/run installs it")
		}
		bin = "/usr/sbin/nginx"
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	htpasswd := filepath.Join(dir, "htpasswd")
	os.WriteFile(htpasswd, []byte(user+":{PLAIN}"+password+"\n"), 0o644)
	conf := filepath.Join(dir, "nginx.conf")
	userLine := ""
	if os.Geteuid() == 0 {
		userLine = "user root;" // workers must read the test's private temp folder
	}
	os.WriteFile(conf, []byte(fmt.Sprintf(`
%[4]s
daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path %[1]s/tmp;
  proxy_temp_path %[1]s/tmp;
  fastcgi_temp_path %[1]s/tmp;
  uwsgi_temp_path %[1]s/tmp;
  scgi_temp_path %[1]s/tmp;
  server {
    listen 127.0.0.1:%[2]d;
    location / {
      auth_basic "legacy";
      auth_basic_user_file %[3]s;
      root %[1]s/www;
    }
  }
}
`, dir, port, htpasswd, userLine)), 0o644)
	os.Mkdir(filepath.Join(dir, "tmp"), 0o755)
	os.Mkdir(filepath.Join(dir, "www"), 0o755)
	os.WriteFile(filepath.Join(dir, "www", "index.html"), []byte("ok\n"), 0o644)
	cmd := exec.Command(bin, "-c", conf, "-p", dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	for range 100 {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return url
		}
		time.Sleep(50 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
	t.Fatalf("nginx did not start: %s", log)
	return ""
}

func TestAgainstNginxAuthBasic(t *testing.T) {
	url := startNginx(t, "alice", "s3cret-pass")
	tests := []struct {
		name string
		req  *Request
		want Code
	}{
		{"Bearer where nginx wants Basic", get(url, "Authorization", "Bearer 2YotnFZFEjr1zCsicMWpAA"), SchemeMismatch},
		{"wrong password", get(url, "Authorization", "Basic "+b64("alice:wrong")), CredentialsRejected},
		{"trailing newline from echo", get(url, "Authorization", "Basic "+b64("alice:s3cret-pass\n")), BasicTrailingNewline},
		{"no credentials", get(url), CredentialsMissing},
		{"right password", get(url, "Authorization", "Basic "+b64("alice:s3cret-pass")), RequestSucceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := run(t, tt.req, Options{})
			if rep.Top == nil || rep.Top.Code != tt.want {
				t.Fatalf("top %+v, want %s (status %d)", rep.Top, tt.want, rep.Status)
			}
		})
	}
}
