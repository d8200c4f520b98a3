package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authgate/authgate/internal/browsertest"
	"github.com/authgate/authgate/internal/gatewaytest"
)

// oidcUser is who the test's login app signs in, and the roles claim its
// consent puts in the ID token.
type oidcUser struct {
	subject, email string
	roles          []string
}

// loginApp is Hydra's login and consent app for the tests: it accepts
// every login as the user set last, and every consent with that user's
// roles in the ID token.
type loginApp struct {
	t     *testing.T
	admin string
	mu    sync.Mutex
	user  oidcUser
}

func (l *loginApp) set(u oidcUser) { l.mu.Lock(); l.user = u; l.mu.Unlock() }

// accept PUTs body to Hydra's admin endpoint and redirects w where Hydra
// says.
func (l *loginApp) accept(w http.ResponseWriter, r *http.Request, path string, body any) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPut, l.admin+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	var out struct {
		RedirectTo string `json:"redirect_to"`
	}
	if json.NewDecoder(resp.Body).Decode(&out) != nil || out.RedirectTo == "" {
		http.Error(w, fmt.Sprintf("Hydra answered %d", resp.StatusCode), http.StatusBadGateway)
		return
	}
	http.Redirect(w, r, out.RedirectTo, http.StatusFound)
}

func (l *loginApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	u := l.user
	l.mu.Unlock()
	switch r.URL.Path {
	case "/login":
		l.accept(w, r, "/admin/oauth2/auth/requests/login/accept?login_challenge="+url.QueryEscape(r.URL.Query().Get("login_challenge")),
			map[string]any{"subject": u.subject})
	case "/consent":
		challenge := r.URL.Query().Get("consent_challenge")
		resp, err := http.Get(l.admin + "/admin/oauth2/auth/requests/consent?consent_challenge=" + url.QueryEscape(challenge))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		var req struct {
			Scopes []string `json:"requested_scope"`
		}
		json.NewDecoder(resp.Body).Decode(&req)
		resp.Body.Close()
		idToken := map[string]any{"email": u.email}
		if u.roles != nil {
			idToken["console_roles"] = u.roles
		}
		l.accept(w, r, "/admin/oauth2/auth/requests/consent/accept?consent_challenge="+url.QueryEscape(challenge),
			map[string]any{"grant_scope": req.Scopes, "session": map[string]any{"id_token": idToken}})
	default:
		http.NotFound(w, r)
	}
}

// oidcConsole starts Hydra with a login app and authgate whose console
// signs in with it (roles from the console_roles claim); it returns the
// admin listener's URL and the login app.
func oidcConsole(t *testing.T) (string, *loginApp) {
	app := &loginApp{t: t}
	loginURL := "http://" + gatewaytest.Serve(t, app)
	h := startHydra(t, "URLS_LOGIN="+loginURL+"/login", "URLS_CONSENT="+loginURL+"/consent")
	app.admin = h.admin
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	adminURL := "http://" + ln.Addr().String()
	callback := adminURL + "/console/oidc/callback"
	secret := "console-client-secret-0123456789"
	body, _ := json.Marshal(map[string]any{"client_secret": secret, "grant_types": []string{"authorization_code"}, "response_types": []string{"code"},
		"scope": "openid email", "redirect_uris": []string{callback}, "token_endpoint_auth_method": "client_secret_basic"})
	resp, err := http.Post(h.admin+"/admin/clients", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		ClientID string `json:"client_id"`
	}
	json.NewDecoder(resp.Body).Decode(&c)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || c.ClientID == "" {
		t.Fatalf("registering the console at Hydra: %d", resp.StatusCode)
	}
	a, _ := gatewaytest.NewApp(t, fmt.Sprintf(`
data_dir: %s
admin: {listen: "%s"}
routes:
  - {name: r, path: /x, schemes: [apikey], upstream: "http://127.0.0.1:9"}
console:
  roles: {claim: console_roles, admin: [authgate-admin], viewer: [authgate-viewer]}
  oidc:
    name: Hydra
    issuer: %s
    client_id: %s
    client_secret: %s
    redirect_url: %s
    scopes: [email]
`, t.TempDir(), ln.Addr(), h.public, c.ClientID, secret, callback))
	srv := &http.Server{Handler: a.AdminHandler()}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return adminURL, app
}

