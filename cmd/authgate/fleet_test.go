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
	"github.com/authgate/authgate/internal/eventually"
	"github.com/authgate/authgate/internal/freeport"
	"github.com/authgate/authgate/internal/pgtest"
	"github.com/authgate/authgate/internal/redistest"
	"github.com/authgate/authgate/store/sqlite"
	"github.com/authgate/authgate/store/storetest"
)

const fleetConfig = `
listen: %s
admin: {listen: %s}
data_dir: %s
fingerprint_key: fleet-fingerprint-key-0123456789abcdef
store: {driver: postgres, dsn: "%s"}
rate_limits:
  backend: redis
  redis:
    addr: "%s"
    prefix: "%s"
    username: authgate
    password_file: %[9]s/redis-password
    tls: {ca_file: %[9]s/ca.pem, cert_file: %[9]s/client.pem, key_file: %[9]s/client-key.pem, server_name: redis.test}
failure_limit: {per_credential: 1000, per_client: 1000, per_account: 10, window: 10m}
routes:
  - {name: keyed, path: /keyed, schemes: [apikey, basic], scopes_all: [read], upstream: "%[7]s"}
  - {name: metered, path: /metered, schemes: [apikey], quota: {requests: 100, per: 1m}, upstream: "%[7]s"}
instance: %[8]s
`

type instance struct {
	name, url, admin string
	cmd              *syncBuf
	proc             *os.Process
}

// refusalBound is how long an instance may take to obey another's
// revocation before the test calls it lost. The stores' caches have no
// expiry, so without the change stream a revoked key is accepted forever:
// the bound only has to outlast a loaded machine under -race. The time
// actually taken is logged; it is a measurement, not a pass mark.
const refusalBound = 10 * time.Second

// TestFleet runs three authgate processes on one PostgreSQL and one
// Redis reached as managed services require (TLS with a client
// certificate, an ACL user allowed only authgate's commands): a key made
// through one works on all; a revocation through another is obeyed by all
// (the time each took is logged); when PostgreSQL drops every
// connection (what a restart looks like), the instances reconnect and a
// revocation made then is obeyed everywhere too.
func TestFleet(t *testing.T) {
	dsn := pgtest.DSN(t)
	redis := redistest.StartTLS(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer up.Close()
	dir := t.TempDir()
	for file, from := range map[string]string{"ca.pem": redis.CAFile, "client.pem": redis.CertFile, "client-key.pem": redis.KeyFile} {
		pem, _ := os.ReadFile(from)
		os.WriteFile(filepath.Join(dir, file), pem, 0o600)
	}
	os.WriteFile(filepath.Join(dir, "redis-password"), []byte(redis.Password+"\n"), 0o600)
	var fleet []*instance
	for _, name := range []string{"a", "b", "c"} {
		in := &instance{name: name}
		file := filepath.Join(dir, name+".yaml")
		write := func(addr, adminAddr string) {
			os.WriteFile(file, []byte(fmt.Sprintf(fleetConfig, addr, adminAddr, filepath.Join(dir, name), dsn, redis.Addr, redis.Prefix, up.URL, name, dir)), 0o600)
			in.url, in.admin = "http://"+addr, "http://"+adminAddr
		}
		if name == "a" {
			write(freeport.Addr(t), freeport.Addr(t)) // for keys create; serve takes fresh ones
			out, err := run(t, "", "keys", "create", "--config", file, "--name", "ops", "--kind", "admin")
			if err != nil {
				t.Fatal(err, out)
			}
			t.Setenv("FLEET_ADMIN_KEY", regexp.MustCompile(`key:\s+(ag_live_\S+)`).FindStringSubmatch(out)[1])
		}
		p, logs := startServe(t, func(free func() string) string { write(free(), free()); return file },
			func() bool { return status(in.admin+api.ReadyzPath) == 200 })
		in.cmd, in.proc = logs, p.Cmd.Process
		fleet = append(fleet, in)
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
			eventually.True(t, refusalBound, fmt.Sprintf("%s refusing a key revoked through %s", in.name, via.name), func() bool { return use(in, key) == 401 })
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
	for _, in := range fleet {
		waitFor(t, in.name+" ready again", in.cmd, func() bool { return status(in.admin+api.ReadyzPath) == 200 })
	}
	revokeAndWatch(fleet[0], k2.ID, k2.Key)

	// The failure limit per account holds across the fleet (Redis): the
	// 11th wrong password for one user, sent to a, b and c in turn, is 429.
	if _, err := adminOf(fleet[0]).AddUser(ctx, api.UserCreate{Name: "alice", Password: "correct horse", Scopes: []string{"read"}}); err != nil {
		t.Fatal(err)
	}
	var statuses []int
	for i := range 11 {
		req, _ := http.NewRequest("GET", fleet[i%3].url+"/keyed", nil)
		req.SetBasicAuth("alice", fmt.Sprintf("guess %d", i))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
	}
	if fmt.Sprint(statuses) != "[401 401 401 401 401 401 401 401 401 401 429]" {
		t.Fatalf("wrong passwords for one user across the fleet: %v", statuses)
	}

	// The failure feed of any instance shows the whole fleet's refusals,
	// each naming its instance.
	var instances map[string]int
	eventually.True(t, 10*time.Second, "c's failure feed with 10 basic_invalid entries from 3 instances", func() bool {
		fs, err := adminOf(fleet[2]).Failures(ctx, client.FailureFilter{Reason: "basic_invalid"})
		if err != nil {
			t.Fatal(err)
		}
		instances = map[string]int{}
		for _, f := range fs {
			instances[f.Instance]++
		}
		return len(fs) == 10 && len(instances) == 3
	})
	t.Logf("c's failure feed: %v", instances)

	// A quota of 100 per minute on a key holds fleet-wide (±5%).
	meter, err := adminOf(fleet[1]).CreateKey(ctx, api.KeyCreate{Name: "metered", Environment: "live"})
	if err != nil {
		t.Fatal(err)
	}
	served, start := 0, time.Now()
	for i := range 150 {
		req, _ := http.NewRequest("GET", fleet[i%3].url+"/metered", nil)
		req.Header.Set("X-API-Key", meter.Key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 200 {
			served++
		}
	}
	refill := int(time.Since(start) / (time.Minute / 100))
	t.Logf("quota 100/min over three instances: %d of 150 served in %s (refill allows %d more)", served, time.Since(start).Round(time.Millisecond), refill)
	if served < 95 || served > 105+refill {
		t.Fatalf("%d requests served under a fleet-wide quota of 100", served)
	}
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
