package doctor

import (
	"fmt"
	"slices"
	"strings"
)

// The answer's own headers may name where the API reads its credential
// when its words do not: the challenge of a 401 (RFC 9110: the scheme of
// the Authorization header it wants), and the header lists a browser is
// told (Access-Control-Allow-Headers, Vary). A credential sent elsewhere
// is in the wrong header.

// challengeWantsAuthorization reports a credential sent only in a header
// of its own (or the query) to a server whose 401 challenges for an
// Authorization scheme and reports no error with a token it read
// (RFC 6750 §3.1: no error code when the request had none): the server
// looked for Authorization and found nothing.
func (p *prober) challengeWantsAuthorization(a *answer) {
	if a.status != 401 || len(a.challenges) == 0 || len(p.off.req.Get("Authorization")) > 0 || !p.off.sentAny {
		return
	}
	var offered []string
	for _, c := range a.challenges {
		if _, read := c.Get("error"); read || strings.EqualFold(c.Scheme, "Digest") || strings.EqualFold(c.Scheme, "Negotiate") {
			return
		}
		offered = append(offered, c.Scheme)
	}
	sent := "the query string"
	if cs := p.off.credentials(); len(cs) > 0 {
		sent = "the " + cs[0].header + " header"
	}
	p.add(Finding{Code: CredentialWrongHeader, Status: Fail, Basis: Proven, Cause: "3. Incorrect authentication scheme",
		Title:    fmt.Sprintf("The credential is sent in %s, and the server's challenge asks for Authorization: %s: it reads the credential from the Authorization header", sent, strings.Join(offered, " or ")),
		Evidence: []string{"WWW-Authenticate: " + a.header.Get("WWW-Authenticate") + " (no error: the server found no credential it reads)"},
		Fix:      fmt.Sprintf("Send the credential as Authorization: %s <credential>, as the API documents.", offered[0]),
		Command: p.off.command(func(r *Request) {
			for _, c := range p.off.credentials() {
				r.removeHeader(c.header)
			}
			r.Headers = append(r.Headers, Header{Name: "Authorization", Value: offered[0] + " x"})
		})})
}

// listedHeaders are the answer's header lists that name the request
// headers the API reads.
var listedHeaders = []string{"Access-Control-Allow-Headers", "Vary"}

// listNamesOtherHeader reports a credential sent in a header (or the
// query) that the answer's Access-Control-Allow-Headers or Vary list does
// not name, when the list names another credential header: the API reads
// that one.
func (p *prober) listNamesOtherHeader(a *answer) {
	if !p.off.sentAny {
		return
	}
	var sent []string
	for _, c := range p.off.credentials() {
		sent = append(sent, strings.ToLower(c.header))
	}
	for _, list := range listedHeaders {
		var named []string
		for _, v := range a.header.Values(list) {
			for _, n := range strings.Split(v, ",") {
				n = strings.TrimSpace(n)
				low := strings.ToLower(n)
				if n == "*" || slices.Contains(sent, low) {
					return // every header, or the one sent: nothing says it is the wrong one
				}
				if isCredentialHeader(n) && low != "cookie" && low != "proxy-authorization" && !strings.Contains(low, "csrf") && !strings.Contains(low, "xsrf") {
					named = append(named, n)
				}
			}
		}
		if len(named) == 0 {
			continue
		}
		where := "the query string"
		if len(sent) > 0 {
			where = "the " + p.off.credentials()[0].header + " header"
		}
		p.add(Finding{Code: CredentialWrongHeader, Status: Fail, Basis: Proven, Cause: "3. Incorrect authentication scheme",
			Title:    fmt.Sprintf("The credential is sent in %s, which the API does not list among the headers it reads (%s: %s)", where, list, strings.Join(named, ", ")),
			Evidence: []string{list + ": " + strings.Join(a.header.Values(list), ", ")},
			Fix:      fmt.Sprintf("Send the credential in the header the API reads (%s), in the form its documentation gives.", strings.Join(named, " or "))})
		return
	}
}
