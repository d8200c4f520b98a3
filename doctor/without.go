package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/authgate/authgate/internal/lazyregexp"
)

// withoutCredentials sends the request again without its credentials and
// reads what the difference says (or that there is none).
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
	if with.status == 401 && !sameAnswer(with, without) {
		p.readAnd401(with, without)
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
	if signs := intermediarySigns(with); len(signs) > 0 && !namesCause(p.statedCode(with)) {
		f.Status, f.Basis = Fail, Proven
		f.Title = fmt.Sprintf("A cache or proxy answers (%d) the same with and without the credentials: they do not reach the API, or a stored answer is served", with.status)
		f.Evidence = signs
		f.Fix = "Have the proxy or CDN forward Authorization to the origin and never cache authenticated answers (Cache-Control: private, no-store; Vary: Authorization); test against the origin directly to compare."
	}
	p.add(f)
}

// readAnd401: a 401 that differs from the answer without credentials
// came after the credential was read. When its words name what the
// caller may not do (a permission, a scope, an action refused), the
// refusal is that, not a rejected credential: the finding that the 401
// made a rejection takes the words' cause back.
func (p *prober) readAnd401(with, without *answer) {
	code := p.statedCode(with)
	if code != InsufficientScope && code != Forbidden {
		return
	}
	for i := range p.off.findings {
		if f := &p.off.findings[i]; f.Code == CredentialsRejected && f.Status == Fail {
			f.Code, f.Basis, f.Cause = code, Stated, causeOf(code)
			f.Title = titleOf(code, with.status) + " (without credentials the answer differs: the credential was read)"
			f.Evidence = append(f.Evidence, fmt.Sprintf("without credentials the server answers %d with other words", without.status))
			f.Fix = p.fixFor(code)
			return
		}
	}
}

// namesCause reports whether a code the server's words name is a cause
// of its own, not a generic refusal: then the answer says why, and the
// comparison's before-authentication conclusion does not override it.
func namesCause(code Code) bool { return code != "" && !genericStated[code] }

// volatile are the parts of an answer that differ between two identical
// refusals: dates and times, request and trace ids, long hex or base64
// nonces, Unix timestamps.
var volatile = lazyregexp.New(`(?i)\b(mon|tue|wed|thu|fri|sat|sun), \d{2} \w{3} \d{4} [\d:]{8} gmt|` +
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