// TestConsoleOIDC signs in to the console with Hydra in Chromium
// (authorization code + PKCE, state, nonce): an admin and a viewer get
// their roles; the viewer sees no create or revoke button and its forged
// form is refused with 403; a user with neither role is refused. A
// callback whose state was not started by this browser, and an ID token
// whose nonce is not the one sent, end in no session.
func TestConsoleOIDC(t *testing.T) {
	// Hydra first (built at the first use: minutes on a loaded machine),
	// then the browser, whose patience starts when it does.
	admin, login := oidcConsole(t)
	ctx := browsertest.Chromium(t, "the console's OIDC sign-in test", chromedp.WindowSize(1280, 860))
	shots := os.Getenv("AUTHGATE_SCREENSHOTS")
	if shots == "" {
		shots = filepath.Join(os.TempDir(), "authgate-console-screenshots")
	}
	os.MkdirAll(shots, 0o755)
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 2*time.Minute) // a hung step, not a slow one
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
			where, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("%s: %v\nat %s:\n%s", what, err, where, body)
		}
	}
	text := func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}
	signIn := func(u oidcUser) {
		t.Helper()
		login.set(u)
		run("sign in as "+u.subject, chromedp.Navigate(admin+"/console/sign-in"), chromedp.WaitVisible(chromedp.CSS("#oidc-sign-in")),
			chromedp.Click(chromedp.CSS("#oidc-sign-in")),
			chromedp.WaitVisible(chromedp.CSS(".who, main .problem")))
		if u.roles[0] != "developer" && text(`String(document.querySelector(".who") !== null)`) != "true" {
			t.Fatalf("signing in as %s ends at %s:\n%s", u.subject, text(`location.href`), text(`document.body.innerText`))
		}
	}
	signOut := func() {
		run("sign out", chromedp.Click(chromedp.CSS(".signout button")), chromedp.WaitVisible(chromedp.CSS("#oidc-sign-in")))
	}

	signIn(oidcUser{"alice", "alice@example.com", []string{"authgate-admin"}})
	if got := text(`document.querySelector(".who").textContent`); got != "alice@example.com · admin" {
		t.Fatalf("signed in with Hydra as %q", got)
	}
	run("keys as admin", chromedp.Navigate(admin+"/console/keys"), chromedp.WaitVisible(chromedp.CSS("#k-name")))
	signOut()

	signIn(oidcUser{"victor", "victor@example.com", []string{"authgate-viewer"}})
	if got := text(`document.querySelector(".who").textContent`); got != "victor@example.com · viewer" {
		t.Fatalf("the viewer is signed in as %q", got)
	}
	run("keys as viewer", chromedp.Navigate(admin+"/console/keys"), chromedp.WaitVisible(chromedp.CSS("#viewer-note")))
	if got := text(`String(document.querySelectorAll("#k-name, a.button.danger, details form").length)`); got != "0" {
		t.Errorf("the viewer sees %s create, revoke or rotate controls", got)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		os.WriteFile(filepath.Join(shots, "keys-viewer.png"), png, 0o644)
	}
	forged := `fetch("/console/keys", {method: "POST", body: new URLSearchParams({csrf: document.querySelector("input[name=csrf]").value, name: "forged", kind: "admin", environment: "live"})}).then(r => String(r.status))`
	if got := text(forged); got != "403" {
		t.Errorf("the viewer's forged form with a valid CSRF token: %s", got)
	}
	if got := text(`fetch("/console/keys/anything/revoke", {method: "POST", body: new URLSearchParams({csrf: document.querySelector("input[name=csrf]").value})}).then(r => String(r.status))`); got != "403" {
		t.Errorf("the viewer's forged revoke: %s", got)
	}
	signOut()

	signIn(oidcUser{"nobody", "nobody@example.com", []string{"developer"}})
	if got := text(`document.querySelector("main").innerText`); !strings.Contains(got, "No console role") {
		t.Errorf("a user with no console role: %s", got)
	}
	png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		os.WriteFile(filepath.Join(shots, "sign-in-no-role.png"), png, 0o644)
	}

	// A callback this browser did not start: refused, no session.
	run("forged callback", chromedp.Navigate(admin+"/console/oidc/callback?state=forged&code=forged"), chromedp.WaitVisible(chromedp.CSS(".problem")))
	if got := text(`document.querySelector(".problem").innerText`); !strings.Contains(got, "Sign-in not recognised") {
		t.Errorf("a forged state: %s", got)
	}
	run("still signed out", chromedp.Navigate(admin+"/console/keys"), chromedp.WaitVisible(chromedp.CSS("#oidc-sign-in")))

	// Outside the browser: the authorization request's state or nonce
	// changed on its way — Hydra sends back the changed state, or signs
	// the changed nonce into the ID token — and the console refuses both.
	login.set(oidcUser{"alice", "alice@example.com", []string{"authgate-admin"}})
	for _, tt := range []struct{ param, want string }{{"state", "Sign-in not recognised"}, {"nonce", "nonce is not the one this sign-in sent"}} {
		t.Run("changed "+tt.param, func(t *testing.T) {
			jar, _ := cookiejar.New(nil)
			client := &http.Client{Jar: jar}
			noFollow := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := noFollow.Get(admin + "/console/oidc/start")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			auth, err := url.Parse(resp.Header.Get("Location"))
			if err != nil || resp.StatusCode != http.StatusSeeOther || auth.Query().Get("code_challenge_method") != "S256" || auth.Query().Get("nonce") == "" {
				t.Fatalf("start: %d %s", resp.StatusCode, auth)
			}
			q := auth.Query()
			q.Set(tt.param, q.Get(tt.param)+"x")
			auth.RawQuery = q.Encode()
			resp, err = client.Get(auth.String())
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || !strings.Contains(string(body), tt.want) || resp.Request.URL.Path != "/console/oidc/callback" {
				t.Errorf("%d at %s:\n%s", resp.StatusCode, resp.Request.URL.Path, body)
			}
			for _, c := range jar.Cookies(resp.Request.URL) {
				if c.Name == "authgate_console" {
					t.Error("a session cookie was set")
				}
			}
		})
	}
}
