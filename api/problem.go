package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/authgate/authgate/reason"
)

// ProblemMediaType is the media type of a problem body (RFC 9457 §3).
const ProblemMediaType = "application/problem+json"

// ProblemTypeBase prefixes a reason code to form the problem type URI
// (RFC 9457 §3.1.1); docs/reasons.md documents each code.
const ProblemTypeBase = "https://authgate.dev/reasons/"

// ProblemType is the problem type URI of code.
func ProblemType(code reason.Code) string { return ProblemTypeBase + string(code) }

// Problem is the RFC 9457 body of every rejection, on the gateway and the
// admin API alike.
type Problem struct {
	Type   string `json:"type,omitempty"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
	Hint   string `json:"hint,omitempty"`
	// ScopesAny lists the alternatives of an any-of route on
	// insufficient_scope: holding one of them (beside the challenge's
	// other scopes) suffices. The challenge's scope parameter names one
	// sufficient choice, as RFC 6750 cannot say "one of".
	ScopesAny []string `json:"scopes_any,omitempty"`
	RequestID string   `json:"request_id"`
}

// Detail is how much of a rejection a client is told (the configuration's
// detail). Logs always get everything.
type Detail string

// The detail levels.
const (
	DetailFull   Detail = "full"   // reason, detail and hint
	DetailReason Detail = "reason" // reason and hint, no detail
	DetailNone   Detail = "none"   // status only; challenges still carry error
)

// DetailLevels lists every detail level, the fullest first.
var DetailLevels = []Detail{DetailFull, DetailReason, DetailNone}

// NewProblem is the body telling re at level d.
func NewProblem(re *reason.Error, d Detail, requestID string) Problem {
	e := re.Entry()
	p := Problem{Title: e.Title, Status: e.Status, RequestID: requestID}
	switch d {
	case DetailFull:
		p.Type, p.Reason, p.Detail, p.Hint, p.ScopesAny = ProblemType(e.Code), string(e.Code), re.Detail, e.Hint, re.ScopesAny
	case DetailReason:
		p.Type, p.Reason, p.Hint, p.ScopesAny = ProblemType(e.Code), string(e.Code), e.Hint, re.ScopesAny
	default:
		p.Title = http.StatusText(e.Status)
	}
	return p
}

// WriteProblem answers re as a problem told at level d, with Retry-After
// when re carries one, and returns the body it wrote. Headers set before
// (challenges, DPoP-Nonce) are kept.
func WriteProblem(w http.ResponseWriter, re *reason.Error, d Detail, requestID string) Problem {
	p := NewProblem(re, d, requestID)
	body, _ := json.Marshal(p)
	h := w.Header()
	if re.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(re.RetryAfter.Seconds()+0.999)))
	}
	h.Set("Content-Type", ProblemMediaType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(p.Status)
	w.Write(append(body, '\n'))
	return p
}
