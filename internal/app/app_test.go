package app

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/internal/eventually"
	"github.com/authgate/authgate/internal/logtest"
	"github.com/authgate/authgate/store/sqlite"
)

var (
	keysOnce   sync.Once
	key1, key2 *rsa.PrivateKey
)

func keys() (*rsa.PrivateKey, *rsa.PrivateKey) {
	keysOnce.Do(func() {
		key1, _ = rsa.GenerateKey(rand.Reader, 2048)
		key2, _ = rsa.GenerateKey(rand.Reader, 2048)
	})
	return key1, key2
}

func token(t *testing.T, key *rsa.PrivateKey, kid string) string {
	tok, err := jwt.Sign("RS256", key, map[string]any{"kid": kid}, map[string]any{"iss": "https://issuer.test", "aud": "api",
		"sub": "alice", "exp": time.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// jwksServer answers as its mode says.
type jwksServer struct {
	*httptest.Server
	mode atomic.Value // string
	// slowArrived hears of each fetch in mode "slow", which is held until
	// release is closed (or its client gives up).
	slowArrived chan struct{}
	release     chan struct{}
	releaseOnce sync.Once
	// slowHeld counts the fetches held now.
	slowHeld atomic.Int32
}

// releaseSlow lets every held fetch answer.
func (s *jwksServer) releaseSlow() { s.releaseOnce.Do(func() { close(s.release) }) }

func newJWKSServer(t *testing.T) *jwksServer {
	k1, k2 := keys()
	good := jwt.PublicJWKS(map[string]any{"k1": &k1.PublicKey})
	// Two keys under one kid: the second signs.
	dup := []byte(strings.Replace(string(jwt.PublicJWKS(map[string]any{"k1": &k1.PublicKey, "k2": &k2.PublicKey})), `"k2"`, `"k1"`, 1))
	junk := []byte(`{"keys":[` + strings.Repeat("0,", 500_000) + `0]}`)
	s := &jwksServer{slowArrived: make(chan struct{}, 16), release: make(chan struct{})}
	s.mode.Store("good")
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch s.mode.Load().(string) {
		case "good":
			w.Write(good)
		case "duplicate kids":
			w.Write(dup)
		case "huge":
			w.Write([]byte(`{"keys":[`))
			w.Write([]byte(strings.Repeat(" ", jwt.MaxJWKSBytes)))
			w.Write([]byte(`]}`))
		case "junk entries":
			w.Write(junk)
		case "malformed":
			w.Write([]byte(`{"keys":[{"kty":"RSA",`))
		case "500":
			http.Error(w, strings.Repeat("upstream exploded ", 10000), http.StatusInternalServerError)
		case "slow":
			s.slowHeld.Add(1)
			defer s.slowHeld.Add(-1)
			select {
			case s.slowArrived <- struct{}{}:
			default:
			}
			select {
			case <-s.release:
			case <-r.Context().Done():
			}
			w.Write(good)
		}
	}))
	t.Cleanup(s.Close)
	t.Cleanup(s.releaseSlow)
	return s
}

func newApp(t *testing.T, jwksURL string) (*App, *httptest.Server, *httptest.Server, *config.Config) {
	return newAppWith(t, jwksURL, "")
}

