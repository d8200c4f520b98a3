package doctor

import (
	"context"
	"net/url"
	"strings"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/client"
)

// explainVia asks an authgate admin API how the gateway judges this
// request (no side effects there).
func (p *prober) explainVia(ctx context.Context) (*api.Explanation, error) {
	u, err := url.Parse(p.off.req.URL)
	if err != nil {
		return nil, err
	}
	in := api.ExplainRequest{Method: p.off.req.Method, Path: u.EscapedPath(), Headers: map[string]string{}}
	if u.RawQuery != "" {
		in.Path += "?" + u.RawQuery
	}
	for _, h := range p.off.req.Headers {
		if isCredentialHeader(h.Name) || strings.EqualFold(h.Name, "Origin") {
			in.Headers[h.Name] = h.sent()
		}
	}
	c, err := client.New(p.opts.ExplainVia, p.opts.AdminKey, p.client)
	if err != nil {
		return nil, err
	}
	return c.Explain(ctx, in)
}
