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
	if ex.decision && p.Query != "" && !ex.route.ForwardAuthorization {
		// The proxy forwards the URI as it came: the key would reach the
		// upstream, where authgate cannot remove it.
		return ex.trace.Fail(present, reason.New(reason.CredentialInQuery,
			"behind a forward-auth proxy the upstream would receive the key in the URL, where authgate cannot remove it: send it in a header (or set forward_authorization on route '%s')", ex.route.Name))
	}
	p.Binding = g.binding(r, ex)
	// One keyed digest: the fingerprint, and the verified-token cache's key.
	p.Digest = g.fingerprint.Digest(p.Value)
	ex.presented = p
	ex.fp = p.Digest.Fingerprint()
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
	if ex.trace != nil { // explain only: no text built on the request path
		ex.trace.Pass(present, ex.scheme+" in "+p.Where())
	}
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
	var id credential.Identity
	known := false
	if rem, ok := claimer.(credential.Rememberer); ok {
		id, err, known = rem.Remembered(p)
	}
	// A refused credential spends a failure; the gateway's own faults
	// (503) and a status-only decision (asked again in full) do not.
	spends := func(err error) bool {
		return err != nil && !ex.statusOnly && reason.From(err).Entry().Status == http.StatusUnauthorized
	}
	ctx := r.Context()
	switch {
	case known && !spends(err):
		// Answered from memory, no work to guard: the limits are only
		// read, so a locked-out client stays locked out.
		if lerr := g.state.limiter.check(ctx, ex.budgets[:0], ex.client, ex.fp, account); lerr != nil {
			return lerr
		}
	case known:
		if _, lerr := g.state.limiter.reserve(ctx, ex.budgets[:0], ex.client, ex.fp, account); lerr != nil {
			return lerr
		}
	default:
		hold, lerr := g.state.limiter.reserve(ctx, ex.budgets[:0], ex.client, ex.fp, account)
		if lerr != nil {
			return lerr
		}
		if id, err = claimer.Authenticate(ctx, p, ex.trace); !spends(err) {
			hold.release(ctx)
		}
	}
	if err != nil {
		return err
	}
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
