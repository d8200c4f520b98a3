package doctor

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/authgate/authgate/api"
)

// echo asks an authgate gateway which auth headers arrived.
func (p *prober) echo(ctx context.Context) {
	u, err := url.Parse(p.off.req.URL)
	if err != nil {
		return
	}
	n := nonce()
	candidates := []string{strings.TrimSuffix(u.Path, "/") + api.EchoPath, api.EchoPath}
	for _, path := range candidates {
		eu := *u
		eu.Path, eu.RawPath, eu.RawQuery = path, "", ""
		h := p.off.req.httpHeader(false)
		h.Set(api.EchoNonceHeader, n)
		a, err := p.do(ctx, http.MethodGet, eu.String(), h, "")
		if err != nil || a.status != 200 {
			continue
		}
		var e api.Echo
		if json.Unmarshal(a.body, &e) != nil || !e.Authgate {
			continue
		}
		p.compareEcho(e, n)
		return
	}
}

// compareEcho compares the Authorization sent with what the gateway's
// echo received (a fingerprint keyed by the nonce n).
func (p *prober) compareEcho(e api.Echo, n string) {
	fp := func(v string) string {
		m := hmac.New(sha256.New, []byte(n))
		m.Write([]byte(v))
		return hex.EncodeToString(m.Sum(nil)[:6])
	}
	for _, h := range p.off.req.Get("Authorization") {
		_, value, _ := strings.Cut(h.sent(), " ")
		switch {
		case e.Authorization == nil:
			p.add(Finding{Code: AuthorizationStripped, Status: Fail, Cause: "7. Proxy or load balancer stripping headers",
				Title:    "Authorization is sent but never reaches the authgate gateway: an intermediary removes it",
				Evidence: []string{fmt.Sprintf("sent Authorization (%d bytes); the gateway's echo received the headers %s", len(h.Value), strings.Join(e.HeaderNames, ", "))},
				Fix:      "Configure the proxy in front of the API to pass Authorization (nginx: do not clear it; proxy_pass keeps it by default; check auth_request and header rules)."})
		case e.Authorization.NonceFingerprint != "" && e.Authorization.NonceFingerprint != fp(value):
			p.add(Finding{Code: AuthorizationStripped, Status: Fail, Cause: "7. Proxy or load balancer stripping headers",
				Title:    "Authorization reaches the gateway altered",
				Evidence: []string{fmt.Sprintf("sent %d bytes; %d bytes arrived, with another fingerprint", len(value), e.Authorization.Length)},
				Fix:      "Something on the way rewrites the header: check the proxy's header rules."})
		default:
			p.add(Finding{Code: EchoMatches, Status: OK, Title: "The gateway's echo received Authorization exactly as sent"})
		}
	}
}
