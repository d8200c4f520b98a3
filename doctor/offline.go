package doctor

import (
	"bufio"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/diagnose"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/internal/lazyregexp"
	"github.com/authgate/authgate/internal/spelling"
	"github.com/authgate/authgate/reason"
)

// masker shows a secret as its first 4 characters, its length and a
// fingerprint under a key drawn per run.
type masker struct{ key []byte }

func newMasker() *masker {
	k := make([]byte, 32)
	rand.Read(k)
	return &masker{key: k}
}

func (m *masker) fp(secret string) string {
	h := hmac.New(sha256.New, m.key)
	h.Write([]byte(secret))
	return hex.EncodeToString(h.Sum(nil)[:6])
}

func (m *masker) show(secret string) string {
	return fmt.Sprintf("%q (%d bytes, fp %s)", cut4(secret), len(secret), m.fp(secret))
}

// offline checks what is sent, without sending it.
type offline struct {
	req      *Request
	opts     *Options
	mask     *masker
	findings []Finding
	// jwtToken is the Bearer JWT sent, if any (for later clock checks).
	jwtToken *jwt.Decoded
	sentAny  bool
	// basicNotUTF8: the Basic pair sent is not UTF-8.
	basicNotUTF8 bool
	// unremovable: a credential travels in the path or the body, so no
	// request can be sent without it.
	unremovable bool
}

// add records f; a second finding of the same code (the server confirming
// what was seen offline) adds its evidence to the first.
func (o *offline) add(f Finding) {
	for i := range o.findings {
		if o.findings[i].Code == f.Code && o.findings[i].Status == f.Status {
			o.findings[i].Evidence = append(o.findings[i].Evidence, f.Evidence...)
			if o.findings[i].Command == "" {
				o.findings[i].Command = f.Command
			}
			return
		}
	}
	o.findings = append(o.findings, f)
}

func (o *offline) run() {
	o.envChecks()
	for _, h := range o.req.Dropped {
		o.variableUnset(h, fmt.Sprintf("curl sends no %s header at all", h.Name), nil)
	}
	o.queryCredentials()
	o.urlCredentials()
	o.bodyCredentials()
	authz := o.req.Get("Authorization")
	if len(authz) > 1 {
		o.add(Finding{Code: HeaderFormat, Status: Fail, Cause: "4. Incorrect token format",
			Title:    fmt.Sprintf("%d Authorization headers are sent", len(authz)),
			Evidence: []string{"Authorization is not a list header: servers refuse or pick one at random (RFC 9110 section 5.3)"},
			Fix:      "Send exactly one Authorization header."})
	}
	for _, h := range authz {
		o.sentAny = true
		o.authorization(h)
	}
	for _, h := range o.req.Headers {
		if isCredentialHeader(h.Name) && !strings.EqualFold(h.Name, "Authorization") && !strings.EqualFold(h.Name, "Cookie") {
			o.sentAny = true
			o.apiKeyHeader(h)
		}
	}
	o.nearHeaders()
	if !o.sentAny {
		o.misspelledHeaders()
	}
	for _, h := range o.req.Get("Cookie") {
		if len(h.Unset) > 0 {
			o.sentAny = true
			o.variableUnset(h, "the cookie is sent without its value", []string{"Cookie expands to " + o.mask.show(h.Value)})
		}
	}
	o.strayJWTs()
	o.staleTimestamp()
	if !o.sentAny && len(o.req.Get("Cookie")) == 0 {
		o.add(Finding{Code: CredentialsMissing, Status: Fail, Cause: "1. Missing Authorization header",
			Title: "The request sends no credentials (no Authorization or API-key header)",
			Fix:   "Add the credential the API expects, e.g. -H \"Authorization: Bearer $TOKEN\" (double quotes, so the shell expands it)."})
	}
}

// strayJWTs reads a JWT sent outside "Authorization: Bearer" — in a
// header of the API's own, a scheme of its own (JWT, Token), with no
// scheme word, in the query, a cookie or the body — for what every
// reader of a JWT checks first: its expiry. An expired one is the fault
// before any other of how it is sent (a missing scheme word is then a
// warning: fix the token first).
func (o *offline) strayJWTs() {
	if o.jwtToken != nil || slices.ContainsFunc(o.findings, func(f Finding) bool { return f.Code == TokenExpired && f.Status == Fail }) {
		return
	}
	type place struct{ where, value string }
	var places []place
	for _, h := range o.req.Headers {
		places = append(places, place{"the " + h.Name + " header", h.Value})
	}
	for _, q := range o.queryFields() {
		places = append(places, place{"the query parameter " + q.name, q.value})
	}
	places = append(places, place{"the body", o.req.Body})
	now := o.opts.now()
	for _, p := range places {
		for _, m := range jwtShape.FindAllString(p.value, 4) {
			d, err := jwt.Decode(m)
			if err != nil {
				continue
			}
			if f := diagnose.Expired(d, now, 0); f != nil {
				g := fromDiagnose(f, Fail)
				g.Evidence = append(g.Evidence, "the JWT in "+p.where+": "+o.mask.show(m))
				o.add(g)
				o.demoteBareCredential("")
				return
			}
		}
	}
}

