package gateway

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/reason"
)

// trustedProxies are the networks whose forwarding headers are believed.
type trustedProxies struct{ policy.Networks }

// peer is the address of the connection's other end.
func peer(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// clientOf is the client's address: the peer, or — when the peer is a
// trusted proxy — the right-most address of X-Forwarded-For that is not
// itself a trusted proxy. A client cannot choose its address by sending
// X-Forwarded-For through an untrusted path.
func (t trustedProxies) clientOf(r *http.Request) string {
	addr := peer(r)
	if !t.ContainsIP(addr) {
		return addr
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h := strings.TrimSpace(hops[i])
		if h == "" {
			continue
		}
		if _, err := netip.ParseAddr(h); err != nil {
			return addr
		}
		if !t.ContainsIP(h) {
			return h
		}
		addr = h
	}
	return addr
}

// decision reads the original request a forward-auth proxy describes:
// nginx auth_request (X-Original-Method, X-Original-URI), Caddy
// forward_auth and Traefik ForwardAuth (X-Forwarded-Method, -Uri), or
// Envoy ext_authz in path-prefix mode (the original path follows the
// decision path; the method is the request's own).
func (g *Gateway) decision(r *http.Request, ex *exchange, rawPath string) error {
	if !g.trusted.ContainsIP(peer(r)) {
		return reason.New(reason.ProxyUntrusted, "decision requests are answered only for trusted_proxies; %s is not one", peer(r))
	}
	ex.decision = true
	ex.statusOnly = r.Header.Get(api.DecisionModeHeader) == api.DecisionStatusOnly
	method := firstHeader(r, "X-Original-Method", "X-Forwarded-Method")
	uri := firstHeader(r, "X-Original-Uri", "X-Forwarded-Uri")
	if rest, ok := strings.CutPrefix(rawPath, g.decisionPath+"/"); ok {
		uri, method = "/"+rest, r.Method
		if r.URL.RawQuery != "" {
			uri += "?" + r.URL.RawQuery
		}
	}
	if method == "" || uri == "" || !strings.HasPrefix(uri, "/") {
		return reason.New(reason.ProxyRequestInvalid, "the decision request lacks the original method or URI (X-Original-Method/X-Original-URI or X-Forwarded-Method/X-Forwarded-Uri)")
	}
	path, query, _ := strings.Cut(uri, "?")
	canonical, err := policy.Canonical(path)
	if err != nil {
		return err
	}
	if !canonicalMethod(method) {
		return methodError(method)
	}
	ex.path, ex.method = canonical, method
	if h := firstHeader(r, "X-Original-Host", "X-Forwarded-Host"); h != "" {
		ex.host = policy.HostOnly(h)
	}
	r.URL.RawQuery = query
	return nil
}

func firstHeader(r *http.Request, names ...string) string {
	for _, n := range names {
		if v := r.Header.Get(n); v != "" {
			return v
		}
	}
	return ""
}

// preflight answers a CORS preflight before any authentication: 204 with
// the route's CORS headers, or 403 cors_origin_denied — never 401.
func (g *Gateway) preflight(w http.ResponseWriter, r *http.Request, ex *exchange) error {
	route, err := g.router.Match(strings.ToUpper(r.Header.Get("Access-Control-Request-Method")), ex.host, ex.path)
	if err != nil {
		return err
	}
	ex.route = route
	origin := r.Header.Get("Origin")
	c := route.CORS
	h := w.Header()
	h.Add("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
	if c == nil {
		return reason.New(reason.CORSOriginDenied, "route '%s' has no CORS policy, so no other origin may call it (configure routes[].cors)", route.Name)
	}
	if !c.AllowsOrigin(origin) {
		return reason.New(reason.CORSOriginDenied, "route '%s' does not allow the origin %s", route.Name, sanitizeToken(origin, 100))
	}
	requested := strings.Split(r.Header.Get("Access-Control-Request-Headers"), ",")
	if !c.AllowsHeaders(requested) {
		return reason.New(reason.CORSOriginDenied, "route '%s' does not allow the request headers %s (allowed: %s)",
			route.Name, sanitizeToken(r.Header.Get("Access-Control-Request-Headers"), 100), strings.Join(c.Headers, ", "))
	}
	h.Set("Access-Control-Allow-Origin", c.AllowOriginValue(origin))
	h.Set("Access-Control-Allow-Methods", strings.Join(c.Methods, ", "))
	h.Set("Access-Control-Allow-Headers", strings.Join(c.Headers, ", "))
	if c.Credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Set("Access-Control-Max-Age", strconv.Itoa(int(c.MaxAge.Seconds())))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// corsHeaders adds the CORS headers of an actual request from an allowed
// origin, so browser code can read the answer and why it failed.
func corsHeaders(w http.ResponseWriter, r *http.Request, route *policy.Route) {
	c := route.CORS
	if c == nil {
		return
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	if !c.AllowsOrigin(origin) {
		return
	}
	h.Set("Access-Control-Allow-Origin", c.AllowOriginValue(origin))
	h.Set("Access-Control-Expose-Headers", "WWW-Authenticate, Request-Id, Retry-After")
	if c.Credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}

// isPreflight reports whether r is a CORS preflight.
func isPreflight(r *http.Request, method string) bool {
	return method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}
