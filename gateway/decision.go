package gateway

import (
	"cmp"
	"net/http"
	"slices"
	"strings"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/reason"
)

// underDecisionPath reports whether path is the decision endpoint's
// (decision_path, or under it: Envoy appends the original path).
func (g *Gateway) underDecisionPath(path string) bool {
	return g.decisionPath != "" && (path == g.decisionPath || strings.HasPrefix(path, g.decisionPath+"/"))
}

// decision reads the original request a forward-auth proxy describes, in
// the convention decision_proxy names and no other: nginx auth_request
// (X-Original-Method, -URI, -Host, as the documented configuration sets
// them), Caddy forward_auth and Traefik ForwardAuth (X-Forwarded-Method,
// -Uri, -Host), ingress-nginx's auth-url (X-Original-Method and the whole
// URL in X-Original-URL), or Envoy ext_authz in path-prefix mode (the original path
// follows the decision path; method and host are the request's own). The
// decision request's own Host is never taken for the original's: the
// proxy addressed authgate with it.
func (g *Gateway) decision(r *http.Request, ex *exchange, rawPath string) error {
	if !ex.viaProxy {
		return reason.New(reason.ProxyUntrusted, "decision requests are answered only for trusted_proxies; %s is not one", peer(r))
	}
	ex.decision = true
	ex.statusOnly = g.convention.VerdictOnly && r.Header.Get(api.DecisionModeHeader) == api.DecisionStatusOnly
	o, err := g.describedRequest(r.Header)
	if err != nil {
		return err
	}
	method, uri, host := o.method, o.uri, o.host
	rest, suffixed := strings.CutPrefix(rawPath, g.decisionPath+"/")
	switch {
	case g.convention.PathSuffix:
		method, uri, host = r.Method, "/"+rest, r.Host
		if r.URL.RawQuery != "" {
			uri += "?" + r.URL.RawQuery
		}
	case suffixed:
		return reason.New(reason.ProxyRequestInvalid, "the path continues after the decision path, as Envoy sends it; decision_proxy is %s, which sends the original in %s", g.convention.Name, cmp.Or(g.convention.URI, g.convention.URL))
	case method == "" || uri == "" || !strings.HasPrefix(uri, "/"):
		return reason.New(reason.ProxyRequestInvalid, "the decision request lacks the original method or URI (decision_proxy %s sends %s and %s)", g.convention.Name, g.convention.Method, cmp.Or(g.convention.URI, g.convention.URL))
	}
	if host == "" && g.router.HasHostRoutes() {
		return reason.New(reason.ProxyRequestInvalid, "the decision request lacks the original host (%s), and some routes serve only some hosts", cmp.Or(g.convention.Host, g.convention.URL))
	}
	ex.origin = o
	if err := fragmentError(uri); err != nil {
		return err
	}
	path, query, _ := strings.Cut(uri, "?")
	canonical, err := policy.Canonical(path)
	if err != nil {
		return err
	}
	if !canonicalMethod(method) {
		return methodError(method)
	}
	ex.path, ex.method, ex.host = canonical, method, policy.HostOnly(host)
	r.URL.RawQuery = query
	return nil
}

// original is the request a decision request describes: scheme is set
// only by a convention whose URL header carries it.
type original struct{ method, uri, host, scheme string }

