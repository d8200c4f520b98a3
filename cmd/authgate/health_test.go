package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/internal/freeport"
)

// TestHealth runs `authgate health` against a real gateway (serving,
// ready) and against answers that are not health: a 503, a redirect to a
// healthy endpoint (not followed), nothing listening. Exit 0, 1, or 2 for
// a usage error.
func TestHealth(t *testing.T) {
	var addr, base string
	cfg := filepath.Join(t.TempDir(), "authgate.yaml")
	startServe(t, func(free func() string) string {
		addr = free()
		base = "http://" + addr
		if err := os.WriteFile(cfg, fmt.Appendf(nil, serveConfig, addr, "http://127.0.0.1:1", ""), 0o600); err != nil {
			t.Fatal(err)
		}
		return cfg
	}, func() bool { return status(base+api.HealthzPath) == http.StatusOK })

	unhealthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, base+api.HealthzPath, http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer unhealthy.Close()
	closed := "http://" + freeport.Addr(t)

	for _, c := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"--url", base}, 0, base + api.HealthzPath + ": 200 OK"},
		{[]string{"--url", base + "/", "--ready"}, 0, base + api.ReadyzPath + ": 200 OK"},
		{[]string{"--url", base + api.ReadyzPath}, 0, base + api.ReadyzPath + ": 200 OK"},
		{[]string{"--url", unhealthy.URL}, 1, ""},
		{[]string{"--url", unhealthy.URL + "/moved"}, 1, ""},
		{[]string{"--url", closed}, 1, ""},
		{[]string{"--url", "ftp://" + addr}, 2, ""},
		{[]string{"--url", "http://user:secret@" + addr}, 2, ""},
		{[]string{"--url", base + "/x", "--ready"}, 2, ""},
		{[]string{"--url", base, "--timeout", "0s"}, 2, ""},
	} {
		out, err := run(t, "", append([]string{"health"}, c.args...)...)
		if code, _ := exitCode(err); code != c.code || strings.TrimSpace(out) != c.out {
			t.Errorf("health %v: exit %d, %q (%v); want exit %d, %q", c.args, code, out, err, c.code, c.out)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("health %v: the error repeats the URL's password: %v", c.args, err)
		}
	}
}
