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
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/client"
	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/diagnose"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/reason"
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
	// url is where it came from.
	url string
}

type prober struct {
	off    *offline
	opts   *Options
	client *http.Client
	// says is what the final answer states; provider who answered.
	says     *ServerSays
	provider *Provider
	// failedIn2xx: a 2xx whose body says the call failed (Slack's
	// {"ok":false}), or a login page reached by following redirects.
	failedIn2xx bool
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
	if a.challErr != nil {
		// Read what a lenient client would; the deviation is a note.
		a.challenges = challenge.ParseLenient(resp.Header.Values("WWW-Authenticate")...)
	}
	if strings.Contains(resp.Header.Get("Content-Type"), "json") {
		json.Unmarshal(a.body, &a.problem)
	}
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		a.date = d
	}
	return a, nil
}

// send sends the request, following redirects as browsers and curl -L do
// (credentials go along only while host, port and scheme stay the same),
// and returns every answer of the chain.
func (p *prober) send(ctx context.Context, withCreds bool, hops *[]Hop) ([]*answer, error) {
	r := p.off.req
	method, target, body := r.Method, r.URL, r.Body
	if !withCreds {
		if u, ok := p.off.urlWithoutCredentials(); ok {
			target = u
		}
	}
	start, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("URL %q: %w", target, err)
	}
	sendCreds := withCreds
	var chain []*answer
	for i := 0; ; i++ {
		a, err := p.do(ctx, method, target, r.httpHeader(!sendCreds), body)
		if err != nil {
			if len(chain) > 0 {
				if hops != nil { // where the redirect leads is shown, even unreached
					*hops = append(*hops, Hop{Method: method, URL: target, SentCredentials: sendCreds && p.off.sentAny})
				}
				return chain, nil // what a later hop does is shown, not required
			}
			return nil, err
		}
		a.url = target
		chain = append(chain, a)
		loc := a.header.Get("Location")
		if hops != nil {
			*hops = append(*hops, Hop{Method: method, URL: target, Status: a.status, Location: loc, SentCredentials: sendCreds && p.off.sentAny})
		}
		if a.status < 300 || a.status > 399 || loc == "" || i == 9 {
			return chain, nil
		}
		cur, _ := url.Parse(target)
		next, err := cur.Parse(loc)
		if err != nil {
			return chain, nil
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

// last is the answer the user's client ends with: the end of the chain
// when it follows redirects (-L), else the first answer.
func (p *prober) last(chain []*answer) *answer {
	if p.off.req.FollowRedirects {
		return chain[len(chain)-1]
	}
	return chain[0]
}

func (p *prober) run(ctx context.Context, rep *Report) (*answer, error) {
	chain, err := p.send(ctx, true, &rep.Hops)
	if err != nil {
		return nil, fmt.Errorf("the server could not be reached: %w", err)
	}
	final := p.last(chain)
	p.identify(final)
	p.redirects(rep.Hops, chain, final)
	p.credentialPlace(final)
	p.answer(final)
	p.clock(final)
	if p.off.sentAny && final.status >= 400 && final.status < 500 && final.status != 429 {
		p.withoutCredentials(ctx, final)
	}
	if p.off.sentAny {
		p.echo(ctx)
	}
	if p.opts.Origin != "" {
		p.preflight(ctx)
	}
	p.signature(ctx)
	if final.status == 401 {
		p.resourceMetadata(ctx, final)
	}
	rep.ServerSays = p.says
	return final, nil
}

// loginWords are what the URL of a login page says.
var loginWords = regexp.MustCompile(`(?i)(^|[/._?=-])(login|log-in|signin|sign-in|sign_in|authorize|oauth2?|sso|saml|auth/realms|cas/login|accounts\.google|login\.microsoftonline)([/._?=&-]|$)`)

// passwordForm finds an HTML form with a password field.
var passwordForm = regexp.MustCompile(`(?is)<form.*?<input[^>]+type\s*=\s*["']?password`)

// loginTitle is the title of a sign-in page.
var loginTitle = regexp.MustCompile(`(?is)<title>[^<]*\b(sign[ -]?in|log[ -]?in|anmelden|connexion|iniciar sesi)`)

// isLoginPage: an HTML page with a password form or a sign-in title, or
// at a URL a login page lives at.
func isLoginPage(a *answer) bool {
	html := strings.Contains(strings.ToLower(a.header.Get("Content-Type")), "html")
	return html && (passwordForm.Match(a.body) || loginTitle.Match(a.body) || loginWords.MatchString(a.url))
}

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
			Title:    fmt.Sprintf("The request is redirected to a login page (%s): it was not authenticated", a.url),
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

// serverCodes maps each reason of authgate's catalogue to the finding
// that explains it (TestServerCodesCoverCatalogue keeps it whole). The
// RFC 6750 error values a challenge carries (invalid_request,
// invalid_token, insufficient_scope) are read by the lexicon, as any
// server's words are.
var serverCodes = map[reason.Code]Code{
	reason.CredentialsMissing: CredentialsMissing, reason.SchemeUnsupported: SchemeMismatch, reason.HeaderMalformed: HeaderFormat,
	reason.CredentialPlaceholder: CredentialPlaceholder, reason.TokenTooLarge: HeaderFormat, reason.TokenMalformed: HeaderFormat,
	reason.TokenAlgorithmRejected: TokenSignatureInvalid, reason.TokenKeyUnknown: TokenKeyUnknown, reason.TokenSignatureInvalid: TokenSignatureInvalid,
	reason.TokenExpired: TokenExpired, reason.TokenNotYetValid: TokenNotYetValid, reason.TokenIssuerUntrusted: TokenIssuerMismatch,
	reason.TokenAudienceMismatch: TokenAudienceMismatch, reason.TokenTypeMismatch: TokenTypeMismatch, reason.CredentialRevoked: CredentialRevoked,
	reason.CredentialExpired: TokenExpired, reason.CredentialUnknown: CredentialUnknown, reason.CredentialWrongEnvironment: WrongEnvironment,
	reason.APIKeyMalformed: HeaderFormat, reason.CredentialInQuery: HeaderFormat, reason.BasicMalformed: BasicNotBase64,
	reason.BasicInvalid: CredentialsRejected, reason.TooManyFailures: TooManyFailures, reason.InsufficientScope: InsufficientScope,
	reason.Forbidden: Forbidden, reason.ClientNetworkDenied: ClientIPNotAllowed, reason.ClaimMismatch: InsufficientScope,
	reason.InsufficientUserAuthentication: StepUpRequired, reason.TokenInactive: CredentialsRejected, reason.CORSOriginDenied: CORSOriginDenied,
	reason.CredentialWrongKind: WrongTokenKind, reason.QuotaExceeded: TooManyFailures, reason.ProxyUntrusted: ServerFault, reason.ProxyRequestInvalid: ServerFault,
	reason.AuthUnavailable: ServerFault, reason.UpstreamUnreachable: ServerFault, reason.UpstreamTimeout: ServerFault, reason.StoreNotConfigured: ServerFault,
	reason.RouteNotFound: WrongBaseURL,
	reason.PathMalformed: RequestMalformed, reason.MethodMalformed: RequestMalformed, reason.HeadersTooMany: RequestMalformed,
	reason.RequestBodyTooLarge: RequestMalformed, reason.RequestBodyTimeout: RequestMalformed, reason.RequestBodyMalformed: RequestMalformed,
	reason.UpgradeNotAllowed: RequestMalformed, reason.RequestInvalid: RequestMalformed, reason.NotFound: RequestMalformed, reason.AlreadyExists: RequestMalformed,
}

// clip shortens s to at most n bytes, on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// regionLabel is a host label that names a region, data centre or cell.
var regionLabel = regexp.MustCompile(`^(eu|us|uk|au|ca|jp|in|de|fr|br|sg|kr|ap|sa|asia|europe|emea|apac|amer|na|cn|` +
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

// statusCauses are statuses that name a cause by themselves: Laravel's
// 419 (the CSRF token expired), WebDAV's 423 Locked, 451 (refused for
// where the caller is), Esri's 498 (invalid token) and 499 (token
// required).
var statusCauses = map[int]Code{419: CSRFTokenRequired, 423: AccountLocked, 451: ClientIPNotAllowed, 498: CredentialsRejected, 499: CredentialsMissing}

// authStatuses are the answers read as a possible authentication
// failure: 401 and 407, and the disguises (403, 404, 400, 422) when the
// server's words say so.
var authStatuses = map[int]bool{400: true, 401: true, 403: true, 404: true, 407: true, 422: true}

// failedIn2xxBody reports whether a 2xx answer's JSON body says the call
// failed: {"ok":false} (Slack), {"success":false}, {"status":"error"},
// a JSON-RPC error object, GraphQL errors without data, or an error
// field at the top.
func failedIn2xxBody(a *answer) bool {
	if a.status < 200 || a.status > 299 {
		return false
	}
	var top map[string]any
	if json.Unmarshal(a.body, &top) != nil {
		return false
	}
	if bodyStatus(a) != 0 {
		return true
	}
	for k, v := range top {
		switch strings.ToLower(k) {
		case "ok", "success", "successful":
			if b, ok := v.(bool); ok && !b {
				return true
			}
		case "status", "result", "stat", "response", "outcome":
			if s, ok := v.(string); ok && slices.Contains([]string{"error", "fail", "failed", "failure", "denied", "unauthorized", "forbidden", "request_denied", "false", "nok", "notok", "ko"}, strings.ToLower(s)) {
				return true
			}
			if b, ok := v.(bool); ok && !b && strings.ToLower(k) != "result" {
				return true
			}
		case "errcode", "errno", "err_code", "ret", "retcode":
			if n, ok := v.(float64); ok && n != 0 {
				return true // {"errcode":40001,"errmsg":"invalid credential"}
			}
		case "error", "error_code", "errorcode", "fault":
			switch e := v.(type) {
			case string:
				if e != "" {
					return true
				}
			case map[string]any:
				return len(e) > 0
			case float64:
				return e != 0
			case []any:
				return len(e) > 0 // {"error":["EAPI:Invalid key"],"result":{}}
			}
		case "errors":
			if list, ok := v.([]any); ok && len(list) > 0 {
				return top["data"] == nil || graphQLAuthError(list)
			}
		}
	}
	return false
}

// statusKeys are the fields a JSON body states its own status in: a
// status of 400–599 says the call failed whatever the HTTP status. (An
// error number other than 0 says so too: failedIn2xxBody.)
var statusKeys = map[string]bool{"status": true, "code": true, "statuscode": true, "status_code": true, "http_status": true, "httpstatus": true, "httpcode": true, "http_code": true}

// bodyStatus returns the HTTP status a 2xx JSON body states for itself
// ({"code":401,"msg":"Unauthorized"}), or 0.
func bodyStatus(a *answer) int {
	var top map[string]any
	if json.Unmarshal(a.body, &top) != nil {
		return 0
	}
	for k, v := range top {
		if !statusKeys[strings.ToLower(k)] {
			continue
		}
		n, ok := v.(float64)
		if s, isStr := v.(string); isStr {
			f, err := strconv.ParseFloat(s, 64)
			n, ok = f, err == nil
		}
		if ok && n >= 400 && n <= 599 && n == float64(int(n)) {
			return int(n)
		}
	}
	return 0
}

// graphQLAuthError: an errors list whose extensions name an
// authentication or permission failure (Apollo's UNAUTHENTICATED,
// FORBIDDEN), which fails the call even beside partial data.
func graphQLAuthError(list []any) bool {
	for _, item := range list {
		m, _ := item.(map[string]any)
		ext, _ := m["extensions"].(map[string]any)
		code, _ := ext["code"].(string)
		if c := strings.ToUpper(code); strings.Contains(c, "AUTH") || strings.Contains(c, "FORBIDDEN") || strings.Contains(c, "PERMISSION") {
			return true
		}
	}
	return false
}

// identify reads what the answer says and which provider gave it.
func (p *prober) identify(a *answer) {
	says := readSays(a)
	if pr := identify(p.off.req.URL, a); pr != nil {
		says.Provider, p.provider = pr.Name, pr
		ev := []string{"expects " + pr.Expects, "documented at " + pr.Docs}
		if pr.Note != "" {
			ev = append(ev, pr.Note)
		}
		p.add(Finding{Code: ProviderRecognised, Status: Info, Title: "The answer is " + pr.Name + "'s", Evidence: ev})
	}
	p.says = &says
}

func (p *prober) answer(a *answer) {
	says := *p.says
	var ev []string
	if a.problem.Reason != "" {
		ev = append(ev, fmt.Sprintf("server reason %s: %s", a.problem.Reason, a.problem.Detail))
	}
	if a.problem.Reason == "" { // authgate's reason and detail say it all
		for _, st := range says.Statements {
			ev = append(ev, fmt.Sprintf("server says (%s): %q", st.Where, st.Text))
		}
	}
	for _, c := range a.challenges {
		ev = append(ev, "WWW-Authenticate: "+c.String())
	}
	if ra := a.header.Get("Retry-After"); ra != "" {
		ev = append(ev, "Retry-After: "+ra)
	}
	switch {
	case a.status >= 500:
		p.add(Finding{Code: ServerFault, Status: Fail, Basis: Stated, Title: fmt.Sprintf("The server failed (%d): this is not about your credentials", a.status),
			Evidence: ev, Fix: "Retry later (after Retry-After, if given); if it persists, the API's operators must look at their side."})
		return
	case a.status == 407 && len(p.off.req.Get("Proxy-Authorization")) == 0 && a.header.Get("Proxy-Authenticate") != "":
		// A proxy on the way wants its own credentials: the API's never
		// reached the API.
		p.add(Finding{Code: CredentialsMissing, Status: Fail, Basis: Stated, Cause: "7. Proxy or load balancer stripping headers",
			Title: "No proxy credentials were sent: a proxy between this machine and the API answers 407 and asks for its own (" +
				clip(a.header.Get("Proxy-Authenticate"), 120) + "); the request never reached the API",
			Evidence: ev, Fix: "Give the proxy its credentials (curl --proxy-user user:password, or HTTPS_PROXY=http://user:password@proxy:port), or bypass it for this host (NO_PROXY); the API's credential is not the problem."})
		return
	case a.status == 429 && (p.statedCode(a) == AccountLocked || p.statedCode(a) == ClientIPNotAllowed):
		// A 429 that says why: a lockout or a ban, not a rate.
	case a.status == 429:
		p.add(Finding{Code: TooManyFailures, Status: Fail, Basis: Stated, Title: "The server is rate limiting this client", Evidence: ev,
			Fix: "Wait for Retry-After; repeated failed attempts may have triggered it."})
		return
	}
	inBody := failedIn2xxBody(a)
	if ct := strings.ToLower(a.header.Get("Content-Type")); a.status >= 200 && a.status < 300 && !inBody && len(a.body) < 1024 &&
		(strings.Contains(ct, "json") || strings.Contains(ct, "xml") || strings.Contains(ct, "text/plain")) && p.statedCode(a) != "" {
		inBody = true // a short 2xx whose JSON, XML or text names a cause ({"status":"0","result":"Invalid API Key"}), not a page of data
	}
	redirectSays := a.status >= 300 && a.status < 400 && a.header.Get("Location") == "" // S3's PermanentRedirect
	if !authStatuses[a.status] && !inBody && !redirectSays && !(a.status >= 400 && a.status < 500) {
		return
	}
	if inBody {
		p.failedIn2xx = true // whatever it names, the call failed
	}
	if a.status == 401 && len(a.header.Values("WWW-Authenticate")) == 0 {
		p.add(Finding{Code: MissingChallenge, Status: Warn, Basis: Manners, Cause: "3. Incorrect authentication scheme",
			Title:    "The server answered 401 without a WWW-Authenticate challenge (RFC 9110 requires one): it does not say which scheme it wants",
			Evidence: []string{fmt.Sprintf("body: %.200s", strings.TrimSpace(string(a.body)))},
			Fix:      "Check the API's documentation for how it wants the credential; tell its operators the challenge is missing."})
	}
	if a.challErr != nil {
		p.add(Finding{Code: MissingChallenge, Status: Info, Basis: Manners, Title: "The WWW-Authenticate header bends RFC 9110; it was read leniently", Evidence: []string{a.challErr.Error()}})
	}
	if a.status == 401 || a.status == 407 {
		p.schemes(a)
		p.charset(a)
	}
	if p.dpop(a, ev) {
		return // a sender-constrained token (DPoP, mTLS): dpop.go
	}
	if p.namedScheme(says, ev) {
		return // the answer's words name the scheme it wants
	}
	if p.jwtExpected(says, ev) {
		return // the server parses a JWT where an API key was sent
	}
	if p.namedPlace(says, ev) {
		return // the answer's words name the header or parameter the credential goes in
	}
	code, basis, known := Code(""), Refused, false
	if c, ok := serverCodes[reason.Code(a.problem.Reason)]; ok {
		code, basis, known = c, Stated, true
	} else if st, ok := says.statedCause(); ok && !isBare(st.says) {
		code, basis, known = st.code, Stated, true // a bare refusal says that, not why
	}
	switch {
	case known && a.status == 404 && code == CredentialUnknown:
		known = false // "does not exist" in a 404 is the resource, not the credential
	case known && !p.off.sentAny && (code == InsufficientScope || code == Forbidden || code == CredentialsRejected):
		// Nothing was sent: "not allowed" is what an anonymous caller gets.
		code, basis = CredentialsMissing, Stated
	case known && (a.status == 401 || a.status == 407) && (code == Forbidden || code == InsufficientScope && !namesGrant(says)):
		// A 401 refuses the credential, whatever its words, unless they
		// name what it lacks (a scope, a role, a permission, an ACL):
		// then it authenticates and lacks that.
		code = CredentialsRejected
	}
	if code == CredentialsRejected {
		basis = Refused // that, not why
	}
	if c, ok := statusCauses[a.status]; !known && ok {
		code, basis, known = c, Stated, true
	}
	status := a.status
	if inBody && bodyStatus(a) != 0 {
		status = bodyStatus(a) // {"code":401,"message":"Unauthorized"} in a 200: the status the API means
	}
	if !known {
		switch {
		case !p.off.sentAny && (status == 401 || status == 403):
			code = CredentialsMissing
		case status == 401 || status == 407:
			code = CredentialsRejected
		case status == 403:
			code = Forbidden
		case a.status == 404 && p.off.sentAny && p.provider != nil && p.provider.Hides404:
			p.add(Finding{Code: InsufficientScope, Status: Warn, Basis: Inferred, Cause: "FAQ: 401 vs 403", Category: "permission",
				Title:    p.provider.Name + " answers 404 for what the credential may not see: this 404 may be a permission problem",
				Evidence: append(ev, p.provider.Name+": "+p.provider.Note),
				Fix:      "Check the credential's scopes and access to this resource (and that the path is right)."})
			return
		case a.status == 404 && p.off.sentAny:
			// Many APIs answer 404, not 403, for what a caller may not
			// see: with a credential sent, that is the likelier reading.
			p.add(Finding{Code: InsufficientScope, Status: Warn, Basis: Inferred, Cause: "FAQ: 401 vs 403", Category: "permission",
				Title:    "The resource is not found for this credential: a path that does not exist, or one it has no access to, hidden from it (many APIs answer 404, not 403, for what a caller may not see)",
				Evidence: ev,
				Fix:      "Check the path and base URL, then the credential's access to this resource (its scopes, the project or repository membership)."})
			return
		default:
			return // a 400, 404 or 422 that does not speak of credentials
		}
	}
	if c := refusedAs(says); code == CredentialsMissing && p.off.sentAny && c != "" {
		// "Authentication required. Please supply a valid token": the
		// one sent arrived, and is not valid.
		code, basis = c, Stated
	}
	if code == CredentialsMissing && p.off.sentAny {
		p.notArrived(a, ev)
		return
	}
	if code == InsufficientScope && a.status == 404 {
		basis = Stated
	}
	if basis == Stated && p.confirms(code, ev) {
		return
	}
	if st, ok := says.statedCause(); ok && code == TokenLifetimeTooLong && p.off.jwtToken != nil {
		if life := lifetimeAgainst(p.off.jwtToken, st.says.Text); life != "" {
			ev = append(ev, life)
		}
	}
	title := titleOf(code, a.status)
	switch st, ok := says.statedCause(); {
	case basis == Stated && a.problem.Reason != "" && a.problem.Detail != "":
		title += ": " + clip(a.problem.Detail, 200)
	case basis == Stated && ok && !isBare(st.says):
		title += fmt.Sprintf(": the server says %q", clip(st.says.Text, 200))
	case basis == Stated && len(says.Statements) > 0:
		title += ": the server says so"
	}
	p.add(Finding{Code: code, Status: Fail, Basis: basis, Cause: causeOf(code), Title: title, Evidence: ev, Fix: p.fixFor(code)})
}

// validWords: a statement that asks for a *valid* credential ("supply a
// valid API Access Token", "a valid x-api-key header must be sent").
// "A valid token is missing" says none arrived, and is not one.
var validWords = regexp.MustCompile(`(?i)\b(supply|supplied|provide|provided|send|sent|include|included|pass|passed|use|used|requires?|needs?)\b.{0,12}\b(a|an|the|your) valid\b|` +
	`\b(a|an|the|your) valid\b.{0,60}\b(must|should|has to|needs to) be (sent|supplied|provided|included|passed|set|given)`)

// refusedAs returns, when a statement of the answer asks for a *valid*
// credential, what that says of the one sent: "supply a valid API key" is
// "invalid API key" (credential_unknown), "requires a valid access token"
// "invalid access token" (credentials_rejected); "" when none asks.
// ("Authentication required" alone says neither: servers answer it to a
// credential in a place or scheme they do not read.)
func refusedAs(says ServerSays) Code {
	for _, st := range says.Statements {
		m := validWords.FindStringIndex(st.Text)
		if m == nil {
			continue
		}
		rest := st.Text[m[0]:]
		rest = validArticle.ReplaceAllString(rest, "invalid")
		if i := firstRule(rest); i >= 0 && rules[i].code == CredentialUnknown {
			return CredentialUnknown
		}
		return CredentialsRejected
	}
	return ""
}

// validArticle is the "a valid" of a request for a valid credential.
var validArticle = regexp.MustCompile(`(?i)\b(a|an|the|your) valid\b`)

// grantWords name what a credential may lack: a scope, a role, an
// administrator's rights, a named permission, an ACL.
var grantWords = regexp.MustCompile(`(?i)scope|\broles?\b|admin|superuser|management user|\bacl\b|permissions? ?[:'"‘“(]|the [\w:./-]+ permission|` +
	`[\w-]+[:.][\w:.-]+ permission|n[o']t authori[sz]ed to|privilege`)

// namesGrant reports whether the statement that names the cause names
// what the credential lacks.
func namesGrant(says ServerSays) bool {
	st, ok := says.statedCause()
	return ok && grantWords.MatchString(st.says.Text)
}

// statedCode is the cause the answer states (authgate's reason, or the
// server's words), or "".
func (p *prober) statedCode(a *answer) Code {
	if c, ok := serverCodes[reason.Code(a.problem.Reason)]; ok {
		return c
	}
	if p.says != nil {
		if st, ok := p.says.statedCause(); ok && !isBare(st.says) {
			return st.code
		}
	}
	return ""
}

// formatFamily are the findings about how a credential is written; a
// server that says "malformed" confirms the more precise one seen offline.
var formatFamily = map[Code]bool{HeaderFormat: true, BasicNotBase64: true, BasicBase64Wrapped: true, BasicTrailingNewline: true,
	BasicNoColon: true, CredentialPlaceholder: true, ShellSubstitution: true, VariableUnset: true, HeaderNameMisspelled: true, CredentialWrapped: true}

// preciseKind are findings that say precisely what "the wrong kind of
// token" is: a server saying that confirms them.
var preciseKind = map[Code]bool{CredentialWrongHeader: true, TokenForOtherAPI: true, IDTokenSent: true, BasicUsernameWrong: true}

// confirms adds the server's words to an offline failure that says the
// same more precisely (its basis becomes the server's statement), and
// reports whether it did.
func (p *prober) confirms(code Code, ev []string) bool {
	for i := range p.off.findings {
		f := &p.off.findings[i]
		if f.Status == Fail && (f.Code == code || formatFamily[code] && formatFamily[f.Code] ||
			(code == WrongTokenKind || code == TokenTypeMismatch) && preciseKind[f.Code] ||
			code == CredentialsMissing && (f.Code == VariableUnset || f.Code == HeaderNameMisspelled) ||
			(code == CredentialUnknown || code == CredentialsRejected) && (f.Code == CredentialWrongHeader || f.Code == BasicUsernameWrong ||
				f.Code == PasswordIsHash || f.Code == CredentialWrapped)) {
			f.Basis = Stated
			f.Evidence = append(f.Evidence, ev...)
			return true
		}
	}
	return false
}

// fixFor is the fix of code, with what the answering provider expects.
func (p *prober) fixFor(code Code) string {
	fix := fixOf(code)
	if pr := p.provider; pr != nil && (code == CredentialsMissing || code == CredentialsRejected || code == HeaderFormat || code == SchemeMismatch) {
		fix += " " + pr.Name + " expects " + pr.Expects + "."
	}
	return fix
}

// notArrived explains a server that says no credential arrived although
// one was sent: the wrong place, scheme or kind for this API (reported by
// credentialPlace or schemes, so "" here); a proxy that removes it when
// one shows itself; else the credential is where or how this API does not
// read it — or removed on the way — which the finding says, with the
// evidence (an inference, not a proof).
func (p *prober) notArrived(a *answer, ev []string) {
	if _, where := p.misplaced(); where != "" || !p.schemeOffered(a) {
		return
	}
	for _, f := range p.off.findings {
		if f.Status == Fail && (f.Code == WrongTokenKind || preciseKind[f.Code] || f.Code == SchemeMismatch || f.Code == CompanionHeaderMissing) {
			return // what was sent is the wrong kind or place: that says it
		}
	}
	sent := "a credential"
	if cs := p.off.credentials(); len(cs) > 0 {
		sent = cs[0].header
		if cs[0].scheme != "" {
			sent += " (" + cs[0].scheme + ")"
		}
	}
	if signs := intermediarySigns(a); len(signs) > 0 && len(p.off.req.Get("Authorization")) > 0 {
		p.add(Finding{Code: AuthorizationStripped, Status: Fail, Basis: Stated, Cause: "7. Proxy or load balancer stripping headers",
			Title:    "The server says no credentials arrived, though " + sent + " was sent, and a proxy or cache shows itself: it removes them",
			Evidence: append(ev, signs...), Fix: "Configure the proxy, load balancer or CDN in front of the API to forward the Authorization header (and not to cache authenticated answers)."})
		return
	}
	p.add(Finding{Code: CredentialWrongHeader, Status: Fail, Basis: Inferred, Cause: "3. Incorrect authentication scheme",
		Title:    "The server says no credentials arrived, though " + sent + " was sent: it reads them in another header or form (or something on the way removes them)",
		Evidence: ev,
		Fix:      "Check the API's documentation for the header and scheme it reads (Authorization: Bearer, Authorization: Token, X-API-Key, apikey, a query parameter); if it is exactly what you send, a proxy in front may strip it.",
	})
}

// schemeOffered reports whether the Authorization scheme sent is one the
// challenges offer (true when there is nothing to compare).
func (p *prober) schemeOffered(a *answer) bool {
	authz := p.off.req.Get("Authorization")
	if len(a.challenges) == 0 || len(authz) == 0 {
		return true
	}
	scheme, _, _ := strings.Cut(authz[0].Value, " ")
	for _, c := range a.challenges {
		if strings.EqualFold(c.Scheme, scheme) {
			return true
		}
	}
	return false
}

// charset: a Basic pair that is not UTF-8, sent to a server whose Basic
// challenge says charset="UTF-8" (RFC 7617), cannot match.
func (p *prober) charset(a *answer) {
	if !p.off.basicNotUTF8 {
		return
	}
	for _, c := range a.challenges {
		if cs, ok := c.Get("charset"); ok && strings.EqualFold(c.Scheme, "Basic") && strings.EqualFold(cs, "UTF-8") {
			for i := range p.off.findings {
				if f := &p.off.findings[i]; f.Code == HeaderFormat && strings.Contains(f.Title, "not UTF-8") {
					f.Status, f.Basis = Fail, Proven
					f.Title = "The Basic user name or password is not UTF-8 (Latin-1?), and the server says charset=\"UTF-8\": it cannot match"
					f.Evidence = append(f.Evidence, "WWW-Authenticate: "+c.String())
					f.Fix = "Send the pair encoded as UTF-8 (a UTF-8 terminal and curl -u do), not Latin-1 or another code page."
				}
			}
		}
	}
}

// schemes compares the scheme sent with the schemes the server offers.
func (p *prober) schemes(a *answer) {
	if len(a.challenges) == 0 || !p.off.sentAny {
		return
	}
	var offered, ev []string
	for _, c := range a.challenges {
		offered = append(offered, c.Scheme)
		ev = append(ev, "WWW-Authenticate: "+c.String())
	}
	for _, h := range p.off.req.Get("Authorization") {
		scheme, _, _ := strings.Cut(h.Value, " ")
		if diagnose.Scheme(diagnose.Credential{Scheme: scheme, Header: "Authorization"}, a.challenges) == nil {
			continue
		}
		f := Finding{Code: SchemeMismatch, Status: Fail, Cause: "3. Incorrect authentication scheme",
			Title:    fmt.Sprintf("The request uses %s; the server asks for %s", scheme, strings.Join(offered, " or ")),
			Evidence: ev, Fix: schemeFix(a.challenges[0])}
		switch c := a.challenges[0]; {
		case strings.EqualFold(c.Scheme, "Basic"):
			f.Command = p.off.withBasicFlag()
		case tokenExchange(c) != "":
			f.Command = tokenExchange(c)
		case challenge.IsToken(c.Scheme):
			f.Command = p.off.command(func(r *Request) {
				r.removeHeader("Authorization")
				r.Headers = append(r.Headers, Header{Name: "Authorization", Value: c.Scheme + " x"})
			})
		}
		p.add(f)
	}
}

// schemeWords are the ways an answer names the scheme it wants in words:
// "must start with Token", "use the Bot prefix", "Authorization: Bot
// <token>", "expected 'Authorization: Bearer <JWT>'".
var schemeWords = []*regexp.Regexp{
	regexp.MustCompile(`(?i)(?:must|should|needs? to|has to) (?:start|begin) with (?:the )?["'‘“]?([A-Za-z][\w-]*)`),
	regexp.MustCompile(`(?i)\buse (?:the )?["'‘“]?([A-Za-z][\w-]*)["'’”]? (?:prefix|scheme|(?:authentication|authorization) (?:scheme|method|type))`),
	regexp.MustCompile(`(?i)authorization: ?["'‘“]?([A-Za-z][\w-]*)=? ?[<{\[]`),
	regexp.MustCompile(`(?i)\b([A-Za-z][\w-]*) (?:prefix|scheme) (?:is )?(?:required|missing|expected)`),
	regexp.MustCompile(`(?i)(?:scheme|prefix) (?:must be|should be|expected:?) ["'‘“]?([A-Za-z][\w-]*)`),
	regexp.MustCompile(`(?i)(?:in the form|formatted as|format(?: is| must be| should be)?|like)(?: of)?:? ["'‘“]?(?:authorization: ?)?([A-Za-z][\w-]*) [<{\[]`),
}

// notSchemes are words the patterns of schemeWords catch that name no
// scheme.
var notSchemes = map[string]bool{"a": true, "an": true, "the": true, "your": true, "valid": true, "http": true, "https": true,
	"authorization": true, "auth": true, "correct": true, "right": true, "proper": true, "this": true, "that": true, "header": true}

// namedScheme reports a scheme mismatch when a statement of the answer
// names the scheme it wants and the request's Authorization header uses
// another one (or none): the server's words, not a table of services.
func (p *prober) namedScheme(says ServerSays, ev []string) bool {
	sent := p.off.req.Get("Authorization")
	if len(sent) == 0 {
		return false
	}
	for _, st := range says.Statements {
		for _, re := range schemeWords {
			m := re.FindStringSubmatch(st.Text)
			if m == nil || notSchemes[strings.ToLower(m[1])] {
				continue
			}
			want := m[1]
			scheme, _, ok := strings.Cut(strings.TrimSpace(sent[0].Value), " ")
			if !ok {
				scheme = "(no scheme)"
			}
			if strings.EqualFold(scheme, want) || strings.HasPrefix(strings.ToLower(sent[0].Value), strings.ToLower(want)+"=") {
				return false
			}
			p.add(Finding{Code: SchemeMismatch, Status: Fail, Basis: Stated, Cause: "3. Incorrect authentication scheme",
				Title:    fmt.Sprintf("The request uses %s; the server asks for %s: the server says %q", scheme, want, clip(st.Text, 200)),
				Evidence: append([]string{st.Where + ": " + st.Text}, ev...),
				Fix:      fmt.Sprintf("Send the credential as Authorization: %s <credential>, the scheme the server names.", want),
				Command: p.off.command(func(r *Request) {
					v := strings.TrimSpace(sent[0].Value)
					if ok {
						_, v, _ = strings.Cut(v, " ")
					}
					r.removeHeader("Authorization")
					r.Headers = append(r.Headers, Header{Name: "Authorization", Value: want + " " + strings.TrimSpace(v)})
				})})
			return true
		}
	}
	return false
}

// jwtWords: a statement that speaks of a JWT it could not read.
var jwtWords = regexp.MustCompile(`(?i)\b(invalid|malformed|bad|expected|not a valid|could not (parse|decode|verify)|unable to (parse|decode)|missing)\b.{0,20}\bjwt\b|\bjwt\b.{0,20}\b(malformed|invalid|expected|could not be (parsed|decoded))`)

// jwtExpected reports a credential in the wrong header when the server
// says it could not read a JWT and what the Authorization header holds is
// no JWT at all (an API key or personal token, no dots): the header is
// where the server reads its sessions' JWTs, and the key goes in the one
// the API documents for keys (X-API-Key…), or must be exchanged for a JWT.
func (p *prober) jwtExpected(says ServerSays, ev []string) bool {
	sent := p.off.req.Get("Authorization")
	if len(sent) == 0 {
		return false
	}
	scheme, value, ok := strings.Cut(strings.TrimSpace(sent[0].Value), " ")
	value = strings.TrimSpace(value)
	if !ok || !strings.EqualFold(scheme, "Bearer") || len(value) < 16 || strings.Count(value, ".") >= 2 || strings.HasPrefix(value, "eyJ") ||
		credential.Placeholder(value) != "" {
		return false
	}
	if st, ok := says.statedCause(); ok && !genericStated[st.code] {
		return false // the server names another cause (an expiry, an audience): it read a JWT
	}
	for _, st := range says.Statements {
		if !jwtWords.MatchString(st.Text) {
			continue
		}
		p.add(Finding{Code: CredentialWrongHeader, Status: Fail, Basis: Stated, Cause: "3. Incorrect authentication scheme",
			Title:    fmt.Sprintf("The server reads a JWT in the Authorization header, and the Bearer value sent is no JWT (an API key or token, no dots): the server says %q", clip(st.Text, 200)),
			Evidence: append([]string{st.Where + ": " + st.Text, "Bearer " + p.off.mask.show(value) + ": not three dot-separated parts"}, ev...),
			Fix:      "Send the API key in the header the API documents for keys (often X-API-Key), or exchange it for a JWT (a login or token endpoint) and send that as Bearer."})
		return true
	}
	return false
}

// placeWords are the ways an answer names where the credential goes: "in
// the x-api-key header", "pass it as the api_key query parameter".
var (
	headerPlace = regexp.MustCompile(`(?i)\b(?:in|via|using|with|through|use|into|as)\s+(?:the|an?)?\s*["'‘“\x60]?((?:x-)?[A-Za-z][\w-]*)["'’”\x60]?\s+(?:http\s+)?(?:request\s+)?header|` +
		// "Missing x-api-key header", "header X-Api-Key is required"
		`\b(?:missing|requires?|required|no|expected|expects?|provide|send|include)\s+(?:the\s+|an?\s+)?["'‘“\x60]?((?:x-)?[A-Za-z][\w-]*)["'’”\x60]?\s+(?:http\s+)?(?:request\s+)?header|` +
		`\bheader\s+["'‘“\x60]?((?:x-)?[A-Za-z][\w-]*)["'’”\x60]?\s+(?:is\s+)?(?:missing|required|expected|not (?:found|present|set))|` +
		`["'‘“\x60]?((?:x-)?[A-Za-z][\w-]*)["'’”\x60]?\s+header\s+(?:must|should|has to|needs to)\s+be\s+(?:sent|set|provided|included|present|supplied)`)
	queryPlace = regexp.MustCompile(`(?i)\b(?:in|via|using|with|through|as|use)\s+(?:the|an?)?\s*["'‘“\x60]?([A-Za-z][\w-]*)["'’”\x60]?\s+(?:query|url|querystring)\s*(?:string\s+)?param(?:eter)?`)
	credWord   = regexp.MustCompile(`(?i)key|token|auth|secret|session|cookie|signature`)
)

// namedPlace reports a credential in the wrong place when a statement of
// the answer names the header or query parameter the credential goes in
// (a name with key, token, auth… in it) and the request sends nothing
// there: the server's words, not a table of services.
func (p *prober) namedPlace(says ServerSays, ev []string) bool {
	if !p.off.sentAny {
		return false
	}
	query := ""
	if u, err := url.Parse(p.off.req.URL); err == nil {
		query = strings.ToLower(u.RawQuery)
	}
	companion := slices.ContainsFunc(p.off.findings, func(f Finding) bool { return f.Code == CompanionHeaderMissing && f.Status == Fail })
	for _, st := range says.Statements {
		if m := headerPlace.FindStringSubmatch(st.Text); m != nil && credWord.MatchString(firstGroup(m)) && !strings.EqualFold(firstGroup(m), "auth") &&
			!strings.EqualFold(firstGroup(m), "authorization") && (m[1] != "" || isCredentialHeader(firstGroup(m)) && !companion) {
			// "in the X header" names where the credential goes; "missing
			// X header", "X header must be sent" only when X is a
			// credential's header and nothing shows it is one the API
			// needs beside the credential.
			m[1] = firstGroup(m)
			if len(p.off.req.Get(m[1])) > 0 {
				return false
			}
			p.add(Finding{Code: CredentialWrongHeader, Status: Fail, Basis: Stated, Cause: "3. Incorrect authentication scheme",
				Title:    fmt.Sprintf("The credential is not in the %s header, where the server reads it: the server says %q", m[1], clip(st.Text, 200)),
				Evidence: append([]string{st.Where + ": " + st.Text}, ev...),
				Fix:      fmt.Sprintf("Send the credential in the %s header.", m[1])})
			return true
		}
		if m := queryPlace.FindStringSubmatch(st.Text); m != nil && credWord.MatchString(m[1]) {
			name := strings.ToLower(m[1])
			if strings.Contains("&"+query, "&"+name+"=") {
				return false
			}
			p.add(Finding{Code: CredentialWrongHeader, Status: Fail, Basis: Stated, Cause: "3. Incorrect authentication scheme",
				Title:    fmt.Sprintf("The credential is not in the %s query parameter, where the server reads it (it was sent in a header): the server says %q", m[1], clip(st.Text, 200)),
				Evidence: append([]string{st.Where + ": " + st.Text}, ev...),
				Fix:      fmt.Sprintf("Send the credential as ?%s=<credential> in the URL.", m[1])})
			return true
		}
	}
	return false
}

// firstGroup is the first non-empty group of a match of alternatives.
func firstGroup(m []string) string {
	for _, g := range m[1:] {
		if g != "" {
			return g
		}
	}
	return ""
}

// schemeFix says how to answer a challenge, from its scheme and
// parameters, for schemes the doctor knows and those it does not.
func schemeFix(c challenge.Challenge) string {
	realm, _ := c.Get("realm")
	service, hasService := c.Get("service")
	switch {
	case strings.EqualFold(c.Scheme, "Basic"):
		return "Send Basic credentials (user name and password, or whatever the API documents as such): curl -u user:password."
	case strings.EqualFold(c.Scheme, "Bearer") && hasService && strings.HasPrefix(realm, "http"):
		return fmt.Sprintf("This is a token-exchange challenge (Docker registry style): GET %s with service=%s and the scope, authenticating there with your user name and password, then send the token it returns as Authorization: Bearer.", realm, service)
	case strings.EqualFold(c.Scheme, "Bearer"):
		return "Send an OAuth access token: Authorization: Bearer <token>."
	}
	var params []string
	for _, p := range c.Params {
		params = append(params, p.Name+"="+p.Value)
	}
	fix := fmt.Sprintf("The server asks for the %s scheme: send Authorization: %s <credential>, built as that scheme's specification says", c.Scheme, c.Scheme)
	if len(params) > 0 {
		fix += " (its parameters: " + strings.Join(params, ", ") + ")"
	}
	return fix + "."
}

// tokenExchange is the request a registry-style Bearer challenge
// (realm, service, scope) asks for, or "".
func tokenExchange(c challenge.Challenge) string {
	realm, _ := c.Get("realm")
	service, ok := c.Get("service")
	if !strings.EqualFold(c.Scheme, "Bearer") || !ok || !strings.HasPrefix(realm, "http") {
		return ""
	}
	q := url.Values{"service": {service}}
	if scope, ok := c.Get("scope"); ok {
		q.Set("scope", scope)
	}
	return "curl -u '<user>:<password>' " + shellQuote(realm+"?"+q.Encode()) + "   # then: -H \"Authorization: Bearer $TOKEN\" with its token field"
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
		// The server's "expired" or "not yet valid" is the consequence;
		// its clock is the cause.
		// The offline clock checks (as in offline.bearer), by the server's clock.
		serverNow := a.date
		exp, _ := diagnose.ClaimTime(d, "exp")
		switch {
		case diagnose.Expired(d, serverNow, 0) != nil && diagnose.Expired(d, a.localAt, 0) == nil:
			f.Status, f.Basis = Fail, Proven
			f.Evidence = append(f.Evidence, fmt.Sprintf("by the server's clock the token expired %s ago; by this machine's it is still valid", serverNow.Sub(exp).Round(time.Second)))
		case diagnose.NotYetValid(d, serverNow, 30*time.Second) != nil:
			f.Status, f.Basis = Fail, Proven
			f.Evidence = append(f.Evidence, "by the server's clock the token is not valid yet (nbf/iat in its future)")
		}
		if c := p.statedCode(a); f.Status == Fail && (c == TokenExpired || c == TokenNotYetValid) {
			f.Basis = Stated // the server said the consequence; its clock is the cause
		}
	}
	p.add(f)
}

func (p *prober) withoutCredentials(ctx context.Context, with *answer) {
	if _, ok := p.off.urlWithoutCredentials(); !ok {
		return // the credential is in the path or the body: nothing to compare
	}
	chain, err := p.send(ctx, false, nil)
	if err != nil {
		return
	}
	without := p.last(chain)
	if with.status == 404 && (without.status == 401 || without.status == 407) {
		// The credential changed the answer from "who are you?" to "no
		// such thing": it authenticates, and this resource is hidden
		// from it.
		p.add(Finding{Code: Forbidden, Status: Fail, Basis: Proven, Cause: "FAQ: 401 vs 403",
			Title:    fmt.Sprintf("The credential is accepted (without it the server answers %d, with it 404): this resource is hidden from it — a missing permission, not a bad credential", without.status),
			Evidence: []string{fmt.Sprintf("without credentials: %d; with them: 404", without.status)},
			Fix:      "Grant the credential access to this resource (its scopes, the repository or project membership), or check the path; many APIs answer 404 for what a caller may not see."})
		return
	}
	if with.status == 403 && (without.status == 401 || without.status == 407) {
		// Without the credential "who are you?", with it "not allowed":
		// the credential authenticates; the refusal is about permission.
		for i := range p.off.findings {
			if f := &p.off.findings[i]; f.Status == Fail && (f.Code == Forbidden || f.Code == InsufficientScope) {
				if basisOf(*f) == Refused {
					f.Basis = Proven
				}
				f.Evidence = append(f.Evidence, fmt.Sprintf("without credentials the server answers %d, with them 403: the credential authenticates", without.status))
			}
		}
		return
	}
	if with.status == 404 || !sameAnswer(with, without) {
		return // the same 404 for anyone is about the path, not a refusal
	}
	f := Finding{Code: SameWithoutCredentials, Status: Warn, Basis: Manners, Cause: "7. Proxy or load balancer stripping headers",
		Title: fmt.Sprintf("The server answers exactly the same (%d) with and without the credentials: it refuses before looking at them", with.status),
		Evidence: []string{"status, body (dates and request ids masked) and challenges are identical",
			"so the refusal does not depend on the credential: this client's IP address is not allowed (an allow-list or ban), a header the API needs beside the credential is missing, the base URL (region, deployment) is wrong, or the credential never reaches the application"},
		Fix: "Look past the credential: call from an allowed address, add the headers the API documents, check the base URL for your account, and check that a proxy forwards Authorization."}
	if with.status == 403 && p.statedCode(with) == "" {
		// A 403 that names no cause and is the same for anyone: the
		// identical refusal is the best evidence there is, and it says
		// the credential is not it. (A 401 the same both ways may be a
		// server that words every refusal alike: a note, not a verdict.)
		f.Status, f.Basis = Fail, Refused
		// "Authenticated, but a policy forbids" is what the 403 alone
		// suggested; the comparison shows nothing was authenticated.
		kept := p.off.findings[:0]
		for _, g := range p.off.findings {
			if g.Code == Forbidden && g.Status == Fail {
				f.Evidence = append(f.Evidence, g.Evidence...)
				continue
			}
			kept = append(kept, g)
		}
		p.off.findings = kept
	}
	if signs := intermediarySigns(with); len(signs) > 0 {
		f.Status, f.Basis = Fail, Proven
		f.Title = fmt.Sprintf("A cache or proxy answers (%d) the same with and without the credentials: they do not reach the API, or a stored answer is served", with.status)
		f.Evidence = signs
		f.Fix = "Have the proxy or CDN forward Authorization to the origin and never cache authenticated answers (Cache-Control: private, no-store; Vary: Authorization); test against the origin directly to compare."
	}
	p.add(f)
}

// volatile are the parts of an answer that differ between two identical
// refusals: dates and times, request and trace ids, long hex or base64
// nonces, Unix timestamps.
var volatile = regexp.MustCompile(`(?i)\b(mon|tue|wed|thu|fri|sat|sun), \d{2} \w{3} \d{4} [\d:]{8} gmt|` +
	`\d{4}-\d{2}-\d{2}[t ][\d:.]+(z|[+-]\d{2}:?\d{2})?|` +
	`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|` +
	`\b[0-9a-f]{16,}\b|\b[A-Za-z0-9_-]{20,}\b|\b\d{10,13}\b|` +
	`"(request_?id|trace_?id|correlation_?id|x-request-id|requestid|traceid|debug_id|timestamp|time)"\s*:\s*("[^"]*"|\d+)`)

// sameAnswer reports whether two answers are the same refusal: status,
// body with its volatile parts masked, and the challenges.
func sameAnswer(a, b *answer) bool {
	if a.status != b.status {
		return false
	}
	if volatile.ReplaceAllString(string(a.body), "…") != volatile.ReplaceAllString(string(b.body), "…") {
		return false
	}
	ca, cb := a.header.Values("WWW-Authenticate"), b.header.Values("WWW-Authenticate")
	if len(ca) != len(cb) {
		return false
	}
	ca, cb = slices.Clone(ca), slices.Clone(cb)
	slices.Sort(ca)
	slices.Sort(cb)
	return slices.Equal(ca, cb)
}

// intermediarySigns are the headers that show a cache or proxy answered.
func intermediarySigns(a *answer) []string {
	var out []string
	for _, h := range []string{"Via", "X-Cache", "X-Served-By", "X-Amz-Cf-Id", "Cf-Cache-Status", "Age", "X-Varnish", "X-Proxy-Cache"} {
		if v := a.header.Get(h); v != "" {
			out = append(out, h+": "+v)
		}
	}
	server := strings.ToLower(a.header.Get("Server"))
	for _, s := range []string{"varnish", "cloudfront", "akamai", "fastly", "squid", "envoy"} {
		if strings.Contains(server, s) {
			out = append(out, "Server: "+a.header.Get("Server"))
			break
		}
	}
	return out
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
		if reason.CodeOf(err) == reason.TokenKeyUnknown {
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
