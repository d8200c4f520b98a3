package doctor

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/client"
	"github.com/authgate/authgate/credential/jwt"
)

// answer is a response as the doctor keeps it.
type answer struct {
	status     int
	header     http.Header
	body       []byte
	challenges []challenge.Challenge
	challErr   error
	problem    struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Reason string `json:"reason"`
		Detail string `json:"detail"`
	}
	date time.Time
	// localAt is this machine's time when the answer arrived.
	localAt time.Time
}

type prober struct {
	off    *offline
	opts   *Options
	client *http.Client
}

const maxBody = 64 << 10

func (p *prober) add(f Finding) { p.off.add(f) }

// do sends one request and reads the answer.
func (p *prober) do(ctx context.Context, method, target string, h http.Header, body string) (*answer, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, err
	}
	req.Header = h
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	a := &answer{status: resp.StatusCode, header: resp.Header, localAt: time.Now()}
	a.body, _ = io.ReadAll(io.LimitReader(resp.Body, maxBody))
	a.challenges, a.challErr = challenge.Parse(resp.Header.Values("WWW-Authenticate")...)
	if strings.Contains(resp.Header.Get("Content-Type"), "json") {
		json.Unmarshal(a.body, &a.problem)
	}
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		a.date = d
	}
	return a, nil
}

// send sends the request, following redirects as browsers and curl -L do:
// credentials go along only while host, port and scheme stay the same.
func (p *prober) send(ctx context.Context, withCreds bool, hops *[]Hop) (*answer, error) {
	r := p.off.req
	method, target, body := r.Method, r.URL, r.Body
	start, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("URL %q: %w", target, err)
	}
	sendCreds := withCreds
	for i := 0; ; i++ {
		a, err := p.do(ctx, method, target, r.httpHeader(!sendCreds), body)
		if err != nil {
			return nil, err
		}
		loc := a.header.Get("Location")
		if hops != nil {
			*hops = append(*hops, Hop{Method: method, URL: target, Status: a.status, Location: loc, SentCredentials: sendCreds && p.off.sentAny})
		}
		if a.status < 300 || a.status > 399 || loc == "" || i == 9 {
			return a, nil
		}
		cur, _ := url.Parse(target)
		next, err := cur.Parse(loc)
		if err != nil {
			return a, nil
		}
		if next.Scheme != start.Scheme || next.Host != start.Host {
			sendCreds = false
		}
		if a.status == 303 || (a.status == 301 || a.status == 302) && method == http.MethodPost {
			method, body = http.MethodGet, ""
		}
		target = next.String()
	}
}

func (p *prober) run(ctx context.Context, rep *Report) (*answer, error) {
	final, err := p.send(ctx, true, &rep.Hops)
	if err != nil {
		return nil, fmt.Errorf("the server could not be reached: %w", err)
	}
	p.redirects(rep.Hops, final)
	p.answer(final)
	p.clock(final)
	if p.off.sentAny && (final.status == 401 || final.status == 403) {
		p.withoutCredentials(ctx, final)
	}
	if p.off.sentAny {
		p.echo(ctx)
	}
	if p.opts.Origin != "" {
		p.preflight(ctx)
	}
	p.signature(ctx)
	return final, nil
}

