package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/internal/gatewaytest"
)

func run(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte(`
issuers:
  - {name: a, issuer: "https://a", audiences: [api], jwks_url: "https://a/jwks"}
routes:
  - {name: r, path: /v1/*, upstream: "http://127.0.0.1:9"}
`), 0o600)
	out, err := run(t, "", "config", "check", "--config", good)
	if err != nil || !strings.Contains(out, "ok (1 issuers, 1 routes)") {
		t.Fatalf("good config: %q %v", out, err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("routes:\n  - {name: r, path: /v1/*, upstream: \"http://127.0.0.1:9\", scopes: [x]}\n"), 0o600)
	_, err = run(t, "", "config", "check", "--config", bad)
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:2: routes[0].scopes: unknown key") {
		t.Fatalf("bad config: %v", err)
	}
}

func TestMintThenInspect(t *testing.T) {
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	keyFile := filepath.Join(dir, "k.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	tok, err := run(t, "", "jwt", "mint", "--key", keyFile, "--iss", "https://i", "--aud", "api", "--sub", "bob",
		"--scope", "read", "--ttl", "-5m", "--claim", "tenant=7")
	if err != nil {
		t.Fatal(err)
	}
	out, err := run(t, strings.TrimSpace(tok), "jwt", "inspect", "-")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"ES256"`, `"https://i"`, `tenant:    7`, "exp:", " ago)", "signature was not checked"} {
		if !strings.Contains(out, want) {
			t.Fatalf("inspect output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, tok[strings.LastIndex(tok, ".")+1:strings.LastIndex(tok, ".")+20]) {
		t.Fatal("inspect printed the signature")
	}
}

func TestVersion(t *testing.T) {
	out, err := run(t, "", "version")
	if err != nil || !strings.HasPrefix(out, "authgate ") || !strings.Contains(out, " revision ") {
		t.Fatalf("%q %v", out, err)
	}
	flag, err := run(t, "", "--version")
	if err != nil || flag != out {
		t.Fatalf("--version %q, version %q (%v)", flag, out, err)
	}
	// A binary built from a checkout names its revision.
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "authgate")
	if out, err := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v %s", err, out)
	}
	got, err := exec.Command(bin, "--version").Output()
	if err != nil || !strings.Contains(string(got), "revision "+string(head[:12])) {
		t.Fatalf("%q %v, want revision %s", got, err, head[:12])
	}
}

func TestKeysAndUsersCommands(t *testing.T) {
	dir := t.TempDir()
	out, err := run(t, "", "keys", "create", "--data-dir", dir, "--name", "ci", "--env", "test", "--scopes", "read write")
	if err != nil {
		t.Fatal(err)
	}
	var key, id string
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "key:     "); ok {
			key = v
		}
		if v, ok := strings.CutPrefix(line, "id:      "); ok {
			id = v
		}
	}
	if !strings.HasPrefix(key, "ag_test_") || id == "" {
		t.Fatalf("create output:\n%s", out)
	}
	list, err := run(t, "", "keys", "list", "--data-dir", dir)
	if err != nil || !strings.Contains(list, id) || strings.Contains(list, key[8:20]) || !strings.Contains(list, "active") {
		t.Fatalf("list (must show the id, never the key):\n%s %v", list, err)
	}
	rot, err := run(t, "", "keys", "rotate", id, "--data-dir", dir, "--grace", "1h")
	if err != nil || !strings.Contains(rot, "stays valid until") {
		t.Fatalf("rotate: %s %v", rot, err)
	}
	if _, err := run(t, "", "keys", "revoke", id, "--data-dir", dir); err != nil {
		t.Fatal(err)
	}
	if list, _ := run(t, "", "keys", "list", "--data-dir", dir); !strings.Contains(list, "revoked") {
		t.Fatalf("after revoke:\n%s", list)
	}
	if _, err := run(t, "", "keys", "revoke", "nosuchid", "--data-dir", dir); err == nil {
		t.Fatal("revoking an unknown id succeeded")
	}

	if _, err := run(t, "correct horse battery\n", "users", "add", "alice", "--data-dir", dir, "--scopes", "read"); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "short\n", "users", "passwd", "alice", "--data-dir", dir); err == nil {
		t.Fatal("a 5-character password was accepted")
	}
	users, _ := run(t, "", "users", "list", "--data-dir", dir)
	if !strings.Contains(users, "alice") || !strings.Contains(users, "argon2id") || strings.Contains(users, "horse") {
		t.Fatalf("users list:\n%s", users)
	}
	ht := filepath.Join(dir, "htpasswd")
	os.WriteFile(ht, []byte("bob:$2y$05$CCCCCCCCCCCCCCCCCCCCC.7uRgB8D5OhKZs0LrbYYKRIOzKFBY8Ri\ncarol:{SHA}abc\n"), 0o600)
	out, err = run(t, "", "users", "import", ht, "--data-dir", dir)
	if err == nil || !strings.Contains(out, "imported 1 users") || !strings.Contains(out, "carol") {
		t.Fatalf("import: %s %v", out, err)
	}
	if _, err := run(t, "", "users", "remove", "alice", "--data-dir", dir); err != nil {
		t.Fatal(err)
	}
}

func TestDoctorExitCodes(t *testing.T) {
	d := gatewaytest.Demo(t, false)
	code := func(err error) int {
		c, _ := exitCode(err)
		if err == nil {
			return 0
		}
		return c
	}
	out, err := run(t, "", "doctor", "-H", "Authorization: Bearer "+d.File.Tokens["valid"], d.File.URL+"/v1/data")
	if code(err) != 0 || !strings.HasPrefix(out, "OK: the request succeeded (200)") {
		t.Fatalf("good request: exit %d\n%s", code(err), out)
	}
	out, err = run(t, "", "doctor", "--json", "-H", "Authorization: Bearer "+d.File.Tokens["expired"], d.File.URL+"/v1/data")
	var rep struct {
		Schema string `json:"schema"`
		Top    struct {
			Code string `json:"code"`
		} `json:"top"`
		ExitCode int `json:"exit_code"`
	}
	if code(err) != 1 || json.Unmarshal([]byte(out), &rep) != nil || rep.Top.Code != "token_expired" || rep.Schema != "authgate.doctor/v1" || rep.ExitCode != 1 {
		t.Fatalf("expired: exit %d %+v\n%s", code(err), rep, out)
	}
	if strings.Contains(out, d.File.Tokens["expired"][10:30]) {
		t.Fatal("the report printed the token")
	}
	if _, err := run(t, "", "doctor", "http://127.0.0.1:1/"); code(err) != 2 {
		t.Fatalf("unreachable server: exit %d", code(err))
	}
	if _, err := run(t, "", "doctor", "--curl", "wget http://x"); code(err) != 2 {
		t.Fatalf("bad --curl: exit %d", code(err))
	}
	if _, err := run(t, "", "doctor", "--no-such-flag"); code(err) != 2 {
		t.Fatalf("bad flag: exit %d", code(err))
	}
	// An API that sends callers to a login page: exit 1 with
	// redirected_to_login, whether the redirect is followed (-L, where the
	// login page answers 200) or not.
	login := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, `<html><form method="post"><input name="user"><input type="password" name="pw"></form></html>`)
			return
		}
		http.Redirect(w, r, "/login?next="+r.URL.Path, http.StatusFound)
	}))
	defer login.Close()
	for _, follow := range [][]string{nil, {"-L"}} {
		args := append([]string{"doctor", "--json", "-H", "Authorization: Bearer abcdef0123456789"}, follow...)
		out, err := run(t, "", append(args, login.URL+"/api/data")...)
		var rep struct {
			Top struct {
				Code string `json:"code"`
			} `json:"top"`
		}
		if code(err) != 1 || json.Unmarshal([]byte(out), &rep) != nil || rep.Top.Code != "redirected_to_login" {
			t.Fatalf("302 to a login page %v: exit %d\n%s", follow, code(err), out)
		}
	}
}

func TestConfigTestHarness(t *testing.T) {
	dir := t.TempDir()
	secret := "0123456789abcdef0123456789abcdef"
	os.WriteFile(filepath.Join(dir, "ci.secret"), []byte(secret+"\n"), 0o600)
	cfg := filepath.Join(dir, "authgate.yaml")
	os.WriteFile(cfg, []byte(`
admin: {listen: ""}
issuers:
  - {name: ci, issuer: "https://ci", audiences: [api], secret_file: ci.secret, required_type: at+jwt}
routes:
  - name: tenant-admin
    hosts: [admin.example.com]
    path: /v1/data
    claims_all: [{claim: realm_access.roles, contains: admin}]
    upstream: "http://127.0.0.1:9"
  - {name: public, path: /public, public: true, upstream: "http://127.0.0.1:9"}
  - {name: read, path: /v1/data, methods: [GET], scopes_all: [read], upstream: "http://127.0.0.1:9"}
  - {name: write, path: /v1/data, methods: [POST], scopes_all: [write], upstream: "http://127.0.0.1:9"}
`), 0o600)
	cases := filepath.Join(dir, "cases.yaml")
	write := func(extra string) {
		os.WriteFile(cases, []byte(`
credentials:
  reader: {mint: {secret_file: ci.secret, claims: {iss: "https://ci", aud: api, sub: bot, scope: read}}}
  expired: {mint: {secret_file: ci.secret, ttl: -1h, claims: {iss: "https://ci", aud: api, sub: bot, scope: read}}}
  junk: {header: "Authorization: Bearer YOUR_TOKEN"}
  typeless: {mint: {secret_file: ci.secret, typ: "", claims: {iss: "https://ci", aud: api, sub: bot, scope: read}}}
  keycloak-admin: {mint: {secret_file: ci.secret, claims: {iss: "https://ci", aud: api, sub: ops, realm_access: {roles: [admin, user]}}}}
cases:
  - {name: reader reads, request: {method: GET, path: /v1/data, credential: reader}, expect: {status: 200, subject: bot, scopes: [read], route: read}}
  - {name: reader cannot write, request: {method: POST, path: /v1/data, credential: reader}, expect: {status: 403, reason: insufficient_scope}}
  - {name: expired refused, request: {path: /v1/data, credential: expired}, expect: {status: 401, reason: token_expired}}
  - {name: placeholder refused, request: {path: /v1/data, credential: junk}, expect: {status: 401, reason: credential_placeholder}}
  - {name: public open, request: {path: /public}, expect: {status: 200}}
  - {name: "typ is at+jwt by default; typ: \"\" sends none", request: {path: /v1/data, credential: typeless}, expect: {status: 401, reason: token_type_mismatch}}
  - {name: admin host needs the role, request: {host: admin.example.com, path: /v1/data, credential: reader}, expect: {status: 403, reason: claim_mismatch, route: tenant-admin}}
  - {name: admin host with the role, request: {host: admin.example.com, path: /v1/data, credential: keycloak-admin}, expect: {status: 200, subject: ops, route: tenant-admin}}
`+extra), 0o600)
	}
	write("")
	out, err := run(t, "", "config", "test", cases, "--config", cfg)
	if err != nil || !strings.Contains(out, "8 passed, 0 failed") {
		t.Fatalf("all cases should pass: %v\n%s", err, out)
	}
	write("  - {name: wrong expectation, request: {method: POST, path: /v1/data, credential: reader}, expect: {status: 200}}\n")
	out, err = run(t, "", "config", "test", cases, "--config", cfg)
	if c, _ := exitCode(err); err == nil || c != 1 || !strings.Contains(out, "FAIL  wrong expectation") ||
		!strings.Contains(out, "status: want 200, got 403 (insufficient_scope") {
		t.Fatalf("a mismatch must fail with a diff: %v\n%s", err, out)
	}
	// A cases file is read like the configuration: file:line: key.
	bad := []struct{ extra, want string }{
		{"  - {name: typo, request: {path: /x}, expect: {status: 200, reasn: x}}\n", cases + `:17: cases[8].expect.reasn: unknown key (did you mean "reason"?)`},
		{"  - {name: unset, request: {path: /x, headers: {X-Key: \"${AUTHGATE_TEST_UNSET}\"}}, expect: {status: 200}}\n",
			cases + ":17: cases[8].request.headers.X-Key: environment variable AUTHGATE_TEST_UNSET is not set"},
		{"  - {name: nobody, request: {path: /x, credential: nobody}, expect: {status: 200}}\n", cases + `:17: cases[8].request.credential: no credential named "nobody"`},
		{"  - {name: typ none, request: {path: /v1/data, credential: typeless}, expect: {status: 200}}\ncredentials:\n", cases + ":18: credentials: key given twice"},
	}
	for _, b := range bad {
		write(b.extra)
		_, err := run(t, "", "config", "test", cases, "--config", cfg)
		if c, _ := exitCode(err); c != 1 || err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%q: exit %d, %v; want %q", b.extra, c, err, b.want)
		}
	}
}

func TestKeysAndUsersThroughAdminAPI(t *testing.T) {
	d := gatewaytest.Demo(t, true)
	t.Setenv("AUTHGATE_ADMIN_KEY", d.File.AdminKey)
	admin := []string{"--admin", d.File.AdminURL}
	out, err := run(t, "", append([]string{"keys", "create", "--name", "remote", "--env", "live", "--scopes", "read"}, admin...)...)
	if err != nil || !strings.Contains(out, "key:     ag_live_") {
		t.Fatalf("create through the admin API: %v\n%s", err, out)
	}
	var key string
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "key:     "); ok {
			key = v
		}
	}
	req, _ := http.NewRequest("GET", d.File.URL+"/v1/data", nil)
	req.Header.Set("X-API-Key", key)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the new key does not work: %v %v", err, resp)
	}
	if list, err := run(t, "", append([]string{"keys", "list"}, admin...)...); err != nil || !strings.Contains(list, "remote") {
		t.Fatalf("list: %v\n%s", err, list)
	}
	if _, err := run(t, "a long enough password\n", append([]string{"users", "add", "carol"}, admin...)...); err != nil {
		t.Fatal(err)
	}
	if users, _ := run(t, "", append([]string{"users", "list"}, admin...)...); !strings.Contains(users, "carol") {
		t.Fatalf("users list:\n%s", users)
	}
	// A viewer key, made through the admin API, lists and changes nothing.
	out, err = run(t, "", append([]string{"keys", "create", "--name", "auditor", "--env", "live", "--kind", "viewer", "--json"}, admin...)...)
	var viewer api.KeyView
	if err != nil || json.Unmarshal([]byte(out), &viewer) != nil || viewer.Kind != "viewer" {
		t.Fatalf("create a viewer key through the admin API: %v\n%s", err, out)
	}
	t.Setenv("AUTHGATE_ADMIN_KEY", viewer.Key)
	if list, err := run(t, "", append([]string{"keys", "list"}, admin...)...); err != nil || !strings.Contains(list, "auditor") {
		t.Fatalf("a viewer key's list: %v\n%s", err, list)
	}
	if _, err := run(t, "", append([]string{"keys", "create", "--name", "x", "--env", "live"}, admin...)...); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("a viewer key must not create a key: %v", err)
	}
	t.Setenv("AUTHGATE_ADMIN_KEY", d.File.APIKeys["live"])
	if _, err := run(t, "", append([]string{"keys", "list"}, admin...)...); err == nil || !strings.Contains(err.Error(), "credential_wrong_kind") {
		t.Fatalf("an API key must be refused by the admin API: %v", err)
	}
}

// TestUserRulesInBothModes: a user name or password that could never log
// in is refused the same way on the store directly and through the admin
// API, and nothing is stored.
func TestUserRulesInBothModes(t *testing.T) {
	d := gatewaytest.Demo(t, true)
	t.Setenv("AUTHGATE_ADMIN_KEY", d.File.AdminKey)
	dataDir := t.TempDir()
	modes := map[string][]string{"store": {"--data-dir", dataDir}, "admin API": {"--admin", d.File.AdminURL}}
	tests := []struct {
		name, user, password, want string
	}{
		{"colon in the name", "a:b", "a long enough password", "must not contain ':'"},
		{"empty name", "", "a long enough password", "a user name is required"},
		{"control character", "bob\x01", "a long enough password", "without control characters"},
		{"short password", "dave", "short", "at least 8 characters"},
	}
	for mode, flags := range modes {
		for _, tt := range tests {
			t.Run(mode+"/"+tt.name, func(t *testing.T) {
				_, err := run(t, tt.password+"\n", append([]string{"users", "add", tt.user}, flags...)...)
				if err == nil || !strings.Contains(err.Error(), "request_invalid") || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("users add %q: %v, want request_invalid: ...%s", tt.user, err, tt.want)
				}
			})
		}
		if list, err := run(t, "", append([]string{"users", "list"}, flags...)...); err != nil || strings.Contains(list, "a:b") || strings.Contains(list, "dave") {
			t.Fatalf("%s: something was stored: %v\n%s", mode, err, list)
		}
	}
}