// describedRequest reads the original request a decision request
// describes, from the headers of the configured convention only. It
// refuses what a proxy passes on from the client and an upstream could
// read differently: another convention's headers, one of the
// convention's headers twice (in any spelling), as a list, or spelled
// with '_'; an original URL that is not an absolute http(s) URL; path
// rewrites; any header in the identity namespace (a proxy overwrites
// only the ones it copies from the answer); and '_' spellings of
// override, forwarding, Request-Id and credential headers, which the
// proxy neither overwrites nor removes.
func (g *Gateway) describedRequest(h http.Header) (original, error) {
	c, own := g.convention, g.conventionHeaders
	// got holds the values of own[i] at i (a convention names at most four).
	var got [4][]string
	// refused is the refusal for the least name of a header the request
	// is refused for: the answer does not depend on the map's order.
	var refused error
	var refusedName string
	for name, values := range h {
		i := slices.IndexFunc(own, func(c string) bool { return spelledAs(name, c) })
		switch err := g.describingRefusal(name, i); {
		case err != nil:
			if refused == nil || name < refusedName {
				refused, refusedName = err, name
			}
		case i >= 0 && got[i] == nil:
			got[i] = values
		case i >= 0:
			got[i] = slices.Concat(got[i], values)
		}
	}
	if refused != nil {
		return original{}, refused
	}
	for i, name := range own {
		values := got[i]
		switch {
		case len(values) > 1:
			return original{}, reason.New(reason.ProxyRequestInvalid, "%s came %d times; the proxy sends it once", name, len(values))
		case len(values) == 1 && name != c.URI && name != c.URL && strings.IndexByte(values[0], ',') >= 0:
			return original{}, reason.New(reason.ProxyRequestInvalid, "%s is a list; the proxy sends one value", name)
		}
	}
	first := func(name string) string {
		if i := slices.Index(own, name); i >= 0 && len(got[i]) > 0 { // own holds no "": an unnamed header is never found
			return got[i][0]
		}
		return ""
	}
	o := original{method: first(c.Method), uri: first(c.URI), host: first(c.Host)}
	if u := first(c.URL); u != "" {
		var ok bool
		if o.scheme, o.host, o.uri, ok = splitOriginalURL(u); !ok {
			return original{}, reason.New(reason.ProxyRequestInvalid, "%s is not an absolute http or https URL with a path, as %s sends it", c.URL, c.Name)
		}
	}
	return o, nil
}

// describingRefusal is the refusal of a decision request for its
// header name, or nil; i is the index in the convention's own headers of
// the one name spells (-1 for none).
func (g *Gateway) describingRefusal(name string, i int) error {
	c := g.convention
	underscored := strings.IndexByte(name, '_') >= 0
	switch {
	case i >= 0 && underscored:
		return reason.New(reason.ProxyRequestInvalid, "the request carries %s, spelled with '_': %s sets %s, so this is a client's copy", sanitizeToken(name, 64), c.Name, g.conventionHeaders[i])
	case i >= 0:
		return nil
	case spellingOf(name, api.DescribingHeaders):
		return reason.New(reason.ProxyRequestInvalid, "the request carries %s, which %s does not send (decision_proxy: %s): a client's copy, or decision_proxy names the wrong proxy", sanitizeToken(name, 64), c.Name, c.Name)
	case g.hasIdentityPrefix(name):
		return reason.New(reason.ProxyRequestInvalid, "the request carries %s, in the identity namespace: the proxy would pass the client's copy on to the upstream beside the answer's headers (remove such headers at the proxy)", sanitizeToken(name, 64))
	case spellingOf(name, rewriteHeaders):
		return reason.New(reason.ProxyRequestInvalid, "the request carries %s, which asks the upstream to serve another path than the one judged (remove it at the proxy)", sanitizeToken(name, 64))
	case underscored && (spellingOf(name, overrideHeaders) || spellingOf(name, underscoredOnly) || spellingOf(name, g.credentialHeaders) || g.certHeaderSpelling(name)):
		return reason.New(reason.ProxyRequestInvalid, "the request carries %s: spelled with '_', the proxy passes it on and the upstream may read it as the header the gateway decides", sanitizeToken(name, 64))
	}
	return nil
}

// splitOriginalURL splits the whole URL a proxy describes the original
// request with ($scheme://$http_host$request_uri) into its scheme, host
// (possibly empty: a client may send none) and request target. It takes
// http and https only, as nginx's $scheme spells them, and refuses user
// information, a fragment, a host with '?' or '\', and any space or
// control byte — so a list of URLs, or anything else nginx never sends,
// is not read as one.
func splitOriginalURL(v string) (scheme, host, uri string, ok bool) {
	if strings.IndexFunc(v, func(r rune) bool { return r <= 0x20 || r >= 0x7f }) >= 0 || strings.IndexByte(v, '#') >= 0 {
		return "", "", "", false
	}
	scheme, rest, found := strings.Cut(v, "://")
	if !found || scheme != "http" && scheme != "https" {
		return "", "", "", false
	}
	i := strings.IndexByte(rest, '/')
	if i < 0 || strings.ContainsAny(rest[:i], "@?\\") {
		return "", "", "", false
	}
	return scheme, rest[:i], rest[i:], true
}

// conventionOf is the convention decision_proxy names (validated at load;
// the default otherwise).
func conventionOf(name string) api.ProxyConvention {
	if c, ok := api.ProxyConventionNamed(name); ok {
		return c
	}
	return api.ProxyConventions[0]
}