// jwtShape is a JWS compact token inside a longer value.
var jwtShape = lazyregexp.New(`eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)

// variableUnset reports the shell variables of h that expanded to
// nothing, and what that did to the request.
func (o *offline) variableUnset(h Header, effect string, evidence []string) {
	o.add(Finding{Code: VariableUnset, Status: Fail, Cause: "Environment notes: .env files and variables",
		Title:    fmt.Sprintf("The shell variable %s is unset or empty, so %s", strings.Join(h.Unset, ", "), effect),
		Evidence: evidence,
		Fix:      fmt.Sprintf("Set it in this shell (export %s=...) or load your .env file (set -a; . ./.env; set +a).", h.Unset[0])})
}

func (o *offline) shellProblems(h Header) bool {
	if len(h.Unset) > 0 {
		o.variableUnset(h, h.Name+" is sent without its credential", []string{fmt.Sprintf("%s expands to %s", h.Name, o.mask.show(h.Value))})
		return true
	}
	if len(h.Unrun) > 0 {
		o.add(Finding{Code: ShellSubstitution, Status: Warn, Cause: "4. Incorrect token format",
			Title:    fmt.Sprintf("%s contains a command substitution the doctor did not run", h.Name),
			Evidence: []string{"the doctor never runs commands; it checked the text as written"},
			Fix:      "Run the substitution yourself and pass the result, e.g. --token-env VAR, so the doctor sees the value your shell sends."})
		return true
	}
	return false
}

// schemeAlone is an Authorization value that is a scheme's name only.
var schemeAlone = lazyregexp.New(`(?i)^(?:` + knownSchemes + `)$`)

func (o *offline) authorization(h Header) {
	if o.shellProblems(h) {
		return
	}
	if bare := strings.TrimSpace(h.Value); schemeAlone.MatchString(bare) {
		o.add(Finding{Code: HeaderFormat, Status: Fail, Basis: Proven, Cause: "4. Incorrect token format",
			Title: fmt.Sprintf("The Authorization header is malformed: it holds the scheme %s and no credential after it", bare),
			Fix:   fmt.Sprintf("Send Authorization: %s <credential>; if the credential comes from a variable, check that it is set in this shell.", bare)})
		return
	}
	if bare := strings.TrimSpace(h.Value); !strings.ContainsAny(bare, " \t") && (diagnose.TokenLike(bare) || strings.Count(bare, ".") == 2 && strings.HasPrefix(bare, "eyJ")) &&
		credential.Placeholder(bare) == "" && otherSchemeValue(bare) == "" {
		o.rawCredential(bare)
		return
	}
	scheme, value, _ := strings.Cut(h.Value, " ")
	if o.wrapped("Authorization", strings.TrimSpace(value), func(r *Request, inner string) {
		r.removeHeader("Authorization")
		r.Headers = append(r.Headers, Header{Name: "Authorization", Value: scheme + " " + inner})
	}) {
		return
	}
	sentScheme, sentValue := scheme, value
	if !strings.Contains(strings.TrimSpace(h.Value), " ") {
		sentScheme, sentValue = "(no scheme)", h.Value // a bare credential
	}
	if other := otherSchemeValue(strings.TrimSpace(sentValue)); other != "" && (strings.EqualFold(sentScheme, "Bearer") || sentScheme == "(no scheme)") {
		code, title := SchemeMismatch, "The request sends "+sentScheme+" with "+other+", which is not a bearer token: it has a scheme of its own"
		if strings.Contains(other, "URL path") {
			code, title = CredentialWrongHeader, "The request sends "+other+" in the Authorization header: the API reads it in the URL path, not in a header"
		}
		if clientPair(strings.TrimSpace(sentValue)) {
			o.add(Finding{Code: WrongTokenKind, Status: Fail, Cause: "2. Invalid token",
				Title:    clientPairTitle,
				Evidence: []string{"Authorization: " + sentScheme + " " + o.mask.show(strings.TrimSpace(sentValue))},
				Fix:      "Send them as Basic to the API's token endpoint (grant_type=client_credentials) and call the API with the access token it returns (RFC 6749 §2.3.1, §4.4)."})
			return
		}
		o.add(Finding{Code: code, Status: Fail, Cause: "3. Incorrect authentication scheme",
			Title:    title,
			Evidence: []string{"Authorization: " + sentScheme + " " + o.mask.show(strings.TrimSpace(sentValue))},
			Fix:      "Send it in the scheme it is made for (a bot token: Authorization: Bot <token>; user@realm!tokenid=secret: Authorization: PVEAPIToken=user@realm!tokenid=secret); check the API's documentation."})
		return
	}
	if f := diagnose.Base64Wrapped(value); f != nil && strings.EqualFold(scheme, "Basic") {
		g := fromDiagnose(f, Fail)
		g.Evidence, g.Command = f.Evidence, o.withBasicFlag()
		o.add(g)
		return
	}
	p, err := credential.FromAuthorization(http.Header{"Authorization": {h.Value}})
	if err == nil {
		err = credential.CheckFormat(p)
	}
	if reason.CodeOf(err) == reason.HeaderMalformed && value != "" && challenge.IsToken(scheme) && !strings.ContainsAny(h.Value, "\r\n") &&
		!strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "Basic") {
		err = nil // other schemes (SharedKey, AWS4-HMAC-SHA256, Digest) have their own syntax
	}
	switch reason.CodeOf(err) {
	case "":
	case reason.CredentialPlaceholder:
		o.placeholder(h, reason.From(err).Detail)
		return
	default:
		o.add(Finding{Code: HeaderFormat, Status: Fail, Cause: "4. Incorrect token format",
			Title: "The Authorization header is malformed: " + malformedWhat(h.Value, reason.From(err).Detail), Evidence: []string{reason.From(err).Detail},
			Fix: "Send 'Authorization: <Scheme> <credential>' with one space, no quotes, no repeated scheme, no line breaks."})
		return
	}
	switch {
	case strings.EqualFold(p.Scheme, "Basic"):
		o.basic(p.Value)
	case strings.EqualFold(p.Scheme, "Bearer"):
		o.bearer(p.Value)
	default:
		o.add(Finding{Code: CredentialSent, Status: Info, Title: "Authorization uses the scheme " + p.Scheme,
			Evidence: []string{"credential " + o.mask.show(p.Value)}})
	}
}

// bareCredentialTitle is the title of the finding rawCredential adds.
const bareCredentialTitle = "The Authorization header is malformed: it holds a bare credential with no scheme before it"

// demoteBareCredential keeps the finding that calls the Authorization
// header malformed for its missing scheme word as a warning, with why
// (when why is not empty): something weighs more than the scheme word.
func (o *offline) demoteBareCredential(why string) {
	for i := range o.findings {
		if f := &o.findings[i]; f.Code == HeaderFormat && f.Status == Fail && f.Title == bareCredentialTitle {
			f.Status = Warn
			if why != "" {
				f.Evidence = append(f.Evidence, why)
			}
		}
	}
}

// rawCredential reports a credential sent in Authorization with no
// scheme before it (RFC 9110 §11.4: credentials = auth-scheme [ token68
// ]): a malformed header for the APIs that read a scheme first (a few
// take the bare key). The title never shows the credential, which the
// format check would quote as the scheme. Its shape is still read (kind,
// environment).
func (o *offline) rawCredential(v string) {
	o.add(Finding{Code: HeaderFormat, Status: Fail, Cause: "4. Incorrect token format",
		Title:    bareCredentialTitle,
		Evidence: []string{"Authorization: " + o.mask.show(v)},
		Fix:      "Send Authorization: Bearer <credential>, or the scheme the API documents (a few APIs take the bare key: check its documentation)."})
	if env := diagnose.KeyEnvironment(v); env != "" {
		o.keyEnvironment("Authorization", v, env)
	}
	o.tokenKind("the credential in Authorization", v)
}

// apiTokenPair is a credential written user@realm!tokenid=secret (the
// API tokens of Proxmox VE, Backup Server and Mail Gateway), and keyPair
// a NAME=VALUE credential: both are a scheme's own syntax, not a bearer
// token.
var (
	botToken      = lazyregexp.New(`^([A-Za-z0-9_-]{16,32})\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}$`)
	telegramToken = lazyregexp.New(`^\d{6,12}:[A-Za-z0-9_-]{30,}$`)
	basicPairText = lazyregexp.New(`^[\x21-\x39\x3b-\x7e]{1,64}:[\x20-\x7e]{1,128}$`)
	apiTokenPair  = lazyregexp.New(`^[\w.-]+@[\w.-]+![\w.-]+[=:][\w-]{8,}$`)
	keyPair       = lazyregexp.New(`^(?i)(token|key|apikey|api_key|access_token|secret)=[\w.~+/-]{8,}$`)
)

// clientPairTitle is the title of the finding that a Bearer token is a
// client's id and secret (pairScheme may keep it as a warning).
const clientPairTitle = "The Bearer token is base64 of a client id and secret: a client's credentials, not an access token"

// clientPair reports whether a Bearer value is base64 of a client id and
// secret — two key-like parts of ten characters or more, no e-mail
// address, no spaces — rather than a user name and password.
func clientPair(v string) bool {
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil || !basicPairText.Match(raw) {
		return false
	}
	id, secret, _ := strings.Cut(string(raw), ":")
	keyLike := func(s string) bool {
		return len(s) >= 10 && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~") == ""
	}
	return keyLike(id) && keyLike(secret)
}

// otherSchemeValue says what a Bearer value is when it is shaped as
// another scheme's credential, or "".
func otherSchemeValue(v string) string {
	if telegramToken.MatchString(v) {
		return "a bot token of the form <id>:<secret> (Telegram's, which goes in the URL path: /bot<token>/<method>)"
	}
	if raw, err := base64.StdEncoding.DecodeString(v); err == nil && len(v) >= 8 && basicPairText.Match(raw) {
		return "base64 of user:password (Basic credentials: Authorization: Basic <base64>)"
	}
	if m := botToken.FindStringSubmatch(v); m != nil {
		if id, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(m[1], "=")); err == nil && len(id) >= 15 && strings.Trim(string(id), "0123456789") == "" {
			return "a bot token (a numeric id, a time stamp and an HMAC: the Bot scheme, Authorization: Bot <token>)"
		}
	}
	switch {
	case apiTokenPair.MatchString(v):
		return "a user@realm!tokenid=secret API token"
	case keyPair.MatchString(v):
		return "a name=value pair"
	}
	return ""
}

// oddSpaces are the characters that look like a space and are not one.
var oddSpaces = map[rune]string{0x00A0: "a non-breaking space", 0x2002: "an en space", 0x2003: "an em space", 0x2009: "a thin space",
	0x200B: "a zero-width space", 0x202F: "a narrow non-breaking space", 0x3000: "an ideographic space", 0xFEFF: "a byte-order mark"}

// malformedWhat says what is wrong with an Authorization value in words
// a user acts on: the character after the scheme, a line break at the
// end, else the format check's own detail.
func malformedWhat(v, detail string) string {
	for _, scheme := range []string{"Bearer", "Basic", "Token", "Bot", "SSWS", "ApiKey"} {
		if len(v) > len(scheme) && strings.EqualFold(v[:len(scheme)], scheme) {
			r, _ := utf8.DecodeRuneInString(v[len(scheme):])
			if what, ok := oddSpaces[r]; ok {
				return fmt.Sprintf("%s (U+%04X) after %s instead of a plain space", what, r, v[:len(scheme)])
			}
		}
	}
	switch {
	case strings.HasSuffix(v, "\n") || strings.HasSuffix(v, "\r"):
		return "it ends with a line break (copied with the newline, or echo without -n)"
	case strings.ContainsAny(v, "\r\n"):
		return "it holds a line break"
	}
	return detail
}

var echoBase64 = lazyregexp.New(`\$\(\s*(?:echo\s+(?:-n\s+|-ne\s+)?|printf\s+(?:'%s'\s+|"%s"\s+)?)(["']?)([^"'|)]*?)(["']?)\s*\|\s*base64[^)]*\)`)

// unsetValues are what a program sends for a variable that holds
// nothing: JavaScript's undefined and null, Python's None, Go's and
// Ruby's nil.
var unsetValues = map[string]bool{"undefined": true, "null": true, "none": true, "nil": true, "<nil>": true}

func (o *offline) placeholder(h Header, detail string) {
	if fields := strings.Fields(h.Value); len(fields) > 0 && unsetValues[strings.ToLower(fields[len(fields)-1])] {
		word := fields[len(fields)-1]
		o.add(Finding{Code: VariableUnset, Status: Fail, Cause: "Environment notes: .env files and variables",
			Title:    fmt.Sprintf("%s is sent as the word %q: the program read its credential from a variable that is unset (JavaScript prints undefined, Python None, Go <nil>)", h.Name, word),
			Evidence: []string{detail, "sent: " + o.mask.show(h.Value)},
			Fix:      "Set the environment variable or configuration entry the program reads the credential from (and load the .env file before reading it); fail at start when it is missing."})
		return
	}
	f := fromDiagnose(diagnose.Placeholder("the credential in "+h.Name, h.Value, detail), Fail)
	f.Evidence = []string{detail, "sent: " + o.mask.show(h.Value)}
	if m := echoBase64.FindStringSubmatch(h.Value); m != nil && strings.Contains(m[2], ":") {
		user, _, _ := strings.Cut(m[2], ":")
		f.Fix = "The single quotes stop the shell from running $(...): the server receives the text '$(echo ...' itself. Let curl encode the pair with -u, which also avoids the trailing newline of echo without -n."
		f.Command = o.command(func(r *Request) { r.removeHeader("Authorization") }, "-u '"+user+":<password>'")
	}
	o.add(f)
}

func (o *offline) basic(value string) {
	user, pw, f := diagnose.BasicDecoded(value)
	switch {
	case f == nil:
		if o.basicPair(user, pw) {
			return
		}
		if slot, secret := basicSecret(user, pw); secret != "" {
			if env := diagnose.KeyEnvironment(secret); env != "" {
				o.keyEnvironment("the Basic "+slot, secret, env)
			}
			if o.tokenKind("the key in the Basic "+slot, secret) {
				return
			}
		}
		o.keySlot(user, pw)
		o.add(Finding{Code: CredentialSent, Status: OK, Title: "Basic credentials are well-formed",
			Evidence: []string{fmt.Sprintf("user %q, password %s", user, o.mask.show(pw))}})
	case f.Code == diagnose.HeaderFormat: // not UTF-8: a warning
		o.basicNotUTF8 = true
		o.add(fromDiagnose(f, Warn))
	default:
		g := fromDiagnose(f, Fail)
		g.Evidence = f.Evidence
		if f.Code != diagnose.BasicNoColon {
			g.Command = o.withBasicFlag()
		}
		o.add(g)
	}
}

func (o *offline) bearer(token string) {
	if env := diagnose.KeyEnvironment(token); env != "" {
		o.keyEnvironment("Bearer token", token, env)
	}
	o.tokenKind("the Bearer token", token)
	d, err := jwt.Decode(token)
	if err != nil {
		if strings.Count(token, ".") == 2 && strings.HasPrefix(token, "eyJ") {
			o.add(Finding{Code: HeaderFormat, Status: Fail, Cause: "4. Incorrect token format",
				Title: "The token looks like a JWT but does not decode", Evidence: []string{reason.From(err).Detail},
				Fix: "Copy the whole token again; it may be truncated or altered."})
			return
		}
		o.add(Finding{Code: CredentialSent, Status: Info, Title: "An opaque Bearer token is sent", Evidence: []string{"token " + o.mask.show(token)}})
		return
	}
	o.jwtToken = d
	ev := []string{"token " + o.mask.show(token)}
	for _, k := range []string{"alg", "kid", "typ"} {
		if v, ok := d.Header[k]; ok {
			ev = append(ev, k+" "+string(v))
		}
	}
	for _, k := range []string{"iss", "aud", "sub", "scope", "scp", "azp", "client_id"} {
		if v, ok := d.Claims[k]; ok {
			ev = append(ev, k+" "+string(v))
		}
	}
	now := o.opts.now()
	for _, k := range []string{"iat", "nbf", "exp"} {
		if t, ok := diagnose.ClaimTime(d, k); ok {
			ev = append(ev, fmt.Sprintf("%s %s (%s)", k, t.UTC().Format(time.RFC3339), relative(t, now)))
		}
	}
	o.add(Finding{Code: TokenDecoded, Status: Info, Title: "The Bearer token is a JWT", Evidence: ev})
	if alg, _ := jsonString(d.Header["alg"]); strings.EqualFold(alg, "none") || !d.Signed {
		o.add(Finding{Code: AlgNone, Status: Warn, Title: "The token is not signed (alg none or no signature)",
			Fix: "No server should accept it; obtain a signed token from the issuer."})
	}
	o.otherAudience(d)
	o.claimKind(d)
	o.tokenEnvironment(d)
	o.expMilliseconds(d)
	if why := diagnose.IDTokenSigns(d); why != "" {
		o.add(Finding{Code: IDTokenSent, Status: Warn, Cause: "2. Invalid token (wrong audience)",
			Title:    "This looks like an OpenID Connect ID token, not an access token",
			Evidence: []string{why},
			Fix:      "Send the access_token from the token response, not the id_token."})
	}
	// The doctor forgives no time past exp, and 30s of nbf or iat in the
	// future.
	if f := diagnose.Expired(d, now, 0); f != nil {
		o.add(fromDiagnose(f, Fail))
	} else if exp, ok := diagnose.ClaimTime(d, "exp"); ok && exp.Sub(now) < 5*time.Minute {
		o.add(Finding{Code: TokenExpiresSoon, Status: Warn, Title: fmt.Sprintf("The token expires in %s", exp.Sub(now).Round(time.Second)),
			Fix: "Refresh tokens a little before they expire, not after a 401."})
	}
	if f := diagnose.NotYetValid(d, now, 30*time.Second); f != nil {
		o.add(fromDiagnose(f, Fail))
	}
}

// fromDiagnose is a finding of package credential/diagnose as the doctor
// reports it: its title begins a sentence.
func fromDiagnose(f *diagnose.Finding, st Status) Finding {
	return Finding{Code: Code(f.Code), Status: st, Cause: f.Cause, Title: strings.ToUpper(f.Title[:1]) + f.Title[1:], Fix: f.Fix}
}

func (o *offline) apiKeyHeader(h Header) {
	if n := strings.ToLower(h.Name); strings.HasSuffix(n, "-type") || strings.HasSuffix(n, "-version") || strings.HasSuffix(n, "-scheme") {
		return // X-Snowflake-Authorization-Token-Type: KEYPAIR_JWT names a kind, it is no credential
	}
	if o.shellProblems(h) {
		return
	}
	v := h.Value
	if o.wrapped(h.Name, v, func(r *Request, inner string) {
		r.removeHeader(h.Name)
		r.Headers = append(r.Headers, Header{Name: h.Name, Value: inner})
	}) {
		return
	}
	if f := diagnose.APIKey(h.Name, v); f != nil {
		g := fromDiagnose(f, Fail)
		scheme, rest, schemeWord := diagnose.SchemeWord(v)
		switch {
		case f.Code == diagnose.CredentialPlaceholder || f.Code == diagnose.VariableUnset || f.Code == diagnose.ShellSubstitution:
			o.placeholder(h, f.Evidence[0])
			return
		case f.Code == diagnose.WrongTokenKind:
			g = wrongKind(f)
		case f.Code == diagnose.HeaderFormat && schemeWord:
			g.Evidence = []string{h.Name + ": " + scheme + " " + o.mask.show(rest)}
		}
		o.add(g)
		return
	}
	if env := diagnose.KeyEnvironment(v); env != "" {
		o.keyEnvironment(h.Name, v, env)
	}
	o.add(Finding{Code: CredentialSent, Status: Info, Title: "An API key is sent in " + h.Name, Evidence: []string{"key " + o.mask.show(v)}})
}

func (o *offline) keyEnvironment(where, key, env string) {
	o.environment(where, env, o.prefixEvidence(where, key, env), "by its prefix")
}

// sandboxWords are the environment marks of credentials that only a
// service's separate sandbox host knows (Checkout.com's sk_sbox_,
// Paddle's pdl_sdbx_, GoCardless's sandbox_): unlike test-mode keys,
// which many services take on their live host, they are refused
// anywhere else.
var sandboxWords = map[string]bool{"sandbox": true, "sbox": true, "sdbx": true}

// environment checks a credential's environment (env, read from its
// prefix or its claims, shown by evidence; how says which) against
// --expect-env, else against the host: a host that names the other
// environment fails, and so does one that names none (the production
// host, or an address) for a sandbox credential.
func (o *offline) environment(where, env, evidence, how string) {
	keyEnv := diagnose.NormalEnv(env)
	if o.opts.ExpectEnv != "" {
		if keyEnv != diagnose.NormalEnv(o.opts.ExpectEnv) {
			o.add(Finding{Code: WrongEnvironment, Status: Fail, Cause: "5. Wrong credentials for environment",
				Title:    fmt.Sprintf("A %s credential is sent where %s is expected", env, o.opts.ExpectEnv),
				Evidence: []string{evidence},
				Fix:      fmt.Sprintf("Use the %s credential (check which .env file or secret your client loads).", o.opts.ExpectEnv)})
		}
		return
	}
	word, hostEnv := hostEnvironment(o.req.URL)
	switch {
	case hostEnv != "" && (keyEnv == "test" || keyEnv == "live") && hostEnv != keyEnv:
		o.add(Finding{Code: WrongEnvironment, Status: Fail, Cause: "5. Wrong credentials for environment",
			Title:    fmt.Sprintf("A %s credential (%s) is sent to a %s host: each environment has its own credentials", env, how, word),
			Evidence: []string{evidence, "host " + hostOf(o.req.URL) + " names " + word},
			Fix:      fmt.Sprintf("Use the credential issued for the %s environment, or call the host of the %s one (check which .env file or secret your client loads).", word, env)})
	case hostEnv == "" && sandboxWords[strings.ToLower(env)]:
		o.add(Finding{Code: WrongEnvironment, Status: Fail, Cause: "5. Wrong credentials for environment",
			Title:    fmt.Sprintf("A %s credential (%s) is sent to a host that names no environment: sandbox credentials work only on the service's sandbox host", env, how),
			Evidence: []string{evidence, "host " + hostOf(o.req.URL) + " names no environment"},
			Fix:      "Call the service's sandbox base URL (often api.sandbox.… or sandbox-api.…) with this credential, or use the live credential on the live host."})
	default:
		o.add(Finding{Code: WrongEnvironment, Status: Info, Title: fmt.Sprintf("The credential in %s is a %s credential (%s)", where, env, how),
			Fix: "Pass --expect-env to check it against the environment you mean to call."})
	}
}

// claimKind notes a token whose claims say it is a kind many APIs do
// not take where a user's token goes: an anonymous role (PostgREST's and
// Supabase's anon key: role anon), or a token an application got for
// itself with client credentials (Auth0's gty client-credentials and
// sub <client>@clients, Microsoft Entra's idtyp app). A note: settle
// makes it the failure when the server only refuses.
func (o *offline) claimKind(d *jwt.Decoded) {
	what, fix := "", ""
	switch gty, sub := claimText(d.Claims["gty"]), claimText(d.Claims["sub"]); {
	case strings.EqualFold(claimText(d.Claims["role"]), "anon") || strings.EqualFold(claimText(d.Claims["role"]), "anonymous"):
		what, fix = "an anonymous key (role "+claimText(d.Claims["role"])+"): requests with it run as the anonymous role",
			"Send a signed-in user's access token (or the service key, on the server) where this call needs one; the anon key only reaches what is open to anyone."
	case gty == "client-credentials" || strings.HasSuffix(sub, "@clients") || claimText(d.Claims["idtyp"]) == "app":
		what, fix = "an application's own token (client credentials: no user in it)",
			"Calls that act for a user need a token from a user's sign-in (authorization code flow), not one the application got for itself."
	default:
		return
	}
	o.add(Finding{Code: WrongTokenKind, Status: Info, Basis: Decoded, Cause: "2. Invalid token",
		Title: "The Bearer token is " + what, Fix: fix})
}

// envClaims are the claims in which a token names its environment.
var envClaims = []string{"env", "environment", "mode", "stage"}

// tokenEnvironment reads the environment a JWT names — a claim of
// envClaims, livemode, or a host of its issuer that names one — and
// checks it as a key's prefix is checked.
func (o *offline) tokenEnvironment(d *jwt.Decoded) {
	for _, k := range envClaims {
		if v := strings.ToLower(claimText(d.Claims[k])); hostEnvWords[v] != "" || sandboxWords[v] {
			o.environment("the token's "+k+" claim", v, fmt.Sprintf("claim %s %q", k, v), "by its "+k+" claim")
			return
		}
	}
	if string(d.Claims["livemode"]) == "false" {
		o.environment("the token's livemode claim", "test", "claim livemode false", "by its livemode claim")
		return
	}
	if word, env := hostEnvironment(claimText(d.Claims["iss"])); env != "" {
		if sandboxWords[word] {
			env = word
		}
		o.environment("the token's issuer", env, "iss "+claimText(d.Claims["iss"]), "by its issuer's host")
	}
}

// claimText is a JSON string claim's text ("" when it is none).
func claimText(raw []byte) string {
	s, _ := jsonString(raw)
	return s
}

// keySlot notes a Basic pair that carries an API key beside an empty or
// filler slot (key:, key:X, api:key, anystring:key): services differ in
// which slot takes the key and what goes in the other (Stripe's key:,
// Freshdesk's key:X, Mailgun's api:key, GitHub's x-access-token:token),
// so a refusal that says no more is most often that convention. A
// note: settle makes it the failure when the server only refuses.
func (o *offline) keySlot(user, pw string) {
	if diagnose.KnownConvention(hostOf(o.req.URL), user, pw) {
		return // a documented convention judged the pair (basicPair)
	}
	filler := func(s string) bool {
		return s == "" || len(s) <= 20 && !diagnose.TokenLike(s) && !strings.Contains(s, "@")
	}
	slot, other, beside := "", "", "a filler"
	switch {
	case diagnose.TokenLike(user) && filler(pw):
		slot, other = "user-name", "password"
		if pw == "" {
			beside = "nothing"
		}
	case diagnose.TokenLike(pw) && filler(user):
		slot, other = "password", "user-name"
		if user == "" {
			beside = "nothing"
		}
	default:
		return
	}
	o.add(Finding{Code: BasicUsernameWrong, Status: Info, Basis: Decoded, Cause: "3. Incorrect authentication scheme",
		Title:    fmt.Sprintf("The Basic pair carries a key in the %s slot and %s in the %s slot: check the service's user-name convention", slot, beside, other),
		Evidence: []string{fmt.Sprintf("user %s, password %s", o.mask.show(user), o.mask.show(pw))},
		Fix:      "Services differ: the key as the user name with an empty password (-u 'key:'), with X as the password (-u 'key:X'), or as the password after a fixed user name (-u 'api:key', 'x-access-token:token'); send it the way the API's documentation shows.",
		Command:  o.withBasicFlag()})
}

// basicSecret is the slot of a Basic pair that holds an API secret, and
// the secret: the password when it is long enough to be one (Stytch's
// secret-live-…, Column's key after an empty user), else the user name
// when the password is empty (Lob's key before an empty password). A
// person's password is no secret of this kind: "" for both.
func basicSecret(user, pw string) (slot, secret string) {
	const minSecret = 20
	switch {
	case len(pw) >= minSecret:
		return "password", pw
	case pw == "" && len(user) >= minSecret:
		return "user name", user
	}
	return "", ""
}

// prefixEvidence shows the prefix that names a credential's environment,
// never more of it.
func (o *offline) prefixEvidence(where, key, env string) string {
	if prefix := visiblePrefix(key); prefix != "" {
		return fmt.Sprintf("%s prefix %q", where, prefix)
	}
	return fmt.Sprintf("%s names %s in its prefix (too short a credential to show it)", where, env)
}

// hostEnvWords are the words a host uses to name an environment, as a
// label or a dash-separated part of one (api.sandbox.example.com,
// api-sandbox.example.com, test.example.com), folded to test or live.
var hostEnvWords = map[string]string{
	"sandbox": "test", "test": "test", "testing": "test", "staging": "test", "stage": "test", "dev": "test", "development": "test",
	"demo": "test", "uat": "test", "qa": "test", "preprod": "test", "playground": "test",
	"live": "live", "prod": "live", "production": "live",
}

// hostEnvironment returns the word of rawURL's host that names an
// environment and the environment (test or live), or "" for both. The
// registrable domain and the top-level domain are not read: live.com and
// .dev name no environment.
func hostEnvironment(rawURL string) (word, env string) {
	host := hostOf(rawURL)
	labels := strings.Split(host, ".")
	if len(labels) < 3 || net.ParseIP(host) != nil {
		return "", ""
	}
	for _, label := range labels[:len(labels)-2] {
		for _, part := range strings.Split(label, "-") {
			if env := hostEnvWords[part]; env != "" {
				return part, env
			}
		}
	}
	return "", ""
}

// hostOf is rawURL's host, lower-cased, without its port ("" when it
// does not parse).
func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// envChecks looks at --token-env and --env-file.
func (o *offline) envChecks() {
	name := o.opts.TokenEnv
	fileVals := map[string]string{}
	if o.opts.EnvFile != "" {
		fileVals = o.envFile(o.opts.EnvFile)
	}
	if name == "" {
		return
	}
	v, ok := o.opts.Lookup(name)
	if !ok || v == "" {
		ev := []string{}
		if _, inFile := fileVals[name]; inFile {
			ev = append(ev, fmt.Sprintf("%s is set in %s, but not in this shell's environment", name, o.opts.EnvFile))
		}
		o.add(Finding{Code: VariableUnset, Status: Fail, Cause: "Environment notes: .env files",
			Title: fmt.Sprintf("The environment variable %s is unset or empty", name), Evidence: ev,
			Fix: fmt.Sprintf("Export it (export %s=...), or load the file: set -a; . %s; set +a. In Docker, pass it with -e or env_file.", name, orDefault(o.opts.EnvFile, ".env"))})
		return
	}
	if fv, inFile := fileVals[name]; inFile && fv != v && strings.Trim(fv, `"'`) != v {
		o.add(Finding{Code: EnvFileProblem, Status: Fail, Cause: "Environment notes: .env files",
			Title:    fmt.Sprintf("The shell's %s differs from the one in %s: the shell variable shadows the file", name, o.opts.EnvFile),
			Evidence: []string{"shell " + o.mask.show(v), "file " + o.mask.show(fv)},
			Fix:      fmt.Sprintf("unset %s (or export the file's value): docker compose, dotenv and most loaders keep an existing variable over the file's.", name)})
	}
	if problem := valueProblem(v); problem != "" {
		o.add(Finding{Code: EnvFileProblem, Status: Fail, Cause: "Environment notes: .env files",
			Title: fmt.Sprintf("The value of %s %s", name, problem), Evidence: []string{"value " + o.mask.show(v)},
			Fix: "Store the bare value: no quotes kept, no trailing spaces, Unix line endings (dos2unix)."})
	}
}

