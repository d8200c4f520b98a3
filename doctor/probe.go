package doctor

import (
	"context"
	"fmt"
	"net/http"
)

// prober checks a request against the live server, after the offline
// checks: it sends the request (send.go) and reads the answer, one job a
// file — redirects (redirect.go), who answered and what cause it states
// (identify.go), the verdict on a refusal (verdict.go, failedbody.go,
// scheme.go, statedplace.go, place.go, dpop.go), the clock (clock.go), the
// same request without credentials (without.go), authgate's echo
// (echo.go), the CORS preflight (cors.go), the token's signature
// (jwks.go), the API's own OpenAPI description (discover.go, openapi.go,
// documented.go) and authgate's explain endpoint (explain.go). Each adds
// its findings to the offline report.
type prober struct {
	off    *offline
	opts   *Options
	client *http.Client
	// says is what the final answer states; provider who answered.
	says     *ServerSays
	provider *Provider
	// failedIn2xx: a 2xx whose body says the call failed (Slack's
	// {"ok":false}), or a login page reached by following redirects.
	failedIn2xx bool
	// documentedWay is how the API's description says to send the
	// credential, for a failed call that sent none (added to the top
	// finding's fix).
	documentedWay string
	// descAsked counts the requests discovery sent for a description.
	descAsked int
}

// add records a finding in the report.
func (p *prober) add(f Finding) { p.off.add(f) }

// run sends the request and runs every online check on the answer the
// user's client ends with; it returns that answer.
func (p *prober) run(ctx context.Context, rep *Report) (*answer, error) {
	chain, err := p.send(ctx, true, &rep.Hops)
	if err != nil {
		return nil, fmt.Errorf("the server could not be reached: %w", err)
	}
	final := p.last(chain)
	p.identify(final)
	p.redirects(rep.Hops, chain, final)
	p.credentialPlace(final)
	p.answer(final)
	p.clock(final)
	if p.off.sentAny && final.status >= 400 && final.status < 500 && final.status != 429 {
		p.withoutCredentials(ctx, final)
	}
	if p.off.sentAny {
		p.echo(ctx)
	}
	if p.opts.Origin != "" {
		p.preflight(ctx)
	}
	p.signature(ctx)
	if final.status == 401 {
		p.resourceMetadata(ctx, final)
	}
	// Last: the description's requests spend what time the checks above
	// leave, and its findings meet theirs.
	p.documentedWay = p.documented(ctx, final, rep)
	rep.ServerSays = p.says
	return final, nil
}
