package doctor

import (
	"fmt"
	"os"
	"testing"

	"github.com/authgate/authgate/internal/nginxtest"
)

// startNginx runs Debian's nginx with auth_basic on a loopback port.
func startNginx(t *testing.T, user, password string) string {
	addr, dir := nginxtest.Start(t, func(addr string) string {
		return fmt.Sprintf(`
  server {
    listen %s;
    location / {
      auth_basic "legacy";
      auth_basic_user_file DIR/htpasswd;
      root DIR/www;
    }
  }`, addr)
	})
	os.WriteFile(dir+"/htpasswd", []byte(user+":{PLAIN}"+password+"\n"), 0o644)
	os.Mkdir(dir+"/www", 0o755)
	os.WriteFile(dir+"/www/index.html", []byte("ok\n"), 0o644)
	return "http://" + addr + "/"
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