func (p *prober) redirects(hops []Hop, final *answer) {
	if len(hops) < 2 {
		return
	}
	status := Warn
	if final.status == 401 || final.status == 403 {
		status = Fail
	}
	for i := 1; i < len(hops); i++ {
		prev, _ := url.Parse(hops[i-1].URL)
		cur, _ := url.Parse(hops[i].URL)
		ev := []string{}
		for _, h := range hops {
			ev = append(ev, fmt.Sprintf("%s %s -> %d %s", h.Method, h.URL, h.Status, h.Location))
		}
		switch {
		case prev.Scheme == "https" && cur.Scheme == "http":
			p.add(Finding{Code: RedirectSchemeDowngrade, Status: status, Cause: "7. Proxy or load balancer",
				Title:    "A redirect goes from https to http: clients drop the credentials (and would send them in clear)",
				Evidence: ev, Fix: "Call the final https URL directly, and fix the server's redirect (it should never downgrade to http)."})
			return
		case prev.Host != cur.Host || prev.Scheme != cur.Scheme:
			p.add(Finding{Code: RedirectCrossHost, Status: status, Cause: "7. Proxy or load balancer",
				Title:    fmt.Sprintf("A redirect moves the request from %s://%s to %s://%s: clients drop Authorization there", prev.Scheme, prev.Host, cur.Scheme, cur.Host),
				Evidence: ev, Fix: "Call the final URL directly (" + hops[len(hops)-1].URL + "); do not rely on redirects for authenticated calls.",
				Command: p.off.command(func(r *Request) { r.URL = hops[len(hops)-1].URL })})
			return
		}
	}
	p.add(Finding{Code: RedirectFollowed, Status: Info, Title: fmt.Sprintf("The request was redirected %d times on the same origin", len(hops)-1)})
}

// serverCodes maps authgate reasons (and RFC 6750 errors) to findings.
var serverCodes = map[string]Code{
	"credentials_missing": CredentialsMissing, "scheme_unsupported": SchemeMismatch, "header_malformed": HeaderFormat,
	"credential_placeholder": CredentialPlaceholder, "token_too_large": HeaderFormat, "token_malformed": HeaderFormat,
	"token_algorithm_rejected": TokenSignatureInvalid, "token_key_unknown": TokenKeyUnknown, "token_signature_invalid": TokenSignatureInvalid,
	"token_expired": TokenExpired, "token_not_yet_valid": TokenNotYetValid, "token_issuer_untrusted": TokenIssuerMismatch,
	"token_audience_mismatch": TokenAudienceMismatch, "token_type_mismatch": TokenTypeMismatch, "credential_revoked": CredentialRevoked,
	"credential_expired": TokenExpired, "credential_unknown": CredentialUnknown, "credential_wrong_environment": WrongEnvironment,
	"api_key_malformed": HeaderFormat, "credential_in_query": HeaderFormat, "basic_malformed": BasicNotBase64,
	"basic_invalid": CredentialsRejected, "too_many_failures": TooManyFailures, "insufficient_scope": InsufficientScope,
	"forbidden": Forbidden, "cors_origin_denied": CORSOriginDenied, "proxy_untrusted": ServerFault, "proxy_request_invalid": ServerFault,
	"auth_unavailable": ServerFault, "upstream_unreachable": ServerFault, "upstream_timeout": ServerFault,
}