// inlineComment is a value followed by " # comment".
var inlineComment = lazyregexp.New(`\S\s+#`)

func valueProblem(v string) string {
	switch {
	case strings.HasSuffix(v, "\r"):
		return "ends with a carriage return (a .env file with Windows line endings)"
	case v != strings.TrimSpace(v):
		return "has leading or trailing whitespace"
	case len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0]:
		return "still carries its quotes"
	case inlineComment.MatchString(v):
		return "ends with an inline # comment (docker --env-file keeps it in the value)"
	}
	return ""
}

// envFile reads a .env file and reports lines that loaders treat
// differently (export, quotes kept by docker --env-file, CR, spaces).
func (o *offline) envFile(path string) map[string]string {
	f, err := os.Open(path)
	if err != nil {
		o.add(Finding{Code: EnvFileProblem, Status: Warn, Title: "The env file cannot be read", Evidence: []string{err.Error()}})
		return nil
	}
	defer f.Close()
	vals := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		var problems []string
		if strings.HasPrefix(trimmed, "export ") {
			problems = append(problems, "an 'export' prefix (docker --env-file and compose env_file take it as part of the name)")
			trimmed = strings.TrimSpace(strings.TrimPrefix(trimmed, "export "))
		}
		name, value, ok := strings.Cut(trimmed, "=")
		if !ok {
			continue
		}
		if strings.HasSuffix(line, "\r") {
			problems = append(problems, "a Windows line ending (the CR becomes part of the value)")
		}
		if name != strings.TrimSpace(name) || strings.HasPrefix(value, " ") {
			problems = append(problems, "spaces around '='")
		}
		raw := strings.TrimRight(value, "\r")
		if raw != strings.TrimRight(raw, " \t") {
			problems = append(problems, "trailing whitespace after the value")
		}
		if len(raw) >= 2 && (raw[0] == '"' || raw[0] == '\'') && raw[len(raw)-1] == raw[0] {
			problems = append(problems, "a quoted value (dotenv libraries strip the quotes; docker --env-file keeps them)")
		}
		if raw == "" {
			problems = append(problems, "an empty value")
		}
		if inlineComment.MatchString(raw) && !(len(raw) >= 2 && (raw[0] == '"' || raw[0] == '\'')) {
			problems = append(problems, "an inline '# comment' (docker --env-file and compose env_file keep it in the value; dotenv libraries strip it)")
		}
		if _, dup := vals[strings.TrimSpace(name)]; dup {
			problems = append(problems, "a second definition of the same name")
		}
		vals[strings.TrimSpace(name)] = raw
		relevant := o.opts.TokenEnv == "" || strings.TrimSpace(name) == o.opts.TokenEnv
		if len(problems) > 0 && relevant {
			status := Warn
			if o.opts.TokenEnv != "" {
				status = Fail
			}
			o.add(Finding{Code: EnvFileProblem, Status: status, Cause: "Environment notes: .env files",
				Title:    fmt.Sprintf("%s line %d (%s) has %s", path, n, strings.TrimSpace(name), strings.Join(problems, ", ")),
				Fix:      "Write NAME=value with no export, no quotes, no spaces, Unix line endings.",
				Evidence: []string{"value " + o.mask.show(raw)}})
		}
	}
	return vals
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	return s, json.Unmarshal(raw, &s) == nil
}

