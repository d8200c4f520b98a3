package doctor

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// preflight sends the CORS preflight a browser at --origin would send
// before the request, and checks the answer allows it.
func (p *prober) preflight(ctx context.Context) {
	h := http.Header{}
	h.Set("Origin", p.opts.Origin)
	h.Set("Access-Control-Request-Method", p.off.req.Method)
	want := []string{}
	for _, hd := range p.off.req.Headers {
		if isCredentialHeader(hd.Name) || strings.EqualFold(hd.Name, "Content-Type") {
			want = append(want, strings.ToLower(hd.Name))
		}
	}
	if len(want) == 0 {
		want = []string{"authorization"}
	}
	h.Set("Access-Control-Request-Headers", strings.Join(want, ","))
	a, err := p.do(ctx, http.MethodOptions, p.off.req.URL, h, "")
	if err != nil {
		return
	}
	ev := []string{fmt.Sprintf("OPTIONS %s from %s -> %d", shownURL(p.off.req.URL), p.opts.Origin, a.status)}
	for _, k := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Headers", "Access-Control-Allow-Methods", "Access-Control-Allow-Credentials", "Access-Control-Expose-Headers"} {
		if v := a.header.Get(k); v != "" {
			ev = append(ev, k+": "+v)
		}
	}
	fail := func(code Code, title, fix string) {
		p.add(Finding{Code: code, Status: Fail, Cause: "8. CORS preflight failure", Title: title, Evidence: ev, Fix: fix})
	}
	switch {
	case a.status == 401 || a.status == 403:
		fail(CORSPreflightRejected, fmt.Sprintf("The CORS preflight is answered %d: the server demands credentials on OPTIONS, which browsers never send", a.status),
			"Answer preflight (OPTIONS) requests before authentication, with 204 and the CORS headers.")
		return
	case a.status < 200 || a.status > 299:
		fail(CORSPreflightFailed, fmt.Sprintf("The CORS preflight is answered %d; browsers need a 2xx", a.status), "Answer OPTIONS with 204 and the CORS headers.")
		return
	}
	allowOrigin := a.header.Get("Access-Control-Allow-Origin")
	if allowOrigin != "*" && allowOrigin != p.opts.Origin {
		fail(CORSOriginDenied, "The preflight does not allow the origin "+p.opts.Origin, "Add the origin to the API's allowed origins.")
		return
	}
	allowed := strings.ToLower(strings.Join(a.header.Values("Access-Control-Allow-Headers"), ","))
	for _, w := range want {
		if !slices.Contains(splitList(allowed), w) {
			title := fmt.Sprintf("The preflight does not allow the %s header, so the browser never sends the real request", w)
			if slices.Contains(splitList(allowed), "*") && w == "authorization" {
				title = "The preflight allows headers '*', which never covers Authorization (Fetch standard): the browser blocks the request"
			}
			fail(CORSAuthorizationDenied, title, "List "+w+" explicitly in Access-Control-Allow-Headers.")
			return
		}
	}
	if allowOrigin == "*" && a.header.Get("Access-Control-Allow-Credentials") == "true" {
		fail(CORSCredentialsWildcard, "The preflight combines Allow-Origin '*' with Allow-Credentials: browsers reject that", "Echo the exact origin instead of '*'.")
		return
	}
	p.add(Finding{Code: CORSPreflightOK, Status: OK, Title: "The CORS preflight allows this origin, method and headers", Evidence: ev})
	if !strings.Contains(strings.ToLower(a.header.Get("Access-Control-Expose-Headers")), "www-authenticate") {
		p.add(Finding{Code: CORSExposeMissing, Status: Warn, Cause: "8. CORS preflight failure",
			Title: "WWW-Authenticate is not in Access-Control-Expose-Headers: browser code cannot read why a call failed",
			Fix:   "Expose WWW-Authenticate (and Request-Id) on actual responses."})
	}
}

// splitList splits a comma-separated header value into its trimmed,
// non-empty parts.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