func (p *prober) answer(a *answer) {
	var ev []string
	if a.problem.Reason != "" {
		ev = append(ev, fmt.Sprintf("server reason %s: %s", a.problem.Reason, a.problem.Detail))
	} else if a.problem.Detail != "" || a.problem.Title != "" {
		ev = append(ev, fmt.Sprintf("server says: %s %s", a.problem.Title, a.problem.Detail))
	}
	for _, c := range a.challenges {
		ev = append(ev, "WWW-Authenticate: "+c.String())
	}
	if ra := a.header.Get("Retry-After"); ra != "" {
		ev = append(ev, "Retry-After: "+ra)
	}
	switch {
	case a.status >= 500:
		p.add(Finding{Code: ServerFault, Status: Fail, Title: fmt.Sprintf("The server failed (%d): this is not about your credentials", a.status),
			Evidence: ev, Fix: "Retry later (after Retry-After, if given); if it persists, the API's operators must look at their side."})
		return
	case a.status == 429:
		p.add(Finding{Code: TooManyFailures, Status: Fail, Title: "The server is rate limiting this client", Evidence: ev,
			Fix: "Wait for Retry-After; repeated failed attempts may have triggered it."})
		return
	case a.status == 401, a.status == 403, a.status == 400:
	default:
		return
	}
	if a.status == 401 && len(a.header.Values("WWW-Authenticate")) == 0 {
		p.add(Finding{Code: MissingChallenge, Status: Fail, Cause: "3. Incorrect authentication scheme",
			Title:    "The server answered 401 without a WWW-Authenticate challenge (a server fault: RFC 9110 requires one)",
			Evidence: append(ev, fmt.Sprintf("body: %.200s", strings.TrimSpace(string(a.body)))),
			Fix:      "The API does not say which scheme it wants: check its documentation, and tell its operators."})
	}
	if a.challErr != nil {
		p.add(Finding{Code: MissingChallenge, Status: Warn, Title: "The WWW-Authenticate header does not parse", Evidence: []string{a.challErr.Error()}})
	}
	if a.status == 401 {
		p.schemes(a)
	}
	code, known := serverCodes[a.problem.Reason]
	if !known {
		for _, c := range a.challenges {
			if e, ok := c.Get("error"); ok {
				code, known = map[string]Code{"insufficient_scope": InsufficientScope, "invalid_token": CredentialsRejected, "invalid_request": HeaderFormat}[e]
				if d, ok := c.Get("error_description"); ok {
					ev = append(ev, "error_description: "+d)
				}
				break
			}
		}
	}
	if !known {
		code = map[int]Code{401: CredentialsRejected, 403: Forbidden, 400: HeaderFormat}[a.status]
	}
	if code == CredentialsMissing && p.off.sentAny {
		p.add(Finding{Code: AuthorizationStripped, Status: Fail, Cause: "7. Proxy or load balancer stripping headers",
			Title:    "The server says no credentials arrived, but the request sends them: something on the way removed them",
			Evidence: ev, Fix: "Configure the proxy, load balancer or CDN in front of the API to forward the Authorization header."})
		return
	}
	p.add(Finding{Code: code, Status: Fail, Cause: causeOf(code), Title: titleOf(code, a.status), Evidence: ev, Fix: fixOf(code)})
}

// schemes compares the scheme sent with the schemes the server offers.
func (p *prober) schemes(a *answer) {
	if len(a.challenges) == 0 || !p.off.sentAny {
		return
	}
	var offered []string
	for _, c := range a.challenges {
		offered = append(offered, strings.ToLower(c.Scheme))
	}
	for _, h := range p.off.req.Get("Authorization") {
		scheme, _, _ := strings.Cut(h.Value, " ")
		if !slices.Contains(offered, strings.ToLower(scheme)) {
			p.add(Finding{Code: SchemeMismatch, Status: Fail, Cause: "3. Incorrect authentication scheme",
				Title:    fmt.Sprintf("The request uses %s; the server asks for %s", scheme, strings.Join(offered, " or ")),
				Evidence: []string{"WWW-Authenticate offers: " + strings.Join(offered, ", ")},
				Fix:      "Send the credential in the scheme the server names (for Basic: curl -u user:password)."})
		}
	}
}