func relative(t, now time.Time) string {
	d := t.Sub(now).Round(time.Second)
	if d < 0 {
		return (-d).String() + " ago"
	}
	return "in " + d.String()
}

// misspelledHeaders finds a credential sent under a header name servers
// do not read (Authorisation, Authentication, Bearer: …).
func (o *offline) misspelledHeaders() {
	for _, h := range o.req.Headers {
		n := strings.ToLower(strings.TrimSpace(h.Name))
		near := n != "authorization" && spelling.Distance(n, "authorization") <= 3
		switch n {
		case "authentication", "auth", "bearer", "token", "access-token", "access_token", "jwt":
			near = true
		}
		if near {
			o.misnamed(h, Header{Name: "Authorization", Value: "Bearer x"},
				fmt.Sprintf("The credential is sent in a header named %q, which servers do not read", h.Name),
				"The header is called Authorization (US spelling), with the scheme in the value: Authorization: Bearer <token>.")
		}
	}
}

// nearHeaders finds a credential sent under a misspelling of a common
// credential header (Auth-Tokn, X-Api-Kye): the server reads the exact
// name only, and answers as if nothing was sent.
func (o *offline) nearHeaders() {
	for _, h := range o.req.Headers {
		name := nearCredentialHeader(strings.TrimSpace(h.Name))
		if name == "" || o.sentIn(name) {
			continue
		}
		o.misnamed(h, Header{Name: name, Value: h.Value},
			fmt.Sprintf("The credential is sent in a header named %q, a misspelling of %s: servers read only the exact name", h.Name, name),
			"Spell the header "+name+", as the API's documentation does.")
	}
}

