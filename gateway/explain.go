package gateway

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/reason"
)

// Explain runs the gateway's own steps on in as a dry run and reports the
// checks as they ran: no upstream call, no failure counting, no last-used
// time, no cache, no log line, nothing in the failure feed. Bad input is
// request_invalid.
func (g *Gateway) Explain(ctx context.Context, in api.ExplainRequest) (*api.Explanation, error) {
	return g.explain(ctx, in, nil)
}

// ExplainService is Explain for a handler protected by Service with rule:
// the rule's checks instead of hygiene and the route table.
func (g *Gateway) ExplainService(ctx context.Context, in api.ExplainRequest, rule *policy.Route) (*api.Explanation, error) {
	return g.explain(ctx, in, rule)
}

// explain runs the dry run through the route table, or for one fixed
// rule when rule is not nil.
func (g *Gateway) explain(ctx context.Context, in api.ExplainRequest, rule *policy.Route) (*api.Explanation, error) {
	if in.Method == "" {
		in.Method = http.MethodGet
	}
	if !strings.HasPrefix(in.Path, "/") {
		return nil, reason.New(reason.RequestInvalid, "path must start with /")
	}
	r, err := http.NewRequestWithContext(ctx, strings.ToUpper(in.Method), "http://explain"+in.Path, nil)
	if err != nil {
		return nil, reason.New(reason.RequestInvalid, "the method or path cannot form a request")
	}
	r.RequestURI = in.Path
	r.Host = in.Host
	r.RemoteAddr = "192.0.2.1:1" // not a trusted proxy: forwarding headers are not believed
	for k, v := range in.Headers {
		r.Header.Set(k, v)
	}
	switch {
	case in.Authorization != "":
		r.Header.Set("Authorization", in.Authorization)
	case in.Token != "":
		r.Header.Set("Authorization", "Bearer "+in.Token)
	case in.APIKey != "" && len(g.apiKeyHeaders) > 0:
		r.Header.Set(g.apiKeyHeaders[0], in.APIKey)
	}
	ex := &exchange{start: time.Now(), requestID: "explain", method: r.Method, client: peer(r), trace: credential.NewTrace(true), auth: &g.api}
	allowed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	steps := []func(http.Handler) http.Handler{g.withHygiene, g.withRoute}
	if rule != nil {
		ex.path, ex.route = r.URL.Path, rule
		steps = nil
	}
	pipeline := chain(allowed, append(steps, g.withAuthentication, g.withAuthorization)...)
	rec := &discardWriter{header: http.Header{}, status: http.StatusOK}
	pipeline.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), exchangeKey{}, ex)))
	out := &api.Explanation{Status: rec.status, Scheme: ex.scheme, Checks: ex.trace.Checks()}
	if out.Checks == nil {
		out.Checks = []api.Check{}
	}
	if ex.route != nil {
		out.Route = ex.route.Name
	}
	if ex.err != nil {
		out.Reason, out.Detail = string(ex.err.Code), ex.err.Detail
	}
	if ex.authed {
		out.Identity = identityView(ex.identity)
	}
	return out, nil
}

func identityView(id credential.Identity) *api.Identity {
	v := &api.Identity{Kind: id.Kind, Subject: id.Subject, Issuer: id.Issuer, Scopes: append([]string{}, id.Scopes...)}
	if !id.ExpiresAt.IsZero() {
		v.ExpiresAt = &id.ExpiresAt
	}
	if !id.IssuedAt.IsZero() {
		v.IssuedAt = &id.IssuedAt
	}
	return v
}

// discardWriter keeps only the status of an explained request's answer.
type discardWriter struct {
	header http.Header
	status int
	wrote  bool
}

func (d *discardWriter) Header() http.Header { return d.header }

func (d *discardWriter) Write(b []byte) (int, error) {
	d.wrote = true
	return len(b), nil
}

func (d *discardWriter) WriteHeader(code int) {
	if !d.wrote {
		d.status, d.wrote = code, true
	}
}
