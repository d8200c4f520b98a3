package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/credential/apikey"
	"github.com/authgate/authgate/credential/apikey/keyformat"
	"github.com/authgate/authgate/internal/logtest"
	"github.com/authgate/authgate/internal/pgtest"
	"github.com/authgate/authgate/store/postgres"
)

// TestRevocationWhilePostgresFreezes: instance A reaches PostgreSQL
// through a proxy that freezes (connections hang, nothing is reset: a
// stalled pgbouncer, a partition); instance B reaches it directly. A key
// warm in A's cache and revoked through B while A is cut off is not
// accepted by A once its change stream misses its heartbeats (503
// auth_unavailable: A cannot know); A's readiness says not ready, naming
// the lost stream, instead of hanging; a credential A never saw gets 503
// within the query timeout; an ERROR line says the stream is lost. Once
// the proxy thaws, A refuses the key with 401 credential_revoked (the
// revocation it missed is not hidden by a stale cache entry), is ready
// again and says so at INFO, and the recovery is counted.
// store.query_timeout and store.heartbeat are
// set (1 s, 250 ms); store/postgres TestEveryCallBoundedWhenFrozen runs
// with the defaults.
func TestRevocationWhilePostgresFreezes(t *testing.T) {
	dsn := pgtest.DSN(t)
	proxy, via := pgtest.ProxyDSN(t, dsn)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer up.Close()
	cfg, err := config.Parse("a.yaml", []byte(fmt.Sprintf(`
data_dir: %s
store: {driver: postgres, dsn: "%s", query_timeout: 1s, heartbeat: 250ms}
routes:
  - {name: k, path: /k, schemes: [apikey], upstream: "%s"}
`, t.TempDir(), via, up.URL)), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	var logs logtest.Buffer
	a, err := New(cfg, Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer proxy.Thaw() // a failure must not leave the cleanup hanging
	gw, admin := httptest.NewServer(a.Handler()), httptest.NewServer(a.AdminHandler())
	defer gw.Close()
	defer admin.Close()
	b, err := postgres.Open(context.Background(), dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	k, key, err := apikey.Create(context.Background(), b, apikey.Spec{Name: "app", Environment: "live"}, "t")
	if err != nil {
		t.Fatal(err)
	}
	stranger, _, _ := keyformat.Generate("live")

	// bound is how long any answer may take: the query timeout (1 s)
	// and generous slack; never hanging is the point.
	const bound = 5 * time.Second
	hc := &http.Client{Timeout: bound}
	use := func(key string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", gw.URL+"/k", nil)
		req.Header.Set("X-API-Key", key)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("no answer within %s: %v", bound, err)
		}
		defer resp.Body.Close()
		var p struct {
			Reason string `json:"reason"`
		}
		json.NewDecoder(resp.Body).Decode(&p)
		return resp.StatusCode, p.Reason
	}
	ready := func() (int, string) {
		t.Helper()
		resp, err := hc.Get(admin.URL + api.ReadyzPath)
		if err != nil {
			t.Fatalf("readyz: no answer within %s: %v", bound, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	// within polls cond for a generous 10 s (a few heartbeats and
	// reconnection backoffs).
	within := func(what string, cond func() bool) {
		t.Helper()
		start := time.Now()
		for !cond() {
			if time.Since(start) > 10*time.Second {
				t.Fatalf("%s: not within 10s\nlogs: %s", what, logs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Logf("%s after %s", what, time.Since(start).Round(time.Millisecond))
	}

	within("ready", func() bool { s, _ := ready(); return s == 200 })
	for range 3 {
		if s, r := use(key); s != 200 {
			t.Fatalf("warming the key: %d %s", s, r)
		}
	}

	proxy.Freeze()
	if err := b.RevokeKey(context.Background(), k.ID, time.Now(), "t"); err != nil {
		t.Fatal(err)
	}
	within("the revoked key is not accepted while cut off (503 auth_unavailable)", func() bool {
		s, r := use(key)
		if s != 200 && (s != 503 || r != "auth_unavailable") {
			t.Fatalf("while cut off: %d %s, want 503 auth_unavailable", s, r)
		}
		return s == 503
	})
	for range 3 {
		if s, r := use(key); s != 503 || r != "auth_unavailable" {
			t.Fatalf("the revoked key later, while cut off: %d %s", s, r)
		}
	}
	if s, r := use(stranger); s != 503 || r != "auth_unavailable" {
		t.Fatalf("a key never seen, while cut off: %d %s, want 503 auth_unavailable", s, r)
	}
	within("not ready, naming the lost stream and since when", func() bool {
		s, body := ready()
		return s == 503 && strings.Contains(body, "change stream") && strings.Contains(body, "lost since ")
	})
	within("an ERROR line says the stream is lost", func() bool {
		return strings.Contains(logs.String(), `"level":"ERROR","msg":"store problem`) && strings.Contains(logs.String(), "change stream")
	})

	proxy.Thaw()
	within("the revoked key refused with 401 credential_revoked", func() bool {
		s, r := use(key)
		if s == 200 {
			t.Fatalf("after the thaw the revoked key is accepted (a stale cache entry)")
		}
		return s == 401 && r == "credential_revoked"
	})
	within("ready again", func() bool { s, _ := ready(); return s == 200 })
	within("the recovery counted in authgate_store_change_stream_reconnects_total", func() bool {
		resp, err := hc.Get(admin.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(body), "\nauthgate_store_change_stream_reconnects_total 1\n")
	})
	within("an INFO line says the problem is gone", func() bool {
		return strings.Contains(logs.String(), `"level":"INFO","msg":"store problem gone"`)
	})
	if n := strings.Count(logs.String(), `"msg":"store problem: `); n != 1 {
		t.Errorf("%d ERROR lines for one outage, want 1\nlogs: %s", n, logs.String())
	}
}
