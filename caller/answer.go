package caller

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/challenge"
)

// maxBody bounds what is read of a failed answer's body.
const maxBody = 64 << 10

// answer is what a failed response says about the failure.
type answer struct {
	status     int
	header     http.Header
	reason     string
	serverCode string
	detail     string
	hint       string
	requestID  string
	challenges []challenge.Challenge
}

// requestIDHeaders name a request's id at authgate and at APIs that use
// another header.
var requestIDHeaders = []string{api.RequestIDHeader, "X-Request-Id", "X-GitHub-Request-Id", "X-Amzn-RequestId", "X-Amz-Request-Id", "X-Ms-Request-Id", "X-Goog-Request-Id"}

// readAnswer reads and closes resp's body and gathers the reason, words,
// request id and challenges of the failure.
func readAnswer(resp *http.Response) *answer {
	a := &answer{status: resp.StatusCode, header: resp.Header}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()

	values := resp.Header.Values("WWW-Authenticate")
	cs, err := challenge.Parse(values...)
	if err != nil {
		cs = challenge.ParseLenient(values...)
	}
	a.challenges = cs
	for _, h := range requestIDHeaders {
		if v := resp.Header.Get(h); v != "" {
			a.requestID = v
			break
		}
	}
	media, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if media == "application/problem+json" || media == "application/json" || strings.HasSuffix(media, "+json") {
		a.readJSON(body, media == "application/problem+json")
	}
	// The challenge's RFC 6750 error when the body named no reason.
	for _, c := range cs {
		code, ok := c.Get("error")
		if !ok {
			continue
		}
		if a.reason == "" {
			a.reason = code
		}
		if d, ok := c.Get("error_description"); ok && a.detail == "" {
			a.detail = d
		}
		break
	}
	a.detail = clip(a.detail)
	return a
}

// readJSON reads an RFC 9457 problem (authgate's reason member), or the
// error shapes of other APIs: {"error":"invalid_token",
// "error_description":…} (OAuth), {"message":…} (GitHub),
// {"error":{"type"|"status"|"code":…, "message":…}} (Stripe, Google).
func (a *answer) readJSON(body []byte, problem bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return
	}
	str := func(raw json.RawMessage) string {
		var s string
		json.Unmarshal(raw, &s)
		return s
	}
	if _, has := m["reason"]; problem || has && m["status"] != nil {
		var p api.Problem
		if json.Unmarshal(body, &p) == nil {
			a.reason, a.detail, a.hint = p.Reason, p.Detail, p.Hint
			if a.detail == "" {
				a.detail = p.Title
			}
			if a.requestID == "" {
				a.requestID = p.RequestID
			}
		}
		return
	}
	if e := str(m["error"]); e != "" {
		a.serverCode = e
		a.detail = str(m["error_description"])
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(m["error"], &obj) == nil {
		for _, k := range []string{"status", "type", "code"} {
			if s := str(obj[k]); s != "" {
				a.serverCode = s
				break
			}
		}
		a.detail = str(obj["message"])
	}
	if a.detail == "" {
		a.detail = str(m["message"])
	}
}

// clip bounds a server's words to one short line.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
