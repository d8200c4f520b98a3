package gateway

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

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
// trusted proxy — the right-most hop of X-Forwarded-For that is not
// itself a trusted proxy. A client cannot choose its address by sending
// X-Forwarded-For through an untrusted path. A hop may carry a port and
// brackets ("192.0.2.7:80", "[2001:db8::1]:443"); any other text
// ("unknown", garbage) is an unknown client, named by that text: it
// matches no network, so it fails every allow and deny list, and its
// failures are counted under it, never under the proxy's address.
// viaProxy reports whether the peer is a trusted proxy.
func (t trustedProxies) clientOf(r *http.Request) (client string, viaProxy bool) {
	addr := peer(r)
	if !t.ContainsIP(addr) {
		return addr, false
	}
	lines := r.Header.Values("X-Forwarded-For")
	for l := len(lines) - 1; l >= 0; l-- {
		if c, ok := t.clientIn(lines[l], &addr); ok {
			return c, true
		}
	}
	return addr, true
}

// clientIn walks one X-Forwarded-For line from the right: the first hop
// that is not a trusted proxy is the client (ok); trusted hops move addr
// along.
func (t trustedProxies) clientIn(line string, addr *string) (string, bool) {
	for line != "" {
		i := strings.LastIndexByte(line, ',')
		h := strings.TrimSpace(line[i+1:])
		line = line[:max(i, 0)]
		if h == "" {
			continue
		}
		ip, ok := hopAddr(h)
		if !ok {
			return "unknown:" + sanitizeToken(h, 64), true
		}
		if !t.ContainsIP(ip) {
			return ip, true
		}
		*addr = ip
	}
	return "", false
}

// hopAddr reads the address of one X-Forwarded-For hop: an IP address,
// with or without a port, an IPv6 address with or without brackets.
func hopAddr(h string) (string, bool) {
	if a, err := netip.ParseAddr(h); err == nil {
		return a.String(), true
	}
	if ap, err := netip.ParseAddrPort(h); err == nil {
		return ap.Addr().String(), true
	}
	if inner, ok := strings.CutPrefix(h, "["); ok {
		if inner, ok = strings.CutSuffix(inner, "]"); ok {
			if a, err := netip.ParseAddr(inner); err == nil {
				return a.String(), true
			}
		}
	}
	return "", false
}

// preflightRequest refuses, in a decision, a preflight that carries a
// method override or an upgrade: authgate answers the preflight 2xx, so
// the proxy forwards the request — override and upgrade included — to
// the upstream, which would act on them unjudged. In proxy mode the
// gateway answers the preflight itself and forwards nothing.
func (g *Gateway) preflightRequest(r *http.Request, ex *exchange) error {
	if !ex.decision {
		return nil
	}
	if m, err := overriddenMethod(r.Header); err != nil || m != "" {
		return reason.New(reason.MethodMalformed, "a preflight carries a method-override header; the proxy would forward it to the upstream unjudged")
	}
	return checkUpgrade(r, false)
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
	h.Set("Access-Control-Expose-Headers", "WWW-Authenticate, Request-Id, Retry-After, DPoP-Nonce")
	if c.Credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}

// isPreflight reports whether r is a CORS preflight.
func isPreflight(r *http.Request, method string) bool {
	return method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}
