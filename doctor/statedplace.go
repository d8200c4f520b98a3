package doctor

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/internal/lazyregexp"
)

// jwtWords: a statement that speaks of a JWT it could not read.
var jwtWords = lazyregexp.New(`(?i)\b(invalid|malformed|bad|expected|not a valid|could not (parse|decode|verify)|unable to (parse|decode)|missing)\b.{0,20}\bjwt\b|\bjwt\b.{0,20}\b(malformed|invalid|expected|could not be (parsed|decoded))`)

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
	headerPlace = lazyregexp.New(`(?i)\b(?:in|via|using|with|through|use|into|as)\s+(?:the|an?)?\s*["'‘“\x60]?((?:x-)?[A-Za-z][\w-]*)["'’”\x60]?\s+(?:http\s+)?(?:request\s+)?header|` +
		// "Missing x-api-key header", "header X-Api-Key is required"
		`\b(?:missing|requires?|required|no|expected|expects?|provide|send|include)\s+(?:the\s+|an?\s+)?["'‘“\x60]?((?:x-)?[A-Za-z][\w-]*)["'’”\x60]?\s+(?:http\s+)?(?:request\s+)?header|` +
		`\bheader\s+["'‘“\x60]?((?:x-)?[A-Za-z][\w-]*)["'’”\x60]?\s+(?:is\s+)?(?:missing|required|expected|not (?:found|present|set))|` +
		`["'‘“\x60]?((?:x-)?[A-Za-z][\w-]*)["'’”\x60]?\s+header\s+(?:must|should|has to|needs to)\s+be\s+(?:sent|set|provided|included|present|supplied)|` +
		// "pass the key in the header X-Api-Key", "use the HTTP header named Api-Key", "expected header: X-Auth-Token"
		`\b(?:in|via|using|with|through|use|into|as|expected|expects?|requires?|required|needs?)\s+(?:(?:the|an?)\s+)?(?:http\s+|request\s+)?header\s*:?\s+(?:named\s+|called\s+)?["'‘“\x60]?((?:x-)?[A-Za-z][\w-]*)`)
	queryPlace = lazyregexp.New(`(?i)\b(?:in|via|using|with|through|as|use)\s+(?:the|an?)?\s*["'‘“\x60]?([A-Za-z][\w-]*)["'’”\x60]?\s+(?:query|url|querystring)\s*(?:string\s+)?param(?:eter)?`)
	credWord   = lazyregexp.New(`(?i)key|token|auth|secret|session|cookie|signature`)
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
	if st, ok := says.statedCause(); ok && namesCause(st.code) && st.code != CompanionHeaderMissing {
		return false // the answer names a cause (a token kind, a scope, an expiry): a header it mentions is not the point
	}
	companion := slices.ContainsFunc(p.off.findings, func(f Finding) bool { return f.Code == CompanionHeaderMissing && f.Status == Fail })
	for _, st := range says.Statements {
		if m := headerPlace.FindStringSubmatch(st.Text); m != nil && credWord.MatchString(firstGroup(m)) && !strings.EqualFold(firstGroup(m), "auth") &&
			(!strings.EqualFold(firstGroup(m), "authorization") || m[1] != "") && (m[1] != "" || m[5] != "" || isCredentialHeader(firstGroup(m)) && !companion) {
			// "in the X header" ("in the header X", "in the Authorization
			// header") names where the credential goes; "missing
			// X header", "X header must be sent" only when X is a
			// credential's header and nothing shows it is one the API
			// needs beside the credential.
			m[1] = firstGroup(m)
			if len(p.off.req.Get(m[1])) > 0 {
				return false
			}
			p.statedWrongPlace(st, ev, fmt.Sprintf("The credential is not in the %s header, where the server reads it", m[1]), fmt.Sprintf("Send the credential in the %s header.", m[1]))
			return true
		}
		if m := queryPlace.FindStringSubmatch(st.Text); m != nil && credWord.MatchString(m[1]) {
			name := strings.ToLower(m[1])
			if strings.Contains("&"+query, "&"+name+"=") {
				return false
			}
			p.statedWrongPlace(st, ev, fmt.Sprintf("The credential is not in the %s query parameter, where the server reads it (it was sent in a header)", m[1]), fmt.Sprintf("Send the credential as ?%s=<credential> in the URL.", m[1]))
			return true
		}
	}
	return false
}

// statedWrongPlace adds the finding that the credential is not where
// statement st says the server reads it; title says where.
func (p *prober) statedWrongPlace(st Statement, ev []string, title, fix string) {
	p.add(Finding{Code: CredentialWrongHeader, Status: Fail, Basis: Stated, Cause: "3. Incorrect authentication scheme",
		Title:    fmt.Sprintf("%s: the server says %q", title, clip(st.Text, 200)),
		Evidence: append([]string{st.Where + ": " + st.Text}, ev...),
		Fix:      fix})
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