// clock compares the server's Date with this machine's clock, and the
// token's times with the server's clock.
func (p *prober) clock(a *answer) {
	if a.date.IsZero() {
		return
	}
	skew := a.date.Sub(a.localAt)
	if skew.Abs() < time.Minute {
		p.add(Finding{Code: ClockOK, Status: OK, Title: fmt.Sprintf("The server's clock agrees with this machine's (%s)", skew.Round(time.Second))})
		return
	}
	f := Finding{Code: ClockSkew, Status: Warn, Cause: "6. Clock skew",
		Title:    fmt.Sprintf("The server's clock is %s %s this machine's", skew.Abs().Round(time.Second), map[bool]string{true: "ahead of", false: "behind"}[skew > 0]),
		Evidence: []string{"Date: " + a.header.Get("Date"), "local: " + a.localAt.UTC().Format(http.TimeFormat)},
		Fix:      "Synchronise the clocks (NTP) of the server, the token issuer and this machine."}
	if d := p.off.jwtToken; d != nil && a.status == 401 {
		serverNow := a.date
		exp, hasExp := claimTime(d, "exp")
		nbf, hasNbf := claimTime(d, "nbf")
		iat, hasIat := claimTime(d, "iat")
		switch {
		case hasExp && !serverNow.Before(exp) && a.localAt.Before(exp):
			f.Status = Fail
			f.Evidence = append(f.Evidence, fmt.Sprintf("by the server's clock the token expired %s ago; by this machine's it is still valid", serverNow.Sub(exp).Round(time.Second)))
		case hasNbf && nbf.Sub(serverNow) > 30*time.Second || hasIat && iat.Sub(serverNow) > 30*time.Second:
			f.Status = Fail
			f.Evidence = append(f.Evidence, "by the server's clock the token is not valid yet (nbf/iat in its future)")
		}
	}
	p.add(f)
}

func (p *prober) withoutCredentials(ctx context.Context, with *answer) {
	without, err := p.send(ctx, false, nil)
	if err != nil {
		return
	}
	same := without.status == with.status && string(without.body) == string(with.body) &&
		without.header.Get("WWW-Authenticate") == with.header.Get("WWW-Authenticate")
	if same {
		p.add(Finding{Code: SameWithoutCredentials, Status: Warn, Cause: "7. Proxy or load balancer stripping headers",
			Title:    fmt.Sprintf("The server answers exactly the same (%d) with and without the credentials", with.status),
			Evidence: []string{"either the credentials are wrong, or they never reach the application (stripped on the way)"},
			Fix:      "If the API is behind a proxy, check it forwards Authorization; otherwise check the credential itself."})
	}
}

// echo asks an authgate gateway which auth headers arrived.
func (p *prober) echo(ctx context.Context) {
	u, err := url.Parse(p.off.req.URL)
	if err != nil {
		return
	}
	n := nonce()
	candidates := []string{strings.TrimSuffix(u.Path, "/") + api.EchoPath, api.EchoPath}
	for _, path := range candidates {
		eu := *u
		eu.Path, eu.RawPath, eu.RawQuery = path, "", ""
		h := p.off.req.httpHeader(false)
		h.Set(api.EchoNonceHeader, n)
		a, err := p.do(ctx, http.MethodGet, eu.String(), h, "")
		if err != nil || a.status != 200 {
			continue
		}
		var e api.Echo
		if json.Unmarshal(a.body, &e) != nil || !e.Authgate {
			continue
		}
		p.compareEcho(e, n)
		return
	}
}

