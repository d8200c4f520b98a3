package console_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/internal/app"
	"github.com/authgate/authgate/internal/gatewaytest"
)

// adminJWTConsole serves a console (built with opts) whose admin API also
// takes the JWTs of issuer ops (HS256), and returns a minter of such JWTs
// with scope, the given roles claim (nil: none) and exp.
func adminJWTConsole(t *testing.T, extra string, opts app.Options) (string, func(scope string, roles []string, exp time.Time) string) {
	secret := "console-roles-issuer-secret-0123456789abcdef"
	doc := fmt.Sprintf(`
data_dir: %s
admin: {listen: "127.0.0.1:0", issuers: [ops]}
issuers:
  - {name: ops, issuer: "https://ops.test", audiences: [authgate-admin], secret: "%s"}
routes:
  - {name: r, path: /x, schemes: [apikey, bearer], upstream: "http://127.0.0.1:9"}
%s`, t.TempDir(), secret, extra)
	a, _ := gatewaytest.NewAppWith(t, doc, opts)
	srv := httptest.NewServer(a.AdminHandler())
	t.Cleanup(srv.Close)
	return srv.URL, func(scope string, roles []string, exp time.Time) string {
		claims := map[string]any{"iss": "https://ops.test", "aud": "authgate-admin", "sub": "ops-alice", "scope": scope, "exp": exp.Unix()}
		if roles != nil {
			claims["roles"] = roles
		}
		tok, err := jwt.Sign("HS256", []byte(secret), nil, claims)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
}

// TestRoles: an admin JWT's roles claim makes its session a viewer or an
// admin (without the claim, its scope admin makes an admin, scope
// admin:read a viewer, which no claim raises); a claim with neither role
// is refused. A viewer sees no change form, and the server
// refuses every change it forges — with a valid CSRF token — with 403.
func TestRoles(t *testing.T) {
	base, mint := adminJWTConsole(t, "console: {roles: {claim: roles, admin: [ops-admin], viewer: [ops-viewer, auditor]}}\n", app.Options{})
	tests := []struct {
		name     string
		scope    string
		roles    []string
		status   int
		role     string
		canWrite bool
	}{
		{"no roles claim", "admin", nil, http.StatusSeeOther, "admin", true},
		{"admin value", "admin", []string{"ops-admin"}, http.StatusSeeOther, "admin", true},
		{"admin wins over viewer", "admin", []string{"auditor", "ops-admin"}, http.StatusSeeOther, "admin", true},
		{"viewer value", "admin", []string{"auditor"}, http.StatusSeeOther, "viewer", false},
		{"neither", "admin", []string{"developer"}, http.StatusForbidden, "", false},
		// Scope admin:read is read-only: a viewer, which a claim never raises.
		{"read-only scope", "admin:read", nil, http.StatusSeeOther, "viewer", false},
		{"read-only scope claiming admin", "admin:read", []string{"ops-admin"}, http.StatusSeeOther, "viewer", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOperator(t, base, nil)
			p := o.signIn(mint(tt.scope, tt.roles, time.Now().Add(time.Hour)))
			if p.status != tt.status {
				t.Fatalf("sign-in: %d, want %d\n%s", p.status, tt.status, p.body)
			}
			if tt.status != http.StatusSeeOther {
				if !strings.Contains(p.body, "No console role") {
					t.Errorf("the refusal does not say why")
				}
				return
			}
			checkRole(t, o, tt.role, tt.canWrite)
		})
	}
}

// checkRole checks the signed-in operator o's console as role: the role
// named on the page, a change form only for an admin, every forged change
// of a viewer (with a valid CSRF token) refused with 403, and every read
// page open.
func checkRole(t *testing.T, o *operator, role string, canWrite bool) {
	t.Helper()
	keys := o.get("/console/keys")
	if !strings.Contains(keys.body, `<span class="role">`+role+`</span>`) {
		t.Errorf("the page does not name the role %s", role)
	}
	if got := strings.Contains(keys.body, `action="/console/keys"`); got != canWrite {
		t.Errorf("create form shown: %v, want %v", got, canWrite)
	}
	forged := []struct{ method, path string }{
		{"POST", "/console/keys"}, {"POST", "/console/users"}, {"POST", "/console/keys/none/revoke"},
		{"POST", "/console/keys/none/rotate"}, {"POST", "/console/users/none/password"}, {"POST", "/console/users/none/remove"},
		{"GET", "/console/keys/none/revoke"}, {"GET", "/console/users/none/remove"},
	}
	for _, f := range forged {
		var got page
		if f.method == "POST" {
			got = o.post(f.path, url.Values{"name": {"forged-by-" + role}, "kind": {"api"}, "environment": {"live"}, "password": {"a-long-password-1"}, "grace": {"1h"}})
		} else {
			got = o.get(f.path)
		}
		if !canWrite && (got.status != http.StatusForbidden || !strings.Contains(got.body, "forbidden")) {
			t.Errorf("viewer %s %s: %d", f.method, f.path, got.status)
		}
		if canWrite && got.status == http.StatusForbidden {
			t.Errorf("admin %s %s: 403", f.method, f.path)
		}
	}
	if !canWrite {
		if p := o.get("/console/keys"); strings.Contains(p.body, "forged-by-viewer") {
			t.Error("a viewer's forged form created a key")
		}
		for _, path := range []string{"/console/", "/console/failures", "/console/audit", "/console/users", "/console/inspect"} {
			if p := o.get(path); p.status != 200 {
				t.Errorf("viewer GET %s: %d", path, p.status)
			}
		}
		if p := o.post("/console/inspect", url.Values{"credential": {"x.y.z"}}); p.status != 200 {
			t.Errorf("viewer inspect: %d", p.status)
		}
	}
}

// TestViewerKey: a key of kind viewer, created on the keys page, signs in
// as a viewer (the kind sets the role) with the read pages and no change;
// an admin key signs in as an admin.
func TestViewerKey(t *testing.T) {
	a, adminKey := appWithAdminKey(t)
	srv := httptest.NewServer(a.AdminHandler())
	t.Cleanup(srv.Close)
	admin := newOperator(t, srv.URL, nil)
	if p := admin.signIn(adminKey); p.status != http.StatusSeeOther {
		t.Fatalf("admin sign-in: %d", p.status)
	}
	checkRole(t, admin, "admin", true)
	viewerKey, _ := admin.createKey(url.Values{"name": {"auditor"}, "kind": {"viewer"}, "environment": {"live"}})
	viewer := newOperator(t, srv.URL, nil)
	if p := viewer.signIn(viewerKey); p.status != http.StatusSeeOther {
		t.Fatalf("viewer key sign-in: %d\n%s", p.status, p.body)
	}
	checkRole(t, viewer, "viewer", false)
}