// newAppWith is newApp with more lines of configuration.
func newAppWith(t *testing.T, jwksURL, extra string) (*App, *httptest.Server, *httptest.Server, *config.Config) {
	doc := fmt.Sprintf(`
data_dir: %s
issuers:
  - {name: main, issuer: "https://issuer.test", audiences: [api], jwks_url: "%s", jwks_min_refetch: 1ms}
routes:
  - {name: r, path: /v1/*, upstream: "%s"}
`, t.TempDir(), jwksURL, "http://127.0.0.1:9")
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	t.Cleanup(up.Close)
	doc = strings.Replace(doc, "http://127.0.0.1:9", up.URL, 1) + extra
	cfg, err := config.Parse("test.yaml", []byte(doc), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	gw, admin := httptest.NewServer(a.Handler()), httptest.NewServer(a.AdminHandler())
	t.Cleanup(gw.Close)
	t.Cleanup(admin.Close)
	return a, gw, admin, cfg
}

func get(t *testing.T, url, auth string) (int, []byte) {
	req, _ := http.NewRequest("GET", url, nil)
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// TestJWKSMisbehaviour: whatever a key source does, a token is refused
// with 503 (never 401: its keys were not judged) and a bounded answer; a
// good set with a shared kid works; a reload during an outage keeps the
// keys; health and metrics never wait for a fetch.
func TestJWKSMisbehaviour(t *testing.T) {
	k1, k2 := keys()
	for _, mode := range []string{"huge", "junk entries", "malformed", "500"} {
		t.Run(mode, func(t *testing.T) {
			js := newJWKSServer(t)
			js.mode.Store(mode)
			_, gw, admin, _ := newApp(t, js.URL)
			status, body := get(t, gw.URL+"/v1/x", token(t, k1, "k1"))
			var p api.Problem
			json.Unmarshal(body, &p)
			if status != 503 || p.Reason != "auth_unavailable" || len(body) > 2048 {
				t.Fatalf("%d %s (%d bytes): %.300s", status, p.Reason, len(body), body)
			}
			_, ready := get(t, admin.URL+api.ReadyzPath, "")
			if len(ready) > 2048 {
				t.Fatalf("readyz answer of %d bytes", len(ready))
			}
		})
	}
	t.Run("duplicate kids", func(t *testing.T) {
		js := newJWKSServer(t)
		js.mode.Store("duplicate kids")
		_, gw, _, _ := newApp(t, js.URL)
		if status, body := get(t, gw.URL+"/v1/x", token(t, k2, "k1")); status != 200 {
			t.Fatalf("signed by the second key of a shared kid: %d %s", status, body)
		}
	})
	t.Run("reload during an outage", func(t *testing.T) {
		js := newJWKSServer(t)
		a, gw, _, cfg := newApp(t, js.URL)
		tok := token(t, k1, "k1")
		if status, _ := get(t, gw.URL+"/v1/x", tok); status != 200 {
			t.Fatalf("before: %d", status)
		}
		js.mode.Store("500")
		next := *cfg
		if err := a.Reload(&next); err != nil {
			t.Fatal(err)
		}
		if status, body := get(t, gw.URL+"/v1/x", token(t, k1, "k1")); status != 200 {
			t.Fatalf("after a reload during the outage: %d %s", status, body)
		}
	})
	t.Run("slow", func(t *testing.T) {
		js := newJWKSServer(t)
		_, gw, admin, _ := newApp(t, js.URL)
		js.mode.Store("slow")
		tok := token(t, k2, "unknown")
		done := make(chan struct{})
		go func() { // an unknown kid makes the gateway refetch; the JWKS server holds the fetch
			defer close(done)
			get(t, gw.URL+"/v1/x", tok)
		}()
		eventually.Receive(t, 10*time.Second, "the refetch for an unknown kid at the JWKS server", js.slowArrived)
		// The fetch is held until released (or the gateway gives up on
		// it): an answer that waited behind it could only come once it
		// ended, so each must come while it is still held.
		for _, path := range []string{api.ReadyzPath, api.MetricsPath} {
			get(t, admin.URL+path, "")
			if js.slowHeld.Load() == 0 {
				t.Errorf("%s answered only once the held key fetch had ended: it waited behind the fetch", path)
			}
		}
		js.releaseSlow()
		<-done
	})
}

// TestDeletedDatabaseIsReported: a database file deleted under a running
// gateway is reported — readiness 503 naming it, the metric at 0, an ERROR
// log line — since the CLI would now write to another store.
func TestDeletedDatabaseIsReported(t *testing.T) {
	dir := t.TempDir()
	var logs logtest.Buffer
	cfg, err := config.Parse("test.yaml", []byte(fmt.Sprintf(`
data_dir: %s
routes:
  - {name: k, path: /k, schemes: [apikey], upstream: "http://127.0.0.1:9"}
`, dir)), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	admin := httptest.NewServer(a.AdminHandler())
	defer admin.Close()
	if status, body := get(t, admin.URL+api.ReadyzPath, ""); status != 200 {
		t.Fatalf("before: %d %s", status, body)
	}
	if err := os.Remove(filepath.Join(dir, sqlite.FileName)); err != nil {
		t.Fatal(err)
	}
	var status int
	var body []byte
	defer func() {
		if t.Failed() {
			t.Logf("last readiness: %d %s\nlogs: %s", status, body, logs.String())
		}
	}()
	eventually.True(t, 10*time.Second, "the deleted database reported (readiness, metric, log)", func() bool {
		status, body = get(t, admin.URL+api.ReadyzPath, "")
		_, metrics := get(t, admin.URL+api.MetricsPath, "")
		return status == 503 && strings.Contains(string(body), "is gone") && strings.Contains(string(metrics), "authgate_store_healthy 0") &&
			strings.Contains(logs.String(), `"level":"ERROR","msg":"store problem`)
	})
}

// TestPProf: admin.pprof serves the profiler on the admin listener, and
// only there; without it /debug/pprof/ is not found.
func TestPProf(t *testing.T) {
	js := newJWKSServer(t)
	_, gw, admin, _ := newAppWith(t, js.URL, "admin: {listen: \"127.0.0.1:9999\", pprof: true}\n")
	if status, body := get(t, admin.URL+"/debug/pprof/cmdline", ""); status != 200 || len(body) == 0 {
		t.Fatalf("pprof on the admin listener: %d", status)
	}
	if status, _ := get(t, gw.URL+"/debug/pprof/cmdline", ""); status == 200 {
		t.Fatal("the profiler is served on the gateway listener")
	}
	_, _, adminOff, _ := newApp(t, js.URL)
	if status, _ := get(t, adminOff.URL+"/debug/pprof/cmdline", ""); status == 200 {
		t.Fatal("the profiler is served without admin.pprof")
	}
	if _, err := config.Parse("x.yaml", []byte("admin: {listen: \"0.0.0.0:9090\", pprof: true}\nroutes: [{name: p, path: /p, public: true, upstream: \"http://127.0.0.1:1\"}]\n"),
		func(string) (string, bool) { return "", false }); err == nil || !strings.Contains(err.Error(), "admin.pprof") {
		t.Fatalf("pprof on a public admin listener: %v", err)
	}
}

// TestIdentityKeyIsKept: the generated identity key is made once, kept
// with mode 0600, and read back with the same kid; a key_file that is not
// a private key is refused naming the file.
func TestIdentityKeyIsKept(t *testing.T) {
	a := &App{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	dir := t.TempDir()
	var first, second config.IdentityToken
	if err := a.identityKey(dir, &first); err != nil {
		t.Fatal(err)
	}
	if err := a.identityKey(dir, &second); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, identityKeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the key file: %v %v", st, err)
	}
	if first.KeyID == "" || first.KeyID != second.KeyID || first.Alg != "ES256" {
		t.Errorf("kids %q and %q, alg %s", first.KeyID, second.KeyID, first.Alg)
	}
	bad := filepath.Join(dir, "public.pem")
	os.WriteFile(bad, []byte("not a key"), 0o600)
	if err := a.identityKey(dir, &config.IdentityToken{KeyFile: bad}); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("a bad key_file: %v", err)
	}
}
