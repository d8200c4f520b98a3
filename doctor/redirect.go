package doctor

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/authgate/authgate/internal/lazyregexp"
)

// loginWords are what the URL of a login page says.
var loginWords = lazyregexp.New(`(?i)(^|[/._?=-])(login|log-in|log_in|logon|log-on|signin|sign-in|sign_in|signon|sign-on|authorize|oauth2?|sso|saml|adfs|auth/realms|cas/login|accounts\.google|login\.microsoftonline)([/._?=&-]|$)`)

// passwordForm finds an HTML form with a password field.
var passwordForm = lazyregexp.New(`(?is)<form.*?<input[^>]+type\s*=\s*["']?password`)

// loginTitle is the title of a sign-in page.
var loginTitle = lazyregexp.New(`(?is)<title>[^<]*\b(sign[ -]?in|log[ -]?in|anmelden|connexion|iniciar sesi)`)

// isLoginPage: an HTML page with a password form or a sign-in title, or
// at a URL a login page lives at.
func isLoginPage(a *answer) bool {
	html := strings.Contains(strings.ToLower(a.header.Get("Content-Type")), "html")
	return html && (passwordForm.Match(a.body) || loginTitle.Match(a.body) || loginWords.MatchString(a.url))
}

// redirects reads the chain of redirects: a login page on the way, a
// downgrade to http, a move to another host or region, a redirect the
// client does not follow.
func (p *prober) redirects(hops []Hop, chain []*answer, final *answer) {
	if len(hops) < 2 {
		if final.status >= 200 && final.status < 300 && p.off.sentAny && isLoginPage(final) {
			// A sign-in page served in place of the API's answer (Azure
			// DevOps answers 203 so): the credential was not accepted.
			p.failedIn2xx = true
			p.add(Finding{Code: RedirectedToLogin, Status: Fail, Basis: Proven, Cause: "1. Missing Authorization header",
				Title:    fmt.Sprintf("The server answers %d with a sign-in page instead of the API's answer: the credential was not accepted", final.status),
				Evidence: []string{"Content-Type: " + final.header.Get("Content-Type")},
				Fix:      "Send the credential the API expects (for Azure DevOps: Basic with an empty user and a personal access token); a sign-in page means it was not taken."})
		}
		return
	}
	ev := []string{}
	for _, h := range hops {
		ev = append(ev, fmt.Sprintf("%s %s -> %d %s", h.Method, h.URL, h.Status, h.Location))
	}
	if !p.off.req.FollowRedirects {
		ev = append(ev, fmt.Sprintf("your client does not follow redirects (no -L): it got the %d; the rest is what following would do", hops[0].Status))
	}
	// A login page at the end, or on the way, is a failure whatever the
	// final status: an API answered as if a person were at a browser.
	for i, a := range chain {
		if i == 0 || !isLoginPage(a) && !(i < len(chain)-1 && loginWords.MatchString(hops[i].URL)) && !(i == len(chain)-1 && loginWords.MatchString(a.url)) {
			continue
		}
		if final.status >= 200 && final.status < 300 {
			p.failedIn2xx = true
		}
		fix := "Authenticate the way an API expects — an Authorization header (Bearer token or Basic), or an API key header — not a browser session; a redirect to a login page means the request was not authenticated."
		if pr := identify(p.off.req.URL, a); pr != nil {
			fix += " " + pr.Name + " expects " + pr.Expects + "."
		}
		p.add(Finding{Code: RedirectedToLogin, Status: Fail, Basis: Proven, Cause: "1. Missing Authorization header",
			Title:    fmt.Sprintf("The request is redirected to a login page (%s): it was not authenticated", shownURL(a.url)),
			Evidence: ev, Fix: fix})
		return
	}
	if last := hops[len(hops)-1]; len(hops) > len(chain) && loginWords.MatchString(last.URL) {
		// The redirect leads to a sign-in page this machine did not fetch.
		p.add(Finding{Code: RedirectedToLogin, Status: Fail, Basis: Proven, Cause: "1. Missing Authorization header",
			Title:    fmt.Sprintf("The request is redirected to a login page (%s): it was not authenticated", last.URL),
			Evidence: ev, Fix: "Authenticate the way an API expects — an Authorization header or an API key header — not a browser session; a redirect to a login page means the request was not authenticated."})
		return
	}
	from, _ := url.Parse(hops[0].URL)
	to, _ := url.Parse(hops[1].URL)
	if moved := hops[0]; !p.off.req.FollowRedirects && (moved.Status == 301 || moved.Status == 308) && !(from.Scheme == "https" && to.Scheme == "http") {
		// A permanent redirect the client does not follow (and no
		// downgrade to http): the API moved, and the request goes to its
		// old address.
		p.add(Finding{Code: WrongBaseURL, Status: Fail, Basis: Proven, Cause: "5. Wrong credentials for environment",
			Title:    fmt.Sprintf("The API has moved permanently (%d): the request goes to an old base URL; the new one is %s", moved.Status, shownURL(moved.Location)),
			Evidence: ev,
			Fix:      "Call the new URL directly (" + hops[len(hops)-1].URL + "); following the redirect instead would drop Authorization if the host changes.",
			Command:  p.off.command(func(r *Request) { r.URL = hops[len(hops)-1].URL })})
		return
	}
	status := Warn
	if final.status == 401 || final.status == 403 {
		status = Fail
	}
	for i := 1; i < len(hops); i++ {
		prev, _ := url.Parse(hops[i-1].URL)
		cur, _ := url.Parse(hops[i].URL)
		switch {
		case prev.Scheme == "https" && cur.Scheme == "http":
			p.add(Finding{Code: RedirectSchemeDowngrade, Status: status, Cause: "7. Proxy or load balancer",
				Title:    "A redirect goes from https to http: clients drop the credentials (and would send them in clear)",
				Evidence: ev, Fix: "Call the final https URL directly, and fix the server's redirect (it should never downgrade to http)."})
			return
		case prev.Host != cur.Host && regionMove(prev.Hostname(), cur.Hostname()) != "":
			p.add(Finding{Code: WrongBaseURL, Status: status, Cause: "5. Wrong credentials for environment",
				Title: fmt.Sprintf("The API sends this account to another region's host (%s → %s): call that base URL directly — clients drop Authorization on the redirect",
					prev.Host, cur.Host),
				Evidence: append(ev, "the new host names the region "+regionMove(prev.Hostname(), cur.Hostname())),
				Fix:      "Use the base URL of the region, data centre or instance your account lives in (" + cur.Scheme + "://" + cur.Host + "), not the global one.",
				Command:  p.off.command(func(r *Request) { r.URL = hops[len(hops)-1].URL })})
			return
		case prev.Host != cur.Host || prev.Scheme != cur.Scheme:
			p.add(Finding{Code: RedirectCrossHost, Status: status, Cause: "7. Proxy or load balancer",
				Title:    fmt.Sprintf("A redirect moves the request from %s://%s to %s://%s: clients drop Authorization there", prev.Scheme, prev.Host, cur.Scheme, cur.Host),
				Evidence: ev, Fix: "Call the final URL directly (" + hops[len(hops)-1].URL + "); do not rely on redirects for authenticated calls.",
				Command: p.off.command(func(r *Request) { r.URL = hops[len(hops)-1].URL })})
			return
		}
	}
	if !p.off.req.FollowRedirects {
		p.add(Finding{Code: RedirectFollowed, Status: Warn, Title: fmt.Sprintf("The answer is a redirect (%d) that your client does not follow", hops[0].Status),
			Evidence: ev, Fix: "Call the final URL (" + hops[len(hops)-1].URL + ") directly, or follow redirects (curl -L).",
			Command: p.off.command(func(r *Request) { r.URL = hops[len(hops)-1].URL })})
		return
	}
	p.add(Finding{Code: RedirectFollowed, Status: Info, Title: fmt.Sprintf("The request was redirected %d times on the same origin", len(hops)-1)})
}

