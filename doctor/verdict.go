package doctor

import (
	"fmt"
	"slices"
	"strings"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/internal/lazyregexp"
	"github.com/authgate/authgate/reason"
)

// statusCauses are statuses that name a cause by themselves: 410 (the
// endpoint or version is retired: the API moved on), Laravel's
// 419 (the CSRF token expired), WebDAV's 423 Locked, 451 (refused for
// where the caller is), Esri's 498 (invalid token) and 499 (token
// required).
var statusCauses = map[int]Code{410: WrongBaseURL, 419: CSRFTokenRequired, 423: AccountLocked, 451: ClientIPNotAllowed, 498: CredentialsRejected, 499: CredentialsMissing}

// authStatuses are the answers read as a possible authentication
// failure: 401 and 407, and the disguises (403, 404, 400, 422) when the
// server's words say so.
var authStatuses = map[int]bool{400: true, 401: true, 403: true, 404: true, 407: true, 422: true}

// answer reads why the final answer refuses the request, if it does, and
// adds the finding that says it.
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
	// A 500 whose words name a cause (a lockout, a token not yet valid)
	// is a refusal the server mislabels: its words say why.
	mislabelled := a.status == 500 && (namesCause(p.statedCode(a)) || soapClientFault.Match(a.body))
	switch {
	case mislabelled:
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
	if ct := strings.ToLower(a.header.Get("Content-Type")); a.status >= 200 && a.status < 300 && !inBody && len(a.body) < 4096 {
		stated := p.statedCode(a)
		switch {
		case stated != "" && (strings.Contains(ct, "json") || strings.Contains(ct, "xml") || strings.Contains(ct, "text/plain")) && (len(a.body) < 1024 || namesCause(stated)):
			inBody = true // a short 2xx whose JSON, XML or text names a cause ({"status":"0","result":"Invalid API Key"}), not a page of data
		case strings.Contains(ct, "html") && len(a.body) < 2048 && namesCause(stated):
			inBody = true // a short error page served as 200 that names a cause ("Access denied: your token has expired")
		}
	}
	redirectSays := a.status >= 300 && a.status < 400 && a.header.Get("Location") == "" // S3's PermanentRedirect
	if !authStatuses[a.status] && !inBody && !redirectSays && !mislabelled && !(a.status >= 400 && a.status < 500) {
		return
	}
	if inBody {
		p.failedIn2xx = true // whatever it names, the call failed
	}
	p.bareKeyRead(a)
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
		p.pairScheme(a)
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
	case known && inBody && bodyStatus(a) != 403 && code == InsufficientScope && accessRefusal.MatchString(statedText(says)) && !namesGrant(says):
		// A 2xx that refuses the thing called and names nothing the
		// credential lacks ("You are not authorized to access this
		// file"): read like a 401, the credential is refused.
		code = CredentialsRejected
	case code == CSRFTokenRequired && p.off.numericNonce():
		// "Invalid nonce" to a request that sends its own counting nonce
		// (a time in milliseconds, an exchange's signed call): the nonce
		// is behind the server's, not a page's CSRF token.
		code = ClockSkew
	case code == TokenExpired && requestExpired.MatchString(statedText(says)) && p.off.stamped():
		// "Request expired" to a request that carries its own time: the
		// time it was signed at is too old for the server, not a token.
		code = ClockSkew
	}
	if code == CredentialsRejected {
		basis = Refused // that, not why
	}
	if code == TokenSignatureInvalid && p.off.jwtToken == nil && a.problem.Reason == "" {
		// No token was sent whose signature could fail: the signature is
		// the request's own (an HMAC over the request).
		code = RequestSignatureInvalid
	}
	if c, ok := statusCauses[a.status]; !known && ok {
		code, basis, known = c, Stated, true
	}
	status := a.status
	if inBody && bodyStatus(a) != 0 {
		status = bodyStatus(a) // {"code":401,"message":"Unauthorized"} in a 200: the status the API means
	}
	if _, ok := says.statedCause(); ok && a.status == 500 && soapClientFault.Match(a.body) {
		status = 401 // a SOAP client fault that refuses ("Authentication failed"): the 401 SOAP cannot send
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
			p.add(Finding{Code: Forbidden, Status: Warn, Basis: Inferred, Cause: "FAQ: 401 vs 403", Category: "permission",
				Title:    "The resource is not found for this credential: a path that does not exist, or one it has no access to, hidden from it (many APIs answer 404, not 403, for what a caller may not see)",
				Evidence: ev,
				Fix:      "Check the path and base URL, then the credential's access to this resource (its scopes, the project or repository membership)."})
			return
		default:
			return // a 400, 404 or 422 that does not speak of credentials
		}
	}
	if by := signedBy(p.off.requestFields()); code == CredentialsRejected && by != "" {
		// A request that carries its own signature, refused with no
		// reason: the signature (or the secret it is made with) is the
		// likeliest fault.
		code, basis = RequestSignatureInvalid, Refused
		ev = append(ev, "the request carries its own signature ("+by+"): refused without a reason, that signature — or the secret it is computed with — is the likeliest fault")
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
		if life := lifetimeAgainst(p.off.jwtToken, st.says.Text, p.opts.now()); life != "" {
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

// pairScheme: an id:secret pair sent as a Bearer token is a client's
// credentials to exchange — unless the answer challenges a scheme that
// takes such a pair itself (Basic, ApiKey: Elasticsearch's API keys are
// base64 of id:key), where the scheme is the fault.
func (p *prober) pairScheme(a *answer) {
	if !slices.ContainsFunc(a.challenges, func(c challenge.Challenge) bool {
		return strings.EqualFold(c.Scheme, "Basic") || strings.EqualFold(c.Scheme, "ApiKey")
	}) {
		return
	}
	for i := range p.off.findings {
		if f := &p.off.findings[i]; f.Code == WrongTokenKind && f.Status == Fail && f.Title == clientPairTitle {
			f.Status = Warn
		}
	}
}

// bareKeyRead: an answer that quotes back the bare credential sent in
// Authorization ("Invalid API KEY: q8Zt3Lm7…") read it as sent, so the
// missing scheme word is this API's convention, not the fault: the
// finding that calls the header malformed for it is kept as a warning.
func (p *prober) bareKeyRead(a *answer) {
	auth := p.off.req.Get("Authorization")
	if len(auth) != 1 {
		return
	}
	v := strings.TrimSpace(auth[0].Value)
	if len(v) < 8 || strings.ContainsAny(v, " \t") || !strings.Contains(string(a.body), v) {
		return
	}
	p.off.demoteBareCredential("the answer quotes the credential back: the API read it as sent, without a scheme word")
}

// validWords: a statement that asks for a *valid* credential ("supply a
// valid API Access Token", "a valid x-api-key header must be sent").
// "A valid token is missing" says none arrived, and is not one.
var validWords = lazyregexp.New(`(?i)\b(supply|supplied|provide|provided|send|sent|include|included|pass|passed|use|used|requires?|needs?)\b.{0,12}\b(a|an|the|your) valid\b|` +
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
var validArticle = lazyregexp.New(`(?i)\b(a|an|the|your) valid\b`)

// grantWords name what a credential may lack: a scope, a role, an
// administrator's rights, a named permission, an ACL.
var grantWords = lazyregexp.New(`(?i)scope|\broles?\b|admin|superuser|management user|\bacl\b|permissions? ?[:'"‘“(]|the [\w:./-]+ permission|` + accessKind + ` (access|permissions?|privileges?|rights)|read[- ]only|` +
	`[\w-]+[:.][\w:.-]+ permission|n[o']t authori[sz]ed to|privilege|insufficient[_ ](permissions?|scopes?|rights|access)|access (type|level)`)

// lacksGrant: a statement that the credential it identified (the key,
// the token, the account) has no permission or access for this ("Your
// API key does not have permission to use this endpoint", "This token
// lacks the 'write' permission"): it was read and authenticated.
var lacksGrant = lazyregexp.New(`(?i)\b(key|token|account|user|app|application|client|integration|credentials?)\b.{0,40}\b(does not have|doesn't have|do not have|don't have|does not permit|doesn't permit|lacks?|has no|have no|is not allowed to|isn't allowed to|not allowed to|is not permitted to|not authori[sz]ed (to|for)|can only (access|use|call))\b`)

// accessRefusal is a refusal that names the thing refused and nothing it
// lacks ("You are not authorized to access this file"): it says no
// grant.
var accessRefusal = lazyregexp.New(`(?i)\bn[o']t authori[sz]ed to (access|use|view|see|call|open|read) (this|the|that) (file|page|resource|endpoint|url|path|api|method|area|document|content|data|site)\b`)

// namesGrant reports whether the statement that names the cause names
// what the credential lacks, or says the credential it read lacks it.
func namesGrant(says ServerSays) bool {
	st, ok := says.statedCause()
	text := accessRefusal.ReplaceAllString(st.says.Text, "")
	return ok && (grantWords.MatchString(text) || lacksGrant.MatchString(text))
}

// statedText is the text of the statement that names the cause, or "".
func statedText(says ServerSays) string {
	st, _ := says.statedCause()
	return st.says.Text
}

// requestExpired: the server says the request, not a token, expired.
var requestExpired = lazyregexp.New(`(?i)\brequest (has |is )?expired\b`)

// soapClientFault is a SOAP fault that blames the caller (faultcode
// Client, SOAP 1.2's Sender): servers send those as 500 by the protocol's
// rule, and they are no failure of the server.
var soapClientFault = lazyregexp.New(`(?is)<([\w-]+:)?(faultcode|Value)>\s*([\w-]+:)?(Client|Sender)\b`)

// formatFamily are the findings about how a credential is written; a
// server that says "malformed" confirms the more precise one seen offline.
var formatFamily = map[Code]bool{HeaderFormat: true, BasicNotBase64: true, BasicBase64Wrapped: true, BasicTrailingNewline: true,
	BasicNoColon: true, CredentialPlaceholder: true, ShellSubstitution: true, VariableUnset: true, HeaderNameMisspelled: true, CredentialWrapped: true}

// preciseKind are findings that say precisely what "the wrong kind of
// token" is: a server saying that confirms them.
var preciseKind = map[Code]bool{CredentialWrongHeader: true, TokenForOtherAPI: true, IDTokenSent: true, BasicUsernameWrong: true}

// sentAsWrong are the failures read in what is sent that say which
// credential is the wrong one — its kind (a publishable key, a refresh
// token, a webhook secret) or its environment: "Invalid API key" is what
// a server says of it, and it says why.
var sentAsWrong = map[Code]bool{WrongTokenKind: true, TokenTypeMismatch: true, WrongEnvironment: true}

// confirms adds the server's words to an offline failure that says the
// same more precisely (its basis becomes the server's statement), and
// reports whether it did.
func (p *prober) confirms(code Code, ev []string) bool {
	for i := range p.off.findings {
		f := &p.off.findings[i]
		if f.Status == Fail && (f.Code == code || formatFamily[code] && formatFamily[f.Code] ||
			(code == WrongTokenKind || code == TokenTypeMismatch) && preciseKind[f.Code] ||
			code == CredentialsMissing && (f.Code == VariableUnset || f.Code == HeaderNameMisspelled) ||
			(code == HeaderFormat || code == CredentialUnknown) && f.Code == SchemeMismatch ||
			(code == TokenExpired || code == TokenNotYetValid) && f.Code == TokenLifetimeTooLong ||
			(code == CredentialUnknown || code == CredentialsRejected) && (f.Code == CredentialWrongHeader || f.Code == BasicUsernameWrong ||
				f.Code == PasswordIsHash || f.Code == CredentialWrapped || sentAsWrong[f.Code])) {
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
	f := Finding{Code: CredentialWrongHeader, Status: Fail, Basis: Inferred, Cause: "3. Incorrect authentication scheme",
		Title:    "The server says no credentials arrived, though " + sent + " was sent: it reads them in another header or form (or something on the way removes them)",
		Evidence: ev,
		Fix:      "Check the API's documentation for the header and scheme it reads (Authorization: Bearer, Authorization: Token, X-API-Key, apikey, a query parameter); if it is exactly what you send, a proxy in front may strip it.",
	}
	// An Authorization header the server reads and finds empty of
	// credentials is one whose scheme it does not take (Bearer where it
	// wants Token, or the reverse), unless its words name the key or token
	// it looked for and not the scheme sent: such an API reads it in a
	// header of its own. Basic is always parsed.
	if cs := p.off.credentials(); len(cs) > 0 && cs[0].header == "Authorization" && cs[0].scheme != "" && !strings.EqualFold(cs[0].scheme, "Basic") &&
		!slices.ContainsFunc(p.says.Statements, func(st Statement) bool { return namesOwnHeader(st.Text, cs[0].scheme) }) {
		f.Code = SchemeMismatch
		f.Title = "The server says no credentials arrived, though Authorization was sent with the " + cs[0].scheme + " scheme: it does not take that scheme (or something on the way removes the header)"
		f.Fix = "Send the credential with the scheme the API documents (Authorization: Bearer, Token, Bot, ApiKey…); if it is exactly what you send, a proxy in front may strip the header."
	}
	p.add(f)
}

// keyWords: an answer that speaks of the key or token it found none of
// ("No API key found in request", "No token could be found.", Sa-Token's
// "未能读取到有效 token") names what it reads in a header of its own.
var keyWords = lazyregexp.New(`(?i)\bkey\b|api[-_ ]?key|apikey|\btoken\b|令牌|jeton|токен|トークン`)

// namesOwnHeader reports whether a statement that no credential arrived
// names the key or token it looked for and not the scheme that was sent
// ("no Bearer token" is about the Authorization header that was sent).
func namesOwnHeader(text, scheme string) bool {
	return keyWords.MatchString(text) && !strings.Contains(strings.ToLower(text), strings.ToLower(scheme))
}
