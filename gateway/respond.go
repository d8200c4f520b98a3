package gateway

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/reason"
)

// ProblemTypeBase prefixes a reason code to form the problem type URI
// (RFC 9457 §3.1.1); docs/reasons.md documents each code.
const ProblemTypeBase = "https://authgate.dev/reasons/"

// Detail levels: what a client is told. Logs always get everything.
const (
	DetailFull   = "full"   // reason, detail and hint
	DetailReason = "reason" // reason and hint, no detail
	DetailNone   = "none"   // status only; challenges still carry error
)

// Problem is the RFC 9457 body of every rejection.
type Problem struct {
	Type      string `json:"type,omitempty"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Reason    string `json:"reason,omitempty"`
	Detail    string `json:"detail,omitempty"`
	Hint      string `json:"hint,omitempty"`
	RequestID string `json:"request_id"`
}

// responder writes rejections: status, challenges, problem body.
type responder struct {
	realm        string
	detail       string
	apiKeyHeader string
}

// reject answers with the reason of err. route may be nil (before routing).
// scheme is the kind of credential that failed ("" when none was judged).
func (rs *responder) reject(w http.ResponseWriter, requestID string, route *policy.Route, scheme policy.Scheme, re *reason.Error) {
	e := re.Entry()
	h := w.Header()
	if e.Challenged() && route != nil {
		for _, c := range rs.challenges(route, scheme, re, e) {
			h.Add("WWW-Authenticate", c.String())
		}
	}
	if re.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(re.RetryAfter.Seconds()+0.999)))
	}
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	p := Problem{Title: e.Title, Status: e.Status, RequestID: requestID}
	switch rs.detail {
	case DetailFull:
		p.Type, p.Reason, p.Detail, p.Hint = ProblemTypeBase+string(e.Code), string(e.Code), re.Detail, e.Hint
	case DetailReason:
		p.Type, p.Reason, p.Hint = ProblemTypeBase+string(e.Code), string(e.Code), e.Hint
	default:
		p.Title = http.StatusText(e.Status)
	}
	body, _ := json.Marshal(p)
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(e.Status)
	w.Write(append(body, '\n'))
}

// challenges returns one challenge per scheme the route accepts: Bearer
// for JWTs and API keys (which are also sent as Bearer), ApiKey naming the
// API-key header, Basic with charset. Only the Bearer challenge carries RFC
// 6750 error parameters, only when the failing credential was a Bearer one,
// and none at all when no credentials came or the scheme was not accepted.
func (rs *responder) challenges(route *policy.Route, scheme policy.Scheme, re *reason.Error, e reason.Entry) []challenge.Challenge {
	out := make([]challenge.Challenge, 0, len(route.Schemes)+1)
	bearerDone := false
	for _, s := range route.Schemes {
		switch s {
		case policy.SchemeBasic:
			out = append(out, challenge.Challenge{Scheme: "Basic", Params: []challenge.Param{{Name: "realm", Value: rs.realm}, {Name: "charset", Value: "UTF-8"}}})
		case policy.SchemeAPIKey:
			if rs.apiKeyHeader != "" {
				out = append(out, challenge.Challenge{Scheme: "ApiKey", Params: []challenge.Param{{Name: "realm", Value: rs.realm}, {Name: "header", Value: rs.apiKeyHeader}}})
			}
			fallthrough
		case policy.SchemeBearer:
			if bearerDone {
				continue
			}
			bearerDone = true
			c := challenge.Challenge{Scheme: "Bearer", Params: []challenge.Param{{Name: "realm", Value: rs.realm}}}
			if e.BearerError != "" && scheme != policy.SchemeBasic {
				c.Params = append(c.Params, challenge.Param{Name: "error", Value: e.BearerError})
				if rs.detail != DetailNone {
					c.Params = append(c.Params, challenge.Param{Name: "error_description", Value: describe(re, e, rs.detail)})
				}
				if len(re.Scope) > 0 {
					c.Params = append(c.Params, challenge.Param{Name: "scope", Value: strings.Join(re.Scope, " ")})
				}
			}
			out = append(out, c)
		}
	}
	return out
}

// describe returns the error_description: only RFC 6750 §3's characters
// (%x20-21 / %x23-5B / %x5D-7E), never a raw copy of token text.
func describe(re *reason.Error, e reason.Entry, level string) string {
	text := e.Title
	if level == DetailFull && re.Detail != "" {
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