// regionLabel is a host label that names a region, data centre or cell.
var regionLabel = lazyregexp.New(`^(eu|us|uk|au|ca|jp|in|de|fr|br|sg|kr|ap|sa|asia|europe|emea|apac|amer|na|cn|` +
	`(eu|us|ap|ca|sa|me|af)-(north|south|east|west|central|northeast|southeast|northwest|southwest)-?\d?|[a-z]{2}\d{1,3}|(eu|us)\d)$`)

// regionMove returns the region label that a redirect from one host to
// another of the same domain adds ("api.example.com" → "api.eu.example.com",
// "us2.example.com"), or "".
func regionMove(from, to string) string {
	fl, tl := strings.Split(strings.ToLower(from), "."), strings.Split(strings.ToLower(to), ".")
	if len(fl) < 2 || len(tl) < 2 || fl[len(fl)-1] != tl[len(tl)-1] || fl[len(fl)-2] != tl[len(tl)-2] {
		return "" // another domain: not a region of the same service
	}
	had := map[string]bool{}
	for _, l := range fl {
		had[l] = true
		for _, part := range strings.Split(l, "-") {
			had[part] = true
		}
	}
	for _, l := range tl {
		if had[l] {
			continue
		}
		if regionLabel.MatchString(l) {
			return l
		}
		for _, part := range strings.Split(l, "-") {
			if !had[part] && regionLabel.MatchString(part) {
				return part
			}
		}
	}
	return ""
}
