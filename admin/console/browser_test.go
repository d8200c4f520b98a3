package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/internal/browsertest"
	"github.com/authgate/authgate/internal/gatewaytest"
	"github.com/authgate/authgate/reason"
)

// browser starts headless Chromium (from Debian: apt-get install
// chromium) with a fresh profile; it skips without one outside CI and
// fails under CI.
func browser(t *testing.T) context.Context {
	return browsertest.Chromium(t, "the console's browser tests", chromedp.WindowSize(1280, 860))
}

// screenshots is where the browser test saves a picture of each page:
// $AUTHGATE_SCREENSHOTS (docs/console to refresh the documentation's) or
// a folder under the system's temporary one.
func screenshots(t *testing.T) string {
	dir := os.Getenv("AUTHGATE_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "authgate-console-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// TestBrowser drives the console in Chromium against the running demo:
// sign in, make a key and copy it from the page, use it, revoke it, see the
// refusal arrive in the live feed, look it up by its Request-Id, and check
// that forged forms and injected scripts get nowhere.
func TestBrowser(t *testing.T) {
	ctx := browser(t)
	d := gatewaytest.Demo(t, true)
	shots := screenshots(t)
	admin := d.File.AdminURL
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			var where, body string
			lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			where, _ = chromedp.Run(lctx, chromedp.Location())
			body, _ = chromedp.Run(lctx, chromedp.Evaluate[string](`document.body.innerText`))
			t.Fatalf("%s: %v\nthe page at %s reads:\n%s", what, err, where, body)
		}
	}
	shoot := func(name string) {
		t.Helper()
		shootPage(t, ctx, shots, name)
	}
	eval := func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(v)
	}
	// Traffic for the overview: two allowed, two refused, in the minutes
	// from refusalsFrom to refusalsTo (one, or two when a minute ends
	// between them).
	refusalsFrom := time.Now().Truncate(time.Minute)
	for _, tok := range []string{"valid", "valid", "expired", "bad_signature"} {
		gatewayCall(t, d.File.URL+"/v1/data", "Authorization", "Bearer "+d.File.Tokens[tok])
	}
	refusalsTo := time.Now().Truncate(time.Minute)

	step("sign-in page", chromedp.Navigate(admin+"/console/"), chromedp.WaitVisible(chromedp.CSS("#key")))
	shoot("sign-in")
	step("sign in", chromedp.SendKeys(chromedp.CSS("#key"), d.File.AdminKey), chromedp.Submit(chromedp.CSS("#key")),
		chromedp.WaitVisible(chromedp.CSS("#total-allowed")))
	// The keyboard: the first Tab reaches the skip link, Enter follows it.
	step("keyboard", chromedp.KeyEvent(kb.Tab))
	if got := eval(`document.activeElement.className + " " + document.activeElement.getAttribute("href")`); got != "skip #main" {
		t.Errorf("the first Tab focuses %q, not the skip link", got)
	}
	if got := text("#total-denied"); got == "0" {
		t.Errorf("the overview counts %s denied after two refusals", got)
	}
	// The time axis reads local time (HH:MM) once the script ran, the y
	// scale starts at 0; a click on the last bar lists its failures.
	if got := eval(`[...document.querySelectorAll(".chart .x-label")].map(e => e.textContent).join(" ")`); !regexp.MustCompile(`^(\d\d:\d\d ?){6,7}$`).MatchString(got) {
		t.Errorf("the chart's time axis reads %q", got)
	}
	if got := eval(`[...document.querySelectorAll(".chart .y-label")].map(e => e.textContent).join(" ")`); !strings.HasPrefix(got, "0 ") {
		t.Errorf("the chart's y scale reads %q", got)
	}
	shoot("overview")
	step("15-minute window", chromedp.Click(chromedp.CSS(`.windows a[href$="15m"]`)), chromedp.WaitVisible(chromedp.CSS(`.windows a[aria-current][href$="15m"]`)))
	shoot("overview-15m")
	// A click on a minute's bar lists that minute's failures: the bars of
	// the minutes the refusals were made in (not "the last bar", which is
	// a newer minute once one has ended since) list the two of them.
	overview15m := eval(`location.href`)
	listed := 0
	for m := refusalsFrom; !m.After(refusalsTo); m = m.Add(time.Minute) {
		bar := fmt.Sprintf(`.chart a.bar[data-epoch-from="%d"]`, m.Unix())
		step("click the bar of "+m.UTC().Format("15:04"), chromedp.Navigate(overview15m), chromedp.WaitVisible(chromedp.CSS(bar)),
			chromedp.Click(chromedp.CSS(bar)), chromedp.WaitVisible(chromedp.CSS("#window-filter")))
		n, _ := strconv.Atoi(eval(`String(document.querySelectorAll("#feed tr").length)`))
		listed += n
	}
	if listed != 2 {
		t.Errorf("the bars of the refusals' minutes list %d failures, want the 2 refusals", listed)
	}

	// Create a key whose name is markup; copy the secret from the page.
	name := `<script>window.__xss=1</script><img src=x onerror="window.__xss=2">`
	step("create a key", chromedp.Navigate(admin+"/console/keys"), chromedp.WaitVisible(chromedp.CSS("#k-name")),
		chromedp.SendKeys(chromedp.CSS("#k-name"), name), chromedp.SendKeys(chromedp.CSS("#k-scopes"), "read"),
		chromedp.Submit(chromedp.CSS("#k-name")), chromedp.WaitVisible(chromedp.CSS("#new-key")))
	key, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#new-key")))
	if err != nil || !strings.HasPrefix(key, "ag_live_") {
		t.Fatalf("the new key in the page: %q %v", key, err)
	}
	id := text("#new-key-id")
	step("copy button", chromedp.Click(chromedp.CSS("button[data-copy]")), chromedp.WaitVisible(chromedp.CSS(".copied")))
	shoot("key-created")
	if status, _, _ := gatewayCall(t, d.File.URL+"/v1/data", "X-API-Key", key); status != 200 {
		t.Fatalf("the key copied from the page: %d", status)
	}

	// The name is text, not markup; nothing it carried ran.
	step("keys list", chromedp.Navigate(admin+"/console/keys"), chromedp.WaitVisible(chromedp.CSS(`tr[data-id="`+id+`"]`)))
	if got := text(`tr[data-id="` + id + `"] .key-name`); got != name {
		t.Errorf("the key's name shows as %q", got)
	}
	if got := eval(`String(window.__xss)`); got != "undefined" {
		t.Errorf("markup in a key's name ran: window.__xss = %s", got)
	}
	shoot("keys")

	// A CSRF-less POST from the page's own origin is refused, and nothing changes.
	rows := eval(`String(document.querySelectorAll("tr.key-row").length)`)
	if got := eval(`fetch("/console/keys", {method: "POST", body: new URLSearchParams({name: "forged", kind: "api", environment: "live"})}).then(r => String(r.status))`); got != "403" {
		t.Errorf("CSRF-less POST: %s", got)
	}
	step("keys list again", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`tr[data-id="`+id+`"]`)))
	if got := eval(`String(document.querySelectorAll("tr.key-row").length)`); got != rows {
		t.Errorf("the refused POST changed the keys: %s rows, were %s", got, rows)
	}

	// The CSP blocks an injected inline script, and says so.
	got := eval(`new Promise(done => {
		document.addEventListener("securitypolicyviolation", e => done(e.violatedDirective + " " + String(window.__injected)), {once: true});
		const s = document.createElement("script");
		s.textContent = "window.__injected = 1";
		document.body.appendChild(s);
		setTimeout(() => done("no violation " + String(window.__injected)), 2000);
	})`)
	if !strings.HasPrefix(got, "script-src") || !strings.HasSuffix(got, "undefined") {
		t.Errorf("injected inline script: %s", got)
	}

	// Revoke with confirmation; open the live feed; the next request is
	// refused and its row arrives within 2 s.
	step("revoke", chromedp.Click(chromedp.CSS(`tr[data-id="`+id+`"] a.danger`)), chromedp.WaitVisible(chromedp.CSS("form button.danger")))
	shoot("confirm-revoke")
	step("confirm", chromedp.Click(chromedp.CSS("form button.danger")), chromedp.WaitVisible(chromedp.CSS(`tr[data-id="`+id+`"] .bad`)))
	step("live feed", chromedp.Navigate(admin+"/console/failures"),
		chromedp.Poll[chromedp.Void](`document.getElementById("feed-state").textContent.startsWith("Live")`, chromedp.WithPollingTimeout(10*time.Second)))
	status, h, why := gatewayCall(t, d.File.URL+"/v1/data", "X-API-Key", key)
	rid := h.Get(api.RequestIDHeader)
	if status != 401 || why != string(reason.CredentialRevoked) || rid == "" {
		t.Fatalf("revoked key: %d %s", status, why)
	}
	step("the refusal in the live feed within 2s",
		chromedp.Poll[chromedp.Void](`document.querySelector('#feed tr[data-request-id="`+rid+`"]') !== null`, chromedp.WithPollingTimeout(2*time.Second)))
	if got := text(`#feed tr[data-request-id="` + rid + `"] td:nth-child(2) code`); got != string(reason.CredentialRevoked) {
		t.Errorf("the live row's reason is %q", got)
	}
	shoot("failures")

	// Paste the Request-Id into the search box: the whole decision.
	step("look up", chromedp.SendKeys(chromedp.CSS("#lookup-id"), rid), chromedp.Submit(chromedp.CSS("#lookup-id")),
		chromedp.WaitVisible(chromedp.CSS("#decision-id")))
	if got := text("#decision-id"); got != rid {
		t.Errorf("the decision page shows %q for %q", got, rid)
	}
	if got := text("#why-h code"); got != string(reason.CredentialRevoked) {
		t.Errorf("the decision's reason is %q", got)
	}
	shoot("decision")

	// The token inspector: the verdict for a chosen route.
	// The inspector's first use: paste, Inspect; the route is the first
	// protected one that takes a JWT, and the checks are listed.
	step("inspect", chromedp.Navigate(admin+"/console/inspect"), chromedp.WaitVisible(chromedp.CSS("#i-cred")),
		chromedp.SetValue(chromedp.CSS("#i-cred"), d.File.Tokens["valid"]),
		chromedp.Click(chromedp.CSS(`form.card button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#verdict-reason")))
	if got := text("#verdict-reason"); got != string(reason.ClaimMismatch) {
		t.Errorf("the inspector's first verdict is %q", got)
	}
	if got := eval(`String(document.querySelectorAll("ol.checks li.pass").length)`); got == "0" {
		t.Error("the inspector lists no passed check")
	}
	shoot("inspect")
	// The lookup of an allowed request, pasted in lower case with spaces.
	_, allowedHeader, _ := gatewayCall(t, d.File.URL+"/v1/data", "Authorization", "Bearer "+d.File.Tokens["valid"])
	allowed := allowedHeader.Get(api.RequestIDHeader)
	step("look up an allowed request", chromedp.SendKeys(chromedp.CSS("#lookup-id"), "  "+strings.ToLower(allowed)+" "),
		chromedp.Submit(chromedp.CSS("#lookup-id")), chromedp.WaitVisible(chromedp.CSS("#decision-id")))
	if got := text("#why-h"); !strings.HasPrefix(got, "Allowed at") || text("#decision-id") != allowed {
		t.Errorf("the allowed request's page reads %q", got)
	}
	shoot("request-allowed")
	step("not found", chromedp.Navigate(admin+"/console/requests/nothing-like-this"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	shoot("request-not-found")
	step("404", chromedp.Navigate(admin+"/console/no-such-page"), chromedp.WaitVisible(chromedp.CSS("nav[aria-label=Console]")))

	for _, p := range []string{"users", "audit"} {
		step(p, chromedp.Navigate(admin+"/console/"+p), chromedp.WaitVisible(chromedp.CSS("main h1")))
		shoot(p)
	}
	if got := text("main table tbody"); !strings.Contains(got, id) {
		t.Errorf("the audit page does not name key %s", id)
	}

	step("sign out", chromedp.Click(chromedp.CSS(".signout button")), chromedp.WaitVisible(chromedp.CSS("#key")))
	step("signed out", chromedp.Navigate(admin+"/console/keys"), chromedp.WaitVisible(chromedp.CSS("#key")))
}

// shootPage audits the page at 1280 and at 800 px wide (accessibility;
// at 800 px nothing wider than the window) and saves a screenshot of each
// width: name.png and name-800.png.
func shootPage(t *testing.T, ctx context.Context, shots, name string) {
	t.Helper()
	for _, width := range []int64{1280, 800} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 860)); err != nil {
			t.Fatal(err)
		}
		if problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](accessibilityAudit)); err != nil || len(problems) > 0 {
			t.Errorf("%s page at %d px: accessibility %v %v", name, width, problems, err)
		}
		wide, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.scrollWidth + " " + window.innerWidth`))
		var scroll, inner int
		if _, e := fmt.Sscan(wide, &scroll, &inner); err != nil || e != nil || scroll > inner {
			t.Errorf("%s page at %d px: scrollWidth and viewport %q %v", name, width, wide, err)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		file := name + ".png"
		if width != 1280 {
			file = fmt.Sprintf("%s-%d.png", name, width)
		}
		if err := os.WriteFile(filepath.Join(shots, file), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 860)); err != nil {
		t.Fatal(err)
	}
}