// misnamed adds the finding that the credential in header h goes
// under another name: want is the header to send instead.
func (o *offline) misnamed(h, want Header, title, fix string) {
	o.add(Finding{Code: HeaderNameMisspelled, Status: Fail, Cause: "1. Missing Authorization header",
		Title: title, Evidence: []string{"value " + o.mask.show(h.Value)}, Fix: fix,
		Command: o.command(func(r *Request) {
			r.removeHeader(h.Name)
			r.Headers = append(r.Headers, want)
		})})
	o.sentAny = true
}

// credentialHeaderNames are the common names of the headers a
// credential travels in besides Authorization.
var credentialHeaderNames = []string{"X-API-Key", "Api-Key", "X-Auth-Token", "Auth-Token", "X-Access-Token", "Access-Token", "Api-Token", "X-API-Token", "Private-Token"}

// nearCredentialHeader returns the common credential header a header
// name misspells (one letter added, left out or changed in a name of
// eight letters or more, or two neighbours swapped: Auth-Tokn,
// X-Api-Kye), or "". Names equal but for their separators or
// an X- prefix are the same header (X-ApiKey, Auth-Token).
func nearCredentialHeader(name string) string {
	norm := func(s string) string { return strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(s)) }
	n := norm(name)
	for _, c := range credentialHeaderNames {
		if c := norm(c); n == c || n == strings.TrimPrefix(c, "x") || "x"+n == c {
			return ""
		}
	}
	for _, c := range credentialHeaderNames {
		nc := norm(c)
		if spelling.Distance(n, nc) == 1 && len(n) >= 8 || swapped(n, nc) {
			return c
		}
	}
	return ""
}

