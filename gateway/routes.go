package gateway

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/valyala/fasthttp"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/policy"
)

// buildRoutes makes the router of the configured routes, each with its
// upstream. Routes that reach one upstream share its connections.
func (g *Gateway) buildRoutes(cfg *config.Config) (*policy.Router, error) {
	routes := make([]*policy.Route, 0, len(cfg.Routes))
	pool := transports{}
	fastClients := map[string]*fasthttp.HostClient{}
	for _, rc := range cfg.Routes {
		rt, err := newRoute(rc, cfg.MaxBodyBytes)
		if err != nil {
			return nil, err
		}
		u, err := url.Parse(rc.Upstream)
		if err != nil {
			return nil, err
		}
		rt.Target = g.newUpstream(u, g.upstreamTransport(pool.of(u, rc), rc.Name, rc.UpstreamH2C), rc, fastClients)
		routes = append(routes, rt)
	}
	return policy.NewRouter(routes), nil
}

// newRoute is the policy of route rc: what it matches and what it
// requires. A route without its own max_body_bytes takes maxBody.
func newRoute(rc *config.Route, maxBody int64) (*policy.Route, error) {
	rt, err := policy.NewRoute(rc.Name, rc.Methods, rc.Path, rc.Public, rc.Schemes, rc.ScopesAll, rc.ScopesAny, rc.APIKeyQuery)
	if err != nil {
		return nil, err
	}
	rt.WebSocket, rt.MethodOverride, rt.MaxBodyBytes, rt.ForwardAuthorization = rc.WebSocket, rc.MethodOverride, rc.MaxBodyBytes, rc.ForwardAuthorization
	if rt.MaxBodyBytes == 0 {
		rt.MaxBodyBytes = maxBody
	}
	if q := rc.Quota; q != nil {
		rt.Quota = &credential.Quota{Requests: q.Requests, Per: q.Per}
	}
	rt.ClaimsAll, rt.ClaimsAny, rt.ACRValues, rt.MaxAge = rc.ClaimsAll, rc.ClaimsAny, rc.ACRValues, rc.MaxAge
	if rt.Allow, err = policy.ParseNetworks(rc.AllowCIDRs); err != nil {
		return nil, err
	}
	if rt.Deny, err = policy.ParseNetworks(rc.DenyCIDRs); err != nil {
		return nil, err
	}
	if c := rc.CORS; c != nil {
		rt.CORS = policy.NewCORS(c.AllowedOrigins, c.AllowedMethods, c.AllowedHeaders, c.AllowCredentials, c.MaxAge)
	}
	rt.Hosts, rt.DPoP = rc.Hosts, rc.DPoP
	return rt, nil
}

// transports pools the net/http transports to upstreams, one per
// upstream host, upstream_timeout and upstream_h2c.
type transports map[string]*http.Transport

// of is the transport of route rc, whose upstream is u.
func (t transports) of(u *url.URL, rc *config.Route) *http.Transport {
	key := fmt.Sprintf("%s|%s|%t", u.Host, rc.UpstreamTimeout, rc.UpstreamH2C)
	if t[key] == nil {
		t[key] = newTransport(rc.UpstreamTimeout, rc.UpstreamH2C)
	}
	return t[key]
}