func (p *prober) compareEcho(e api.Echo, n string) {
	fp := func(v string) string {
		m := hmac.New(sha256.New, []byte(n))
		m.Write([]byte(v))
		return hex.EncodeToString(m.Sum(nil)[:6])
	}
	for _, h := range p.off.req.Get("Authorization") {
		_, value, _ := strings.Cut(h.sent(), " ")
		switch {
		case e.Authorization == nil:
			p.add(Finding{Code: AuthorizationStripped, Status: Fail, Cause: "7. Proxy or load balancer stripping headers",
				Title:    "Authorization is sent but never reaches the authgate gateway: an intermediary removes it",
				Evidence: []string{fmt.Sprintf("sent Authorization (%d bytes); the gateway's echo received the headers %s", len(h.Value), strings.Join(e.HeaderNames, ", "))},
				Fix:      "Configure the proxy in front of the API to pass Authorization (nginx: do not clear it; proxy_pass keeps it by default; check auth_request and header rules)."})
		case e.Authorization.NonceFingerprint != "" && e.Authorization.NonceFingerprint != fp(value):
			p.add(Finding{Code: AuthorizationStripped, Status: Fail, Cause: "7. Proxy or load balancer stripping headers",
				Title:    "Authorization reaches the gateway altered",
				Evidence: []string{fmt.Sprintf("sent %d bytes; %d bytes arrived, with another fingerprint", len(value), e.Authorization.Length)},
				Fix:      "Something on the way rewrites the header: check the proxy's header rules."})
		default:
			p.add(Finding{Code: EchoMatches, Status: OK, Title: "The gateway's echo received Authorization exactly as sent"})
		}
	}
}

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
	ev := []string{fmt.Sprintf("OPTIONS %s from %s -> %d", p.off.req.URL, p.opts.Origin, a.status)}
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

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// signature verifies a JWT's signature against --jwks, or the issuer's
// published keys when its iss is https.
func (p *prober) signature(ctx context.Context) {
	d := p.off.jwtToken
	if d == nil {
		return
	}
	jwksURL := p.opts.JWKS
	if jwksURL == "" {
		iss, _ := jsonString(d.Claims["iss"])
		if !strings.HasPrefix(iss, "https://") {
			return
		}
		a, err := p.do(ctx, http.MethodGet, strings.TrimSuffix(iss, "/")+"/.well-known/openid-configuration", http.Header{}, "")
		var meta struct {
			JWKSURI string `json:"jwks_uri"`
		}
		if err != nil || a.status != 200 || json.Unmarshal(a.body, &meta) != nil || meta.JWKSURI == "" {
			p.add(Finding{Code: TokenKeyUnknown, Status: Info, Title: "The issuer publishes no OpenID discovery document; signature not checked",
				Fix: "Pass --jwks URL to check the signature."})
			return
		}
		jwksURL = meta.JWKSURI
	}
	a, err := p.do(ctx, http.MethodGet, jwksURL, http.Header{}, "")
	if err != nil || a.status != 200 {
		p.add(Finding{Code: TokenKeyUnknown, Status: Warn, Title: "The key set could not be fetched from " + jwksURL})
		return
	}
	keys, _, err := jwt.ParseJWKS(a.body)
	if err != nil {
		p.add(Finding{Code: TokenKeyUnknown, Status: Warn, Title: "The key set at " + jwksURL + " holds no usable key", Evidence: []string{err.Error()}})
		return
	}
	token := ""
	for _, h := range p.off.req.Get("Authorization") {
		_, token, _ = strings.Cut(h.Value, " ")
	}
	switch err := jwt.CheckSignature(token, keys); {
	case err == nil:
		p.add(Finding{Code: SignatureVerified, Status: OK, Title: "The token's signature verifies with the issuer's published keys"})
	default:
		code := TokenSignatureInvalid
		if strings.Contains(err.Error(), "token_key_unknown") {
			code = TokenKeyUnknown
		}
		p.add(Finding{Code: code, Status: Fail, Cause: "2. Invalid token (wrong signing key)", Title: "The token does not verify with the keys at " + jwksURL,
			Evidence: []string{err.Error()}, Fix: "The token comes from another issuer or environment, or was altered: obtain one from the right issuer."})
	}
}

// explainVia asks an authgate admin API how the gateway judges this
// request (no side effects there).
func (p *prober) explainVia(ctx context.Context) (*api.Explanation, error) {
	u, err := url.Parse(p.off.req.URL)
	if err != nil {
		return nil, err
	}
	in := api.ExplainRequest{Method: p.off.req.Method, Path: u.EscapedPath(), Headers: map[string]string{}}
	if u.RawQuery != "" {
		in.Path += "?" + u.RawQuery
	}
	for _, h := range p.off.req.Headers {
		if isCredentialHeader(h.Name) || strings.EqualFold(h.Name, "Origin") {
			in.Headers[h.Name] = h.sent()
		}
	}
	c, err := client.New(p.opts.ExplainVia, p.opts.AdminKey, p.client)
	if err != nil {
		return nil, err
	}
	return c.Explain(ctx, in)
}
