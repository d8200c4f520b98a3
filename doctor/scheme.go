package doctor

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/credential/diagnose"
	"github.com/authgate/authgate/internal/lazyregexp"
)

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
var schemeWords = []*lazyregexp.Regexp{
	lazyregexp.New(`(?i)(?:must|should|needs? to|has to) (?:start|begin) with (?:the )?["'‘“]?([A-Za-z][\w-]*)`),
	lazyregexp.New(`(?i)\buse (?:the )?["'‘“]?([A-Za-z][\w-]*)["'’”]? (?:prefix|scheme|(?:authentication|authorization) (?:scheme|method|type))`),
	lazyregexp.New(`(?i)authorization: ?["'‘“]?([A-Za-z][\w-]*)=? ?[<{\[]`),
	lazyregexp.New(`(?i)\b([A-Za-z][\w-]*) (?:prefix|scheme) (?:is )?(?:required|missing|expected)`),
	lazyregexp.New(`(?i)(?:scheme|prefix) (?:must be|should be|expected:?) ["'‘“]?([A-Za-z][\w-]*)`),
	lazyregexp.New(`(?i)(?:in the form|of the form|formatted as|format(?: is| must be| should be)?|like)(?: of)?:? ["'‘“]?(?:authorization: ?)?([A-Za-z][\w-]*) [<{\[]`),
	// "expected a Bearer token", "only Basic authentication is supported"
	lazyregexp.New(`(?i)\b(?:expects?|expected|requires?|required|accepts? only|only accepts?|supports? only|only supports?|must use|use)(?: an?| the)? ["'‘“]?(` + knownSchemes + `)["'’”]? (?:token|auth|authentication|authorization|scheme|credentials?|header)`),
	lazyregexp.New(`(?i)\bonly ["'‘“]?(` + knownSchemes + `)["'’”]? (?:auth|authentication|authorization|tokens?|scheme|credentials?) (?:is |are )?(?:supported|accepted|allowed)`),
	lazyregexp.New(`(?i)\b(?:authorization|auth) header (?:must|should) (?:be|contain|look like|start with):? ["'‘“]?(` + knownSchemes + `)\b`),
}

// knownSchemes are the schemes an answer's words may name outside a
// pattern that shows them as a scheme (a prefix, "Authorization: X <…>").
const knownSchemes = `Bearer|Basic|Token|Digest|Bot|Negotiate|NTLM|ApiKey|Api-Key|SSWS|OAuth|DPoP|JWT|Key|GenieKey`

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
			if !ok && !strings.EqualFold(scheme, want) {
				scheme = "(no scheme)" // a bare credential; the scheme alone is the right one without its credential
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
