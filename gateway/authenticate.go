package gateway

import (
	"net/http"

	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/reason"
)

// authenticate extracts the request's credential, finds the authenticator
// that claims it and, when the route accepts that scheme, runs it.
func (g *Gateway) authenticate(r *http.Request, ex *exchange) error {
	const present = "credential present"
	p, err := credential.Extract(r, credential.Places{KeyHeaders: g.apiKeyHeaders, Query: ex.route.APIKeyQuery, Route: ex.route.Name})
	if err != nil {
		return ex.trace.Fail(present, err)
	}
	ex.presented = p
	ex.fp = g.fingerprint.Of(p.Value)
	var claimer credential.Authenticator
	for _, a := range ex.auth.list {
		if a.Claims(p) {
			claimer = a
			break
		}
	}
	if claimer == nil || !ex.route.Accepts(claimer.Scheme()) {
		return ex.trace.Fail(present, reason.New(reason.SchemeUnsupported, "route '%s' accepts %s; the request sent %s",
			ex.route.Name, credential.DescribeSchemes(ex.route.Schemes), describeClaimed(claimer, p)))
	}
	ex.scheme = claimer.Scheme()
	ex.trace.Pass(present, ex.scheme+" in "+p.Where())
	if ex.trace.DryRun() {
		id, err := claimer.Authenticate(r.Context(), p, ex.trace)
		if err != nil {
			return err
		}
		ex.identity = id
		return nil
	}
	account := ""
	if an, ok := claimer.(credential.AccountNamer); ok {
		account = an.Account(p)
	}
	hold, err := g.state.limiter.reserve(r.Context(), ex.client, ex.fp, account)
	if err != nil {
		return err
	}
	id, err := claimer.Authenticate(r.Context(), p, ex.trace)
	if err != nil {
		// A refused credential keeps its reserved failures; the gateway's
		// own faults (503) and a status-only decision (asked again in
		// full) give them back.
		if ex.statusOnly || reason.From(err).Entry().Status != http.StatusUnauthorized {
			hold.release(r.Context())
		}
		return err
	}
	hold.release(r.Context())
	id.Fingerprint = ex.fp
	ex.identity = id
	return nil
}

// describeClaimed names what the request sent, never quoting it.
func describeClaimed(a credential.Authenticator, p credential.Presented) string {
	if a == nil {
		return credential.Describe(p)
	}
	if s, ok := credential.LookupScheme(a.Scheme()); ok {
		return s.Title + " (" + p.Where() + ")"
	}
	return a.Scheme()
}