// accessibilityAudit lists what a page gets wrong for keyboard and
// screen-reader users and for contrast: a form control without a label, a
// table without headers, a button without a name, text below WCAG AA
// contrast (4.5:1; 3:1 for large text) against the background it is drawn
// on, no skip link to the main content.
const accessibilityAudit = `(() => {
  const out = [];
  const rgb = (c) => { const m = c.match(/[\d.]+/g); return m ? m.map(Number) : [0, 0, 0, 0]; };
  const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = (el) => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); if (c.length < 4 || c[3] > 0.5) return c; } return [255, 255, 255]; };
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    if (!el.labels || el.labels.length === 0) out.push("no label: " + (el.id || el.name));
  }
  for (const el of document.querySelectorAll("button, a.button")) {
    if (!el.textContent.trim() && !el.getAttribute("aria-label")) out.push("nameless button");
  }
  for (const t of document.querySelectorAll("table")) {
    if (!t.querySelector("th")) out.push("table without headers");
  }
  if (!document.querySelector("a.skip[href='#main']") || !document.getElementById("main")) out.push("no skip link");
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !el.getClientRects().length || el.closest(".skip, svg, title")) continue;
    const st = getComputedStyle(el);
    const opacity = Number(st.opacity) * (el.parentElement ? Number(getComputedStyle(el.parentElement).opacity) : 1);
    const fg = rgb(st.color), bg = background(el);
    const mixed = fg.slice(0, 3).map((v, i) => v * opacity + bg[i] * (1 - opacity));
    const [a, b] = [lum(mixed), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const large = parseFloat(st.fontSize) >= 24 || parseFloat(st.fontSize) >= 18.66 && Number(st.fontWeight) >= 700;
    if (ratio < (large ? 3 : 4.5)) out.push("contrast " + ratio.toFixed(2) + " for " + JSON.stringify(n.textContent.trim().slice(0, 30)));
  }
  return [...new Set(out)];
})()`

// gatewayCall sends one GET with one header to the gateway: the status,
// the headers and the problem body's reason.
func gatewayCall(t *testing.T, url, header, value string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set(header, value)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p api.Problem
	json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&p)
	return resp.StatusCode, resp.Header, p.Reason
}
