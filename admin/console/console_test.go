package console_test

import (
	"bufio"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/credential/apikey"
	"github.com/authgate/authgate/internal/app"
	"github.com/authgate/authgate/internal/demo"
	"github.com/authgate/authgate/internal/gatewaytest"
	"github.com/authgate/authgate/reason"
	"github.com/authgate/authgate/store"
)

// operator is a browser-like client of one console: a cookie jar, the
// page last loaded and its CSRF token; it sends Origin like a browser.
type operator struct {
	t      *testing.T
	base   string
	client *http.Client
	csrf   string
}

func newOperator(t *testing.T, base string, client *http.Client) *operator {
	jar, _ := cookiejar.New(nil)
	if client == nil {
		client = &http.Client{}
	}
	client.Jar = jar
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &operator{t: t, base: base, client: client}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// page is one answer: status, headers, body.
type page struct {
	status int
	header http.Header
	body   string
}

func (o *operator) do(method, path string, form url.Values, headers ...string) page {
	o.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, o.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", o.base)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := o.client.Do(req)
	if err != nil {
		o.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	p := page{resp.StatusCode, resp.Header, string(b)}
	if m := csrfField.FindStringSubmatch(p.body); m != nil {
		o.csrf = html.UnescapeString(m[1])
	}
	return p
}

func (o *operator) get(path string) page { o.t.Helper(); return o.do("GET", path, nil) }

// post sends form with the CSRF token of the page last loaded.
func (o *operator) post(path string, form url.Values) page {
	o.t.Helper()
	form.Set("csrf", o.csrf)
	return o.do("POST", path, form)
}

// signedIn starts the demo and signs an operator in with its admin key.
func signedIn(t *testing.T) (*demo.Demo, *operator) {
	d := gatewaytest.Demo(t, true)
	o := newOperator(t, d.File.AdminURL, nil)
	if p := o.signIn(d.File.AdminKey); p.status != http.StatusSeeOther {
		t.Fatalf("sign-in %d", p.status)
	}
	return d, o
}

var (
	newKeyField = regexp.MustCompile(`id="new-key" readonly value="([^"]+)"`)
	newKeyID    = regexp.MustCompile(`id="new-key-id">([^<]+)<`)
)

// createKey makes a key with the keys page's form: the secret and the id
// the page shows.
func (o *operator) createKey(form url.Values) (key, id string) {
	o.t.Helper()
	o.get("/console/keys")
	p := o.post("/console/keys", form)
	k, i := newKeyField.FindStringSubmatch(p.body), newKeyID.FindStringSubmatch(p.body)
	if p.status != http.StatusCreated || k == nil || i == nil {
		o.t.Fatalf("create a key: %d\n%s", p.status, p.body)
	}
	return html.UnescapeString(k[1]), i[1]
}

func (o *operator) signIn(key string) page {
	o.t.Helper()
	o.get("/console/sign-in")
	return o.post("/console/sign-in", url.Values{"key": {key}})
}

// TestSignIn: the admin key is exchanged for a session cookie that scripts
// cannot read and other sites cannot send; a wrong key is refused in the
// catalogue's words and rate limited like any failed admin request.
func TestSignIn(t *testing.T) {
	d := gatewaytest.Demo(t, true)
	o := newOperator(t, d.File.AdminURL, nil)

	p := o.get("/console/")
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/console/sign-in?next=") {
		t.Fatalf("signed out, the overview is %d → %q", p.status, p.header.Get("Location"))
	}
	p = o.signIn(d.File.AdminKey)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/" {
		t.Fatalf("sign-in %d → %q\n%s", p.status, p.header.Get("Location"), p.body)
	}
	cookies := sessionCookies(p.header)
	if len(cookies) != 1 {
		t.Fatalf("%d session cookies set: %v", len(cookies), p.header.Values("Set-Cookie"))
	}
	c := cookies[0]
	if c.Name != "authgate_console" || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure || len(c.Value) < 40 {
		t.Errorf("session cookie over plain HTTP: %+v", c)
	}
	if strings.Contains(p.header.Get("Set-Cookie"), d.File.AdminKey) {
		t.Error("the admin key is in a cookie")
	}
	if p = o.get("/console/"); p.status != 200 || !strings.Contains(p.body, "demo admin") || !strings.Contains(p.body, ">admin</span>") {
		t.Fatalf("signed in, the overview is %d", p.status)
	}

	// Sign-out ends the session on the server, not only in the browser.
	old := o.client.Jar.Cookies(mustURL(d.File.AdminURL))
	if p = o.post("/console/sign-out", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("sign-out %d", p.status)
	}
	replay := newOperator(t, d.File.AdminURL, nil)
	replay.client.Jar.SetCookies(mustURL(d.File.AdminURL), old)
	if p = replay.get("/console/keys"); p.status != http.StatusSeeOther {
		t.Errorf("the signed-out cookie still opens the keys: %d", p.status)
	}

	// A wrong key: 401 with its reason, the key never echoed; then 429.
	_, wrong, err := apikey.New(apikey.Spec{Name: "never stored", Kind: store.KindAdmin, Environment: "live"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p = o.signIn(wrong)
	if p.status != http.StatusUnauthorized || !strings.Contains(p.body, string(reason.CredentialUnknown)) || strings.Contains(p.body, wrong) {
		t.Fatalf("wrong key: %d\n%s", p.status, p.body)
	}
	if len(sessionCookies(p.header)) != 0 {
		t.Error("a refused sign-in set a session cookie")
	}
	limited := false
	for range 20 {
		if p = o.signIn(wrong); p.status == http.StatusTooManyRequests {
			limited = strings.Contains(p.body, string(reason.TooManyFailures))
			break
		}
	}
	if !limited {
		t.Errorf("20 more wrong keys never rate limited: last %d", p.status)
	}

	// The sign-in form itself needs its token: a forged form checks nothing.
	forged := newOperator(t, d.File.AdminURL, nil)
	if p = forged.do("POST", "/console/sign-in", url.Values{"key": {d.File.AdminKey}}); p.status != http.StatusForbidden || len(sessionCookies(p.header)) != 0 {
		t.Errorf("sign-in without the form's token: %d", p.status)
	}
	// next= never leaves the console.
	o2 := newOperator(t, d.File.AdminURL, nil)
	o2.get("/console/sign-in")
	if p = o2.post("/console/sign-in", url.Values{"key": {d.File.AdminKey}, "next": {"//evil.example/console/"}}); p.header.Get("Location") != "/console/" {
		t.Errorf("next=//evil.example redirected to %q", p.header.Get("Location"))
	}
}

// appWithAdminKey starts an app with one route and an admin key.
func appWithAdminKey(t *testing.T) (*app.App, string) {
	_, a := gatewaytest.StartApp(t, "routes:\n  - {name: r, path: /x, schemes: [apikey], upstream: \"http://127.0.0.1:1\"}\n")
	_, key, err := apikey.Create(context.Background(), a.Store(), apikey.Spec{Name: "ops", Kind: store.KindAdmin, Environment: "live"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	return a, key
}

// TestSecureCookie: under TLS the cookie is __Host- and Secure.
func TestSecureCookie(t *testing.T) {
	a, key := appWithAdminKey(t)
	srv := httptest.NewTLSServer(a.AdminHandler())
	t.Cleanup(srv.Close)
	o := newOperator(t, srv.URL, srv.Client())
	p := o.signIn(key)
	cookies := sessionCookies(p.header)
	if p.status != http.StatusSeeOther || len(cookies) != 1 {
		t.Fatalf("sign-in under TLS %d, %d cookies", p.status, len(cookies))
	}
	if c := cookies[0]; c.Name != "__Host-authgate_console" || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Domain != "" {
		t.Errorf("session cookie under TLS: %+v", c)
	}
	if p = o.get("/console/"); p.status != 200 {
		t.Errorf("overview under TLS %d", p.status)
	}
}

func sessionCookies(h http.Header) []*http.Cookie {
	var out []*http.Cookie
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if strings.HasSuffix(c.Name, "authgate_console") && c.MaxAge >= 0 {
			out = append(out, c)
		}
	}
	return out
}

func mustURL(s string) *url.URL {
	u, _ := url.Parse(s)
	return u
}

// TestHeaders: every console answer — signed in or not, page, asset or
// error — carries each protective header exactly once.
func TestHeaders(t *testing.T) {
	d := gatewaytest.Demo(t, true)
	o := newOperator(t, d.File.AdminURL, nil)
	check := func(path string, p page) {
		t.Helper()
		for name, want := range map[string]string{
			"Content-Security-Policy": "default-src 'none'; script-src 'self'",
			"X-Frame-Options":         "DENY",
			"Cache-Control":           "no-store",
			"X-Content-Type-Options":  "nosniff",
		} {
			if vs := p.header.Values(name); len(vs) != 1 || !strings.HasPrefix(vs[0], want) {
				t.Errorf("%s: %s = %q", path, name, vs)
			}
		}
		if csp := p.header.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
	}
	for _, path := range []string{"/console/sign-in", "/console/", "/console/static/console.js", "/console/nothing-here"} {
		check(path, o.get(path))
	}
	o.signIn(d.File.AdminKey)
	for _, path := range []string{"/console/", "/console/failures", "/console/keys", "/console/users", "/console/audit", "/console/inspect", "/console/nothing-here"} {
		p := o.get(path)
		check(path, p)
		if path != "/console/nothing-here" && p.status != 200 {
			t.Errorf("%s: %d", path, p.status)
		}
		if strings.Contains(p.body, "<script>") || strings.Contains(p.body, " on") && regexp.MustCompile(`\son[a-z]+=`).MatchString(p.body) {
			t.Errorf("%s has inline script", path)
		}
	}
}

// TestCSRF: a state-changing request without the session's CSRF token, or
// from another origin, is refused with 403 and changes nothing.
func TestCSRF(t *testing.T) {
	_, o := signedIn(t)
	o.get("/console/keys")
	keys := func() int {
		p := o.get("/console/keys")
		return strings.Count(p.body, `class="key-row"`)
	}
	before := keys()
	form := url.Values{"name": {"csrf-less"}, "kind": {"api"}, "environment": {"live"}}
	cases := []struct {
		name    string
		csrf    string
		headers []string
	}{
		{"no token", "", nil},
		{"wrong token", otherFirst(o.csrf), nil},
		{"right token, another origin", o.csrf, []string{"Origin", "https://evil.example"}},
		{"right token, cross-site fetch", o.csrf, []string{"Origin", "", "Sec-Fetch-Site", "cross-site"}},
		{"right token, opaque origin from another site", o.csrf, []string{"Origin", "null", "Sec-Fetch-Site", "cross-site"}},
		{"right token, opaque origin without fetch metadata", o.csrf, []string{"Origin", "null"}},
	}
	for _, c := range cases {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		if c.csrf != "" {
			f.Set("csrf", c.csrf)
		}
		if p := o.do("POST", "/console/keys", f, c.headers...); p.status != http.StatusForbidden {
			t.Errorf("%s: %d", c.name, p.status)
		}
	}
	// A form too large, or not a form: its own reason, nothing changed.
	big := url.Values{"name": {"big"}, "kind": {"api"}, "environment": {"live"}, "pad": {strings.Repeat("a", 100<<10)}}
	if p := o.post("/console/keys", big); p.status != http.StatusRequestEntityTooLarge || !strings.Contains(p.body, "request_body_too_large") {
		t.Errorf("a 100 KiB form: %d", p.status)
	}
	req, _ := http.NewRequest("POST", o.base+"/console/keys", strings.NewReader("csrf="+url.QueryEscape(o.csrf)+"&name=%zz"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", o.base)
	if resp, err := o.client.Do(req); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unreadable form: %d", resp.StatusCode)
	}
	fresh := newOperator(t, o.base, nil)
	fresh.get("/console/sign-in")
	if p := fresh.post("/console/sign-in", url.Values{"key": {strings.Repeat("k", 100<<10)}}); p.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 100 KiB sign-in form: %d", p.status)
	}
	if after := keys(); after != before {
		t.Fatalf("refused forms changed the keys: %d → %d", before, after)
	}
	if p := o.post("/console/keys", form); p.status != http.StatusCreated {
		t.Fatalf("the page's own form: %d", p.status)
	}
	if after := keys(); after != before+1 {
		t.Errorf("the page's own form made %d keys", after-before)
	}
}

// TestKeysInThePage: a key made in the console works once copied, its
// name is shown as text, revoking it refuses its next request with
// credential_revoked, and the change is in the audit trail.
func TestKeysInThePage(t *testing.T) {
	d, o := signedIn(t)
	name := `<script>alert("x")</script>`
	key, id := o.createKey(url.Values{"name": {name}, "kind": {"api"}, "environment": {"live"}, "scopes": {"read"}, "expires": {"30d"}})
	call := func() (int, string) {
		req, _ := http.NewRequest("GET", d.File.URL+"/v1/data", nil)
		req.Header.Set("X-API-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Authgate-Reason")
	}
	if status, _ := call(); status != 200 {
		t.Fatalf("the new key: %d", status)
	}
	list := o.get("/console/keys")
	if strings.Contains(list.body, name) || !strings.Contains(list.body, html.EscapeString(name)) {
		t.Errorf("the key's name is not escaped in the list")
	}
	if strings.Contains(list.body, key) {
		t.Error("the list shows the secret")
	}
	if p := o.get("/console/keys/" + id + "/revoke"); p.status != 200 || strings.Contains(p.body, name) {
		t.Fatalf("confirm page %d", p.status)
	}
	if p := o.post("/console/keys/"+id+"/revoke", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("revoke %d\n%s", p.status, p.body)
	}
	status, _ := call()
	if status != 401 {
		t.Fatalf("revoked key: %d", status)
	}
	failures := o.get("/console/failures?reason=credential_revoked")
	if !strings.Contains(failures.body, "<code>credential_revoked</code>") {
		t.Error("the failures page does not list the revoked key's refusal")
	}
	audit := o.get("/console/audit")
	if !strings.Contains(audit.body, id) || !strings.Contains(audit.body, "(console)") {
		t.Errorf("the audit trail lacks the console's changes")
	}
}

// TestRevokedAdminKeyEndsSession: a session lasts only as long as the
// admin key it was opened with.
func TestRevokedAdminKeyEndsSession(t *testing.T) {
	d, o := signedIn(t)
	key, id := o.createKey(url.Values{"name": {"second operator"}, "kind": {"admin"}, "environment": {"live"}})
	second := newOperator(t, d.File.AdminURL, nil)
	if p := second.signIn(key); p.status != http.StatusSeeOther {
		t.Fatalf("second operator's sign-in %d", p.status)
	}
	if p := second.get("/console/keys"); p.status != 200 {
		t.Fatalf("second operator's keys page %d", p.status)
	}
	// Revoked through the admin API, not the console: the session still ends.
	req, _ := http.NewRequest("POST", d.File.AdminURL+"/admin/v1/keys/"+id+"/revoke", nil)
	req.Header.Set("X-API-Key", d.File.AdminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("revoke through the API: %d", resp.StatusCode)
	}
	if p := second.get("/console/keys"); p.status != http.StatusSeeOther {
		t.Errorf("the revoked admin key's session still opens the keys: %d", p.status)
	}
	if p := o.get("/console/keys"); p.status != 200 {
		t.Errorf("the first operator was signed out too: %d", p.status)
	}
}

// TestFailureLookup: a Request-Id from a client's error opens that
// request's whole decision.
func TestFailureLookup(t *testing.T) {
	d := gatewaytest.Demo(t, true)
	req, _ := http.NewRequest("GET", d.File.URL+"/v1/data", nil)
	req.Header.Set("Authorization", "Bearer "+d.File.Tokens["expired"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	rid := resp.Header.Get(api.RequestIDHeader)
	challenges := len(resp.Header.Values("WWW-Authenticate"))
	if resp.StatusCode != 401 || rid == "" || challenges == 0 {
		t.Fatalf("expired token: %d, id %q", resp.StatusCode, rid)
	}
	o := newOperator(t, d.File.AdminURL, nil)
	o.signIn(d.File.AdminKey)
	p := o.get("/console/failures?request_id=" + url.QueryEscape(rid))
	if p.status != http.StatusSeeOther {
		t.Fatalf("lookup %d", p.status)
	}
	p = o.get(p.header.Get("Location"))
	if p.status != 200 || !strings.Contains(p.body, `<code id="decision-id">`+rid+`</code>`) || !strings.Contains(p.body, "<code>token_expired</code>") {
		t.Fatalf("decision page %d\n%s", p.status, p.body)
	}
	if n := strings.Count(p.body, `<ul class="challenges"><li>`) + strings.Count(p.body, "</li><li><code>"); n == 0 {
		t.Error("the decision shows no challenge")
	}
	if !strings.Contains(p.body, `<h3>WWW-Authenticate (`+strconv.Itoa(challenges)+`)</h3>`) {
		t.Errorf("the decision does not show the %d challenges the client got", challenges)
	}
	if !strings.Contains(p.body, `class="checks"`) || !strings.Contains(p.body, `<pre class="json">`) {
		t.Error("the decision lacks its checks or its body")
	}
	if strings.Contains(p.body, d.File.Tokens["expired"]) {
		t.Error("the decision shows the token")
	}
	if p = o.get("/console/failures/not-a-request"); p.status != 404 {
		t.Errorf("unknown id: %d", p.status)
	}
}

// TestLiveFeed: the event stream sends a refusal as it happens, and only
// to a signed-in operator.
func TestLiveFeed(t *testing.T) {
	d := gatewaytest.Demo(t, true)
	anon := newOperator(t, d.File.AdminURL, nil)
	if p := anon.do("GET", "/console/failures/stream", nil, "Accept", "text/event-stream"); p.status != http.StatusUnauthorized {
		t.Fatalf("signed-out stream: %d", p.status)
	}
	o := newOperator(t, d.File.AdminURL, nil)
	o.signIn(d.File.AdminKey)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", d.File.AdminURL+"/console/failures/stream?reason=token_expired", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := o.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, tok := range []string{"bad_signature", "expired"} {
		r, _ := http.NewRequest("GET", d.File.URL+"/v1/data", nil)
		r.Header.Set("Authorization", "Bearer "+d.File.Tokens[tok])
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	sc := bufio.NewScanner(resp.Body)
	var event string
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "event: ") {
			event = line
		}
		if strings.HasPrefix(line, "data: ") {
			if event != "event: failure" || !strings.Contains(line, `"reason":"token_expired"`) {
				t.Fatalf("first event %q %s (the filter passes token_expired only)", event, line)
			}
			return
		}
	}
	t.Fatalf("no event: %v", sc.Err())
}

// TestOverviewMatchesMetrics: the overview's totals are /metrics'
// authgate_requests_total by outcome.
func TestOverviewMatchesMetrics(t *testing.T) {
	d := gatewaytest.Demo(t, true)
	for _, tok := range []string{"valid", "expired", "valid", "bad_signature", ""} {
		r, _ := http.NewRequest("GET", d.File.URL+"/v1/data", nil)
		if tok != "" {
			r.Header.Set("Authorization", "Bearer "+d.File.Tokens[tok])
		}
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	o := newOperator(t, d.File.AdminURL, nil)
	o.signIn(d.File.AdminKey)
	total := regexp.MustCompile(`id="total-(allowed|denied|fault)">(\d+)<`)
	metric := regexp.MustCompile(`(?m)^authgate_requests_total\{[^}]*outcome="(allowed|denied|fault)"[^}]*\} (\d+)$`)
	sum := func(re *regexp.Regexp, text string) map[string]int {
		out := map[string]int{"allowed": 0, "denied": 0, "fault": 0}
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			n, _ := strconv.Atoi(m[2])
			out[m[1]] += n
		}
		return out
	}
	metrics := func() map[string]int { return sum(metric, o.get("/metrics").body) }
	// Background key fetches pass the gateway too: compare a page read
	// between two equal scrapes.
	for range 20 {
		before := metrics()
		body := o.get("/console/").body
		page := sum(total, body)
		if after := metrics(); after["allowed"] != before["allowed"] || after["denied"] != before["denied"] {
			continue
		}
		if page["allowed"] != before["allowed"] || page["denied"] != before["denied"] || page["fault"] != before["fault"] {
			t.Fatalf("overview %v, /metrics %v", page, before)
		}
		if !strings.Contains(body, "(token_expired 1") && !strings.Contains(body, ", token_expired 1") {
			t.Error("no minute of the chart names its refusals by reason")
		}
		if before["denied"] < 3 || before["allowed"] < 2 {
			t.Fatalf("counted %v for 2 allowed and 3 denied", before)
		}
		return
	}
	t.Fatal("the counts never held still")
}

// TestInspector: a pasted token is judged for a chosen route without a
// trace of it anywhere but the answer itself.
func TestInspector(t *testing.T) {
	d, o := signedIn(t)
	o.get("/console/inspect")
	for tok, want := range map[string]string{"valid": "", "expired": "token_expired", "insufficient_scope": "insufficient_scope"} {
		method := "GET"
		if tok == "insufficient_scope" {
			method = "POST"
		}
		p := o.post("/console/inspect", url.Values{"credential": {d.File.Tokens[tok]}, "kind": {"token"}, "method": {method}, "path": {"/v1/data"}})
		if p.status != 200 || !strings.Contains(p.body, `<h3>Claims</h3>`) || !strings.Contains(p.body, "<code>exp</code>") {
			t.Fatalf("%s: %d", tok, p.status)
		}
		got := regexp.MustCompile(`id="verdict-reason">([a-z_]+)<`).FindStringSubmatch(p.body)
		if want == "" && (got != nil || !strings.Contains(p.body, "verdict: HTTP 200")) || want != "" && (got == nil || got[1] != want) {
			t.Errorf("%s: verdict %v, want %q", tok, got, want)
		}
	}
	// A dry run: nothing reached the failure feed.
	if p := o.get("/console/failures"); strings.Contains(p.body, "<code>token_expired</code>") {
		t.Error("the inspector's verdict was recorded as a failure")
	}
}

// TestUsersAndRotation: Basic users are added, given a new password and
// removed in the page, and a rotated key leaves the old one valid for its
// grace period only; each change is in the audit trail.
func TestUsersAndRotation(t *testing.T) {
	d, o := signedIn(t)
	basicCall := func(user, password string) int {
		req, _ := http.NewRequest("GET", d.File.URL+"/v1/data", nil)
		req.SetBasicAuth(user, password)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	o.get("/console/users")
	if p := o.post("/console/users", url.Values{"name": {"carol"}, "password": {"first-password-123"}, "scopes": {"read"}}); p.status != http.StatusSeeOther {
		t.Fatalf("add user: %d\n%s", p.status, p.body)
	}
	if status := basicCall("carol", "first-password-123"); status != 200 {
		t.Fatalf("the new user: %d", status)
	}
	// A bad name is refused in the catalogue's words, nothing stored.
	if p := o.post("/console/users", url.Values{"name": {"a:b"}, "password": {"whatever-password"}}); p.status != http.StatusBadRequest || !strings.Contains(p.body, "request_invalid") {
		t.Errorf("user a:b: %d", p.status)
	}
	o.get("/console/users")
	if p := o.post("/console/users/carol/password", url.Values{"password": {"second-password-456"}}); p.status != http.StatusSeeOther {
		t.Fatalf("set password: %d", p.status)
	}
	if a, b := basicCall("carol", "first-password-123"), basicCall("carol", "second-password-456"); a != 401 || b != 200 {
		t.Errorf("after the change: old password %d, new %d", a, b)
	}
	if p := o.get("/console/users/carol/remove"); p.status != 200 {
		t.Fatalf("confirm removal: %d", p.status)
	}
	if p := o.post("/console/users/carol/remove", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("remove: %d", p.status)
	}
	if status := basicCall("carol", "second-password-456"); status != 401 {
		t.Errorf("the removed user: %d", status)
	}

	old, id := o.createKey(url.Values{"name": {"rotating"}, "kind": {"api"}, "environment": {"live"}, "scopes": {"read"}})
	o.get("/console/keys")
	p := o.post("/console/keys/"+id+"/rotate", url.Values{"grace": {"0s"}})
	next := newKeyField.FindStringSubmatch(p.body)
	if p.status != http.StatusCreated || next == nil || !strings.Contains(p.body, "replaces <code>"+id+"</code>") {
		t.Fatalf("rotate: %d\n%s", p.status, p.body)
	}
	status, _, why := gatewayCall(t, d.File.URL+"/v1/data", "X-API-Key", old)
	// Rotation ends the old key's life at now + grace: it has expired.
	if status != 401 || why != string(reason.CredentialExpired) {
		t.Errorf("the rotated-out key with no grace: %d %s", status, why)
	}
	if status, _, _ := gatewayCall(t, d.File.URL+"/v1/data", "X-API-Key", html.UnescapeString(next[1])); status != 200 {
		t.Errorf("the replacement key: %d", status)
	}
	o.get("/console/keys")
	if p := o.post("/console/keys/"+id+"/rotate", url.Values{"grace": {"soon"}}); p.status != http.StatusBadRequest {
		t.Errorf("grace=soon: %d", p.status)
	}
	audit := o.get("/console/audit").body
	for _, want := range []string{"carol", id} {
		if !strings.Contains(audit, want) {
			t.Errorf("the audit trail does not name %s", want)
		}
	}
}

// TestSignInWithAdminJWT: a JWT of an issuer named in admin.issuers with
// scope admin opens the console until its exp; without the scope it is
// refused with the admin API's reason.
func TestSignInWithAdminJWT(t *testing.T) {
	// One clock judges the JWT and the session; the test moves it.
	var mu sync.Mutex
	now := time.Now().Truncate(time.Second)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(to time.Time) { mu.Lock(); defer mu.Unlock(); now = to }
	base, mintJWT := adminJWTConsole(t, "", app.Options{Now: clock})
	mint := func(scope string, exp time.Time) string { return mintJWT(scope, nil, exp) }
	if p := newOperator(t, base, nil).signIn(mint("read", now.Add(time.Hour))); p.status != http.StatusForbidden || !strings.Contains(p.body, "insufficient_scope") {
		t.Errorf("a JWT without scope admin: %d", p.status)
	}
	o := newOperator(t, base, nil)
	exp := now.Add(10 * time.Minute) // sooner than the console's idle and absolute bounds
	if p := o.signIn(mint("admin", exp)); p.status != http.StatusSeeOther {
		t.Fatalf("an admin JWT: %d\n%s", p.status, p.body)
	}
	if p := o.get("/console/"); p.status != 200 || !strings.Contains(p.body, "ops-alice") {
		t.Fatalf("signed in with a JWT: %d", p.status)
	}
	advance(exp.Add(-time.Second))
	if p := o.get("/console/"); p.status != 200 {
		t.Fatalf("a second before the JWT's exp the session has ended: %d", p.status)
	}
	advance(exp)
	if p := o.get("/console/"); p.status != http.StatusSeeOther {
		t.Errorf("the session outlived the JWT's exp: %d", p.status)
	}
}

// TestFailureFilters: the failures page lists what its filters pass —
// by reason, route, fingerprint, Request-Id and time — and refuses a
// filter it cannot read in the catalogue's words.
func TestFailureFilters(t *testing.T) {
	d, o := signedIn(t)
	ids := map[string]string{}
	for _, tok := range []string{"expired", "bad_signature"} {
		_, h, _ := gatewayCall(t, d.File.URL+"/v1/data", "Authorization", "Bearer "+d.File.Tokens[tok])
		ids[tok] = h.Get(api.RequestIDHeader)
	}
	req, _ := http.NewRequest("GET", d.File.AdminURL+"/admin/v1/failures?request_id="+ids["expired"], nil)
	req.Header.Set("X-API-Key", d.File.AdminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list []api.Failure
	json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list) != 1 || list[0].Fingerprint == "" {
		t.Fatalf("the expired token's failure: %+v", list)
	}
	expired, forged := "<code>token_expired</code>", "<code>token_signature_invalid</code>"
	tests := []struct {
		query     string
		has, lack []string
	}{
		{"", []string{expired, forged}, nil},
		{"reason=token_expired", []string{expired}, []string{forged}},
		{"route=data-read", []string{expired, forged}, nil},
		{"route=nowhere", nil, []string{expired, forged}},
		{"fingerprint=" + list[0].Fingerprint, []string{expired}, []string{forged}},
		{"request_id=" + ids["bad_signature"] + "&since=5", []string{forged}, []string{expired}},
		{"since=5", []string{expired, forged}, nil},
	}
	for _, tc := range tests {
		p := o.get("/console/failures?" + tc.query)
		if p.status != 200 {
			t.Errorf("%s: %d", tc.query, p.status)
			continue
		}
		for _, want := range tc.has {
			if !strings.Contains(p.body, want) {
				t.Errorf("%s: %s not listed", tc.query, want)
			}
		}
		for _, unwanted := range tc.lack {
			if strings.Contains(p.body, unwanted) {
				t.Errorf("%s: %s listed", tc.query, unwanted)
			}
		}
	}
	if p := o.get("/console/failures?reason=x&since=yesterday"); p.status != http.StatusBadRequest || !strings.Contains(p.body, "request_invalid") {
		t.Errorf("an unreadable filter: %d", p.status)
	}
}

// otherFirst is s with its first byte changed (always to another one).
func otherFirst(s string) string {
	if s[0] == 'x' {
		return "y" + s[1:]
	}
	return "x" + s[1:]
}