// swapped reports whether a is b with two neighbouring letters swapped.
func swapped(a, b string) bool {
	if len(a) != len(b) || a == b {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
}

// sentIn reports whether the request has a header of that name.
func (o *offline) sentIn(name string) bool {
	return len(o.req.Get(name)) > 0
}

// tokenKind flags a credential whose shape says it is the wrong kind
// (diagnose.TokenKind). It reports whether it found one.
func (o *offline) tokenKind(where, v string) bool {
	f := diagnose.TokenKind(where, v)
	if f != nil {
		o.add(wrongKind(f))
	}
	return f != nil
}

// wrongKind is diagnose.TokenKind's finding as the doctor reports it: its
// title keeps the lower case of "the Bearer token is …".
func wrongKind(f *diagnose.Finding) Finding {
	g := fromDiagnose(f, Fail)
	g.Title = f.Title
	return g
}

// queryCredentials finds credentials in the query string (API keys,
// access tokens, signed URLs) and checks a signed URL's expiry.
func (o *offline) queryCredentials() {
	u, err := url.Parse(o.req.URL)
	if err != nil || u.RawQuery == "" {
		return
	}
	q := u.Query()
	for name, vs := range q {
		if !credentialParam(name) || len(vs) == 0 {
			continue
		}
		o.sentAny = true
		o.valueShape("the query parameter "+name, vs[0])
		o.add(Finding{Code: CredentialSent, Status: Info, Title: "A credential is sent in the query string (" + name + ")",
			Evidence: []string{"value " + o.mask.show(vs[0]), "query strings end up in logs and browser history; prefer a header where the API takes one"}})
	}
	if date, expires := q.Get("X-Amz-Date"), q.Get("X-Amz-Expires"); date != "" && expires != "" {
		start, err1 := time.Parse("20060102T150405Z", date)
		secs, err2 := strconv.Atoi(expires)
		if err1 == nil && err2 == nil {
			if end, now := start.Add(time.Duration(secs)*time.Second), o.opts.now(); now.After(end) {
				o.add(Finding{Code: TokenExpired, Status: Fail, Cause: "2. Invalid or expired token",
					Title: fmt.Sprintf("The signed URL expired %s ago (X-Amz-Date + X-Amz-Expires)", now.Sub(end).Round(time.Second)),
					Fix:   "Sign a new URL; presigned URLs cannot be extended."})
			}
		}
	}
}

// notCredentialParams are words that make a parameter ending in key or
// token something else: a page or sync cursor, an idempotency or CSRF
// token.
var notCredentialParams = []string{"page", "next", "continuation", "sync", "cursor", "idempotency", "csrf", "xsrf", "cache", "sort", "partition", "row"}

// credentialParam reports whether a query parameter carries a credential:
// a name of credentialNames, or one that ends in key or token (a
// gateway's own gatekeeperKey, userToken) and is no cursor.
func credentialParam(name string) bool {
	n := strings.ToLower(name)
	if credentialNames[n] {
		return true
	}
	if !strings.HasSuffix(n, "key") && !strings.HasSuffix(n, "token") {
		return false
	}
	for _, w := range notCredentialParams {
		if strings.Contains(n, w) {
			return false
		}
	}
	return true
}

// wellKnownAudiences are audiences of tokens minted for someone else's
// API: sent anywhere but there, the token is for another API.
var wellKnownAudiences = []struct {
	pattern *lazyregexp.Regexp
	api     string
	host    string
}{
	{lazyregexp.New(`^(https://graph\.microsoft\.com/?|00000003-0000-0000-c000-000000000000)$`), "Microsoft Graph", "graph.microsoft.com"},
	{lazyregexp.New(`^https://management\.(core\.windows\.net|azure\.com)/?$`), "Azure Resource Manager", "management.azure.com"},
	{lazyregexp.New(`^https://(vault\.azure\.net|storage\.azure\.com|database\.windows\.net)/?$`), "an Azure data service", ".azure.net"},
	{lazyregexp.New(`^https://[^/]+\.auth0\.com/api/v2/?$`), "the Auth0 Management API", ".auth0.com"},
	{lazyregexp.New(`^https://[^/]+\.auth0\.com/userinfo$`), "Auth0's /userinfo (a token requested without an audience)", ".auth0.com"},
	{lazyregexp.New(`^https://www\.googleapis\.com/oauth2/v4/token$`), "Google's token endpoint (a service account assertion)", "googleapis.com"},
	{lazyregexp.New(`^account$`), "Keycloak's account console (the realm's default audience)", ""},
}

// otherAudience flags a token whose aud is a well-known API that is not
// the one called.
func (o *offline) otherAudience(d *jwt.Decoded) {
	host := hostOf(o.req.URL)
	auds := jwt.Audiences(d.Claims["aud"])
	if len(auds) != 1 { // several audiences: one of them may be this API
		return
	}
	for _, w := range wellKnownAudiences {
		if w.pattern.MatchString(auds[0]) && (w.host == "" || !strings.HasSuffix(host, w.host)) {
			o.add(Finding{Code: TokenForOtherAPI, Status: Warn, Cause: "2. Invalid token (wrong audience)",
				Title:    "The token is meant for " + w.api + ", not for this API",
				Evidence: []string{"aud " + auds[0]},
				Fix:      "Request the token for this API's audience (the audience, resource or scope parameter of the token request)."})
			return
		}
	}
}
