package gateway

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/reason"
)

// responder writes rejections: status, challenges, problem body.
type responder struct {
	realm  string
	detail api.Detail
	// resourceMetadata, when set, is named on every Bearer challenge
	// (RFC 9728 §5.1) so clients can find the authorization server.
	resourceMetadata string
}

// reject answers with the reason of ex.err. Challenges come from the
// authenticators of the route's schemes (none before routing).
func (rs *responder) reject(w http.ResponseWriter, ex *exchange, byScheme map[string]credential.Authenticator) {
	re := ex.err
	e := re.Entry()
	h := w.Header()
	if ex.statusOnly {
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Length", "0")
		w.WriteHeader(e.Status)
		return
	}
	if e.Challenged() && ex.route != nil {
		for _, c := range rs.challenges(ex, byScheme, re, e) {
			h.Add("WWW-Authenticate", c.String())
		}
	}
	if re.Nonce != "" {
		h.Set(api.DPoPNonceHeader, re.Nonce)
	}
	p := api.WriteProblem(w, re, rs.detail, ex.requestID)
	ex.problem = &p
}

// challenges returns one challenge per scheme the route accepts (each
// auth-scheme once, in the route's order). Error parameters (RFC 6750
// §3) go on the challenge of the scheme the failing credential used —
// an API key in X-API-Key fails on the ApiKey challenge, never on Bearer,
// which OAuth clients would read as "refresh the token" — or, when no
// single credential could be read, on the first challenge that takes
// them. None at all when no credentials came or the scheme was not
// accepted (the reason's entry then has no error value).
func (rs *responder) challenges(ex *exchange, byScheme map[string]credential.Authenticator, re *reason.Error, e reason.Entry) []challenge.Challenge {
	var offered []credential.Challenge
	for _, s := range ex.route.Schemes {
		a := byScheme[s]
		if a == nil {
			continue
		}
		for _, c := range a.Challenges(rs.realm) {
			if !containsScheme(offered, c.Scheme) {
				offered = append(offered, c)
			}
		}
	}
	target := -1
	if e.BearerError != "" {
		if ex.presented.Header != "" || ex.presented.Query != "" {
			target = indexScheme(offered, ex.presented.ChallengeScheme())
		} else {
			target = indexScheme(offered, "")
		}
	}
	out := make([]challenge.Challenge, len(offered))
	for i, c := range offered {
		out[i] = c.Challenge
		if rs.resourceMetadata != "" && strings.EqualFold(c.Scheme, "Bearer") {
			out[i].Params = append(append([]challenge.Param(nil), c.Params...), challenge.Param{Name: "resource_metadata", Value: rs.resourceMetadata})
			c.Params = out[i].Params
		}
		if i != target || !c.TakesErrors {
			continue
		}
		params := append([]challenge.Param(nil), c.Params...)
		params = append(params, challenge.Param{Name: "error", Value: e.BearerError})
		if rs.detail != api.DetailNone {
			params = append(params, challenge.Param{Name: "error_description", Value: describe(re, e, rs.detail)})
		}
		if len(re.Scope) > 0 {
			params = append(params, challenge.Param{Name: "scope", Value: strings.Join(re.Scope, " ")})
		}
		if len(re.ACRValues) > 0 {
			params = append(params, challenge.Param{Name: "acr_values", Value: strings.Join(re.ACRValues, " ")})
		}
		if re.MaxAge > 0 {
			params = append(params, challenge.Param{Name: "max_age", Value: strconv.Itoa(int(re.MaxAge.Seconds()))})
		}
		out[i].Params = params
	}
	return out
}

func containsScheme(cs []credential.Challenge, scheme string) bool {
	for _, c := range cs {
		if strings.EqualFold(c.Scheme, scheme) {
			return true
		}
	}
	return false
}

// indexScheme finds the challenge of scheme; "" finds the first that
// takes error parameters.
func indexScheme(cs []credential.Challenge, scheme string) int {
	for i, c := range cs {
		if scheme == "" && c.TakesErrors || scheme != "" && strings.EqualFold(c.Scheme, scheme) {
			return i
		}
	}
	return -1
}

// describe returns the error_description: only RFC 6750 §3's characters
// (%x20-21 / %x23-5B / %x5D-7E), never a raw copy of token text.
func describe(re *reason.Error, e reason.Entry, level api.Detail) string {
	text := e.Title
	if level == api.DetailFull && re.Detail != "" {
		text = re.Detail
	}
	var b strings.Builder
	for i := 0; i < len(text) && b.Len() < 300; i++ {
		switch c := text[i]; {
		case c == '"':
			b.WriteByte('\'')
		case c == '\\' || c < 0x20 || c > 0x7e:
			b.WriteByte('?')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
