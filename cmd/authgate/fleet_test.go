package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/client"
	"github.com/authgate/authgate/internal/pgtest"
	"github.com/authgate/authgate/store/sqlite"
	"github.com/authgate/authgate/store/storetest"
)

const fleetConfig = `
listen: %s
admin: {listen: %s}
data_dir: %s
fingerprint_key: fleet-fingerprint-key-0123456789abcdef
store: {driver: postgres, dsn: "%s"}
routes:
  - {name: keyed, path: /keyed, schemes: [apikey], scopes_all: [read], upstream: "%s"}
`

type instance struct {
	name, url, admin string
	cmd              *syncBuf
	proc             *os.Process
}

// TestFleet runs three authgate processes on one PostgreSQL: a key made
// through one works on all; a revocation through another is obeyed by all
// within a second (the time is printed); when PostgreSQL drops every
// connection (what a restart looks like), the instances reconnect and a
// revocation made then is obeyed everywhere too.
func TestFleet(t *testing.T) {
	dsn := pgtest.DSN(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer up.Close()
	dir := t.TempDir()
	var fleet []*instance
	for _, name := range []string{"a", "b", "c"} {
		addr, adminAddr := freeAddr(t), freeAddr(t)
		file := filepath.Join(dir, name+".yaml")
		os.WriteFile(file, []byte(fmt.Sprintf(fleetConfig, addr, adminAddr, filepath.Join(dir, name), dsn, up.URL)), 0o600)
		fleet = append(fleet, &instance{name: name, url: "http://" + addr, admin: "http://" + adminAddr})
		if name == "a" {
			out, err := run(t, "", "keys", "create", "--config", file, "--name", "ops", "--kind", "admin")
			if err != nil {
				t.Fatal(err, out)
			}
			t.Setenv("FLEET_ADMIN_KEY", regexp.MustCompile(`key:\s+(ag_live_\S+)`).FindStringSubmatch(out)[1])
		}
		cmd, logs := startServe(t, file)
		fleet[len(fleet)-1].cmd, fleet[len(fleet)-1].proc = logs, cmd.Process
	}
	for _, in := range fleet {
		waitFor(t, "instance "+in.name, in.cmd, func() bool { return status(in.admin+api.ReadyzPath) == 200 })
	}
	ctx := context.Background()
	adminOf := func(in *instance) *client.Client {
		c, err := client.New(in.admin, os.Getenv("FLEET_ADMIN_KEY"), nil)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	use := func(in *instance, key string) int {
		req, _ := http.NewRequest("GET", in.url+"/keyed", nil)
		req.Header.Set("X-API-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	k, err := adminOf(fleet[0]).CreateKey(ctx, api.KeyCreate{Name: "app", Environment: "live", Scopes: []string{"read"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range fleet {
		for range 3 { // warm every cache
			if s := use(in, k.Key); s != 200 {
				t.Fatalf("the key made on a, used on %s: %d", in.name, s)
			}
		}
	}
	revokeAndWatch := func(via *instance, id, key string) {
		start := time.Now()
		if _, err := adminOf(via).RevokeKey(ctx, id); err != nil {
			t.Fatal(err)
		}
		for _, in := range fleet {
			for use(in, key) != 401 {
				if time.Since(start) > time.Second {
					t.Fatalf("%s still accepts a key revoked through %s after %s", in.name, via.name, time.Since(start))
				}
				time.Sleep(time.Millisecond)
			}
			t.Logf("revoked through %s: refused by %s after %s", via.name, in.name, time.Since(start).Round(100*time.Microsecond))
		}
	}
	revokeAndWatch(fleet[1], k.ID, k.Key)

	// PostgreSQL drops every connection, as in a restart.
	k2, err := adminOf(fleet[2]).CreateKey(ctx, api.KeyCreate{Name: "app2", Environment: "live", Scopes: []string{"read"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range fleet {
		if s := use(in, k2.Key); s != 200 {
			t.Fatalf("second key on %s: %d", in.name, s)
		}
	}
	pgtest.Terminate(t, dsn, "")
	t.Log("PostgreSQL dropped every connection of the fleet")
	time.Sleep(100 * time.Millisecond)
	for _, in := range fleet {
		waitFor(t, in.name+" ready again", in.cmd, func() bool { return status(in.admin+api.ReadyzPath) == 200 })
	}
	revokeAndWatch(fleet[0], k2.ID, k2.Key)
	for _, in := range fleet {
		in.proc.Signal(syscall.SIGTERM)
	}
}

// TestStoreCopyRoundTrip: SQLite → PostgreSQL → SQLite loses nothing
// (every field of every key and user, the audit trail); a non-empty target
// is refused unless --merge.
func TestStoreCopyRoundTrip(t *testing.T) {
	dsn := pgtest.DSN(t)
	first, last := t.TempDir(), t.TempDir()
	src, err := sqlite.Open(context.Background(), first)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Fill(t, src)
	want, _ := src.Export(context.Background())
	src.Close()
	for _, hop := range [][2]string{{"sqlite:" + first, dsn}, {dsn, "sqlite:" + last}} {
		out, err := run(t, "", "store", "copy", "--from", hop[0], "--to", hop[1])
		if err != nil || !strings.Contains(out, "copied 4 keys, 2 users") || !strings.Contains(out, "verified") {
			t.Fatalf("copy %s → %s: %v\n%s", hop[0], hop[1], err, out)
		}
	}
	dst, err := sqlite.Open(context.Background(), last)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := dst.Export(context.Background())
	dst.Close()
	got.Audit = got.Audit[:len(got.Audit)-2] // the two imports' own events
	if got.Checksum() != want.Checksum() {
		t.Fatalf("after the round trip: %s, want %s", got.Counts(), want.Counts())
	}
	if _, err := run(t, "", "store", "copy", "--from", "sqlite:"+first, "--to", dsn); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("copy into a non-empty target: %v", err)
	}
	if out, err := run(t, "", "store", "copy", "--from", "sqlite:"+first, "--to", dsn, "--merge"); err != nil {
		t.Fatalf("--merge: %v\n%s", err, out)
	}
}
