package api

// ProxyConvention is how one kind of forward-auth proxy describes the
// original request to the decision endpoint. A gateway believes one
// convention only (decision_proxy): a proxy passes every other client
// header through, so a second convention's headers would be the client's.
type ProxyConvention struct {
	// Name is the value of decision_proxy.
	Name string
	// Method, URI and Host name the headers the proxy sets; all empty
	// when PathSuffix.
	Method, URI, Host string
	// URL names the header that carries the whole original URL
	// (scheme://host/path?query) in place of URI and Host (ingress-nginx's
	// external auth): the scheme, host and path all come from it.
	URL string
	// PathSuffix: the original path (and query) follows the decision
	// path, and the method and host are the decision request's own
	// (Envoy ext_authz over HTTP, path_prefix mode).
	PathSuffix bool
	// VerdictOnly: the proxy may ask for the verdict alone
	// (DecisionModeHeader; nginx's first auth_request). Under any other
	// convention the header is a client's and is not believed.
	VerdictOnly bool
}

// Header names of the conventions.
const (
	OriginalMethodHeader  = "X-Original-Method"
	OriginalURIHeader     = "X-Original-Uri"
	OriginalHostHeader    = "X-Original-Host"
	ForwardedMethodHeader = "X-Forwarded-Method"
	ForwardedURIHeader    = "X-Forwarded-Uri"
	ForwardedHostHeader   = "X-Forwarded-Host"
	OriginalURLHeader     = "X-Original-Url"
)

// ProxyConventions are the conventions authgate knows, the default first.
var ProxyConventions = []ProxyConvention{
	// nginx auth_request sets nothing by itself: the documented
	// configuration sets these three with proxy_set_header.
	{Name: "nginx", Method: OriginalMethodHeader, URI: OriginalURIHeader, Host: OriginalHostHeader, VerdictOnly: true},
	// Caddy forward_auth and Traefik ForwardAuth set the X-Forwarded-*
	// names and pass every other header of the client's through.
	{Name: "caddy", Method: ForwardedMethodHeader, URI: ForwardedURIHeader, Host: ForwardedHostHeader},
	{Name: "traefik", Method: ForwardedMethodHeader, URI: ForwardedURIHeader, Host: ForwardedHostHeader},
	{Name: "envoy", PathSuffix: true},
	// ingress-nginx's auth-url sets X-Original-URL to
	// $scheme://$http_host$request_uri and X-Original-Method, replacing
	// the client's copies; under every other convention X-Original-URL
	// is a client's path rewrite.
	{Name: "ingress-nginx", Method: OriginalMethodHeader, URL: OriginalURLHeader},
}

// DescribingHeaders are the header names of every convention: in a
// decision request, those of another convention than the configured one
// are refused, and in proxy mode all are removed.
var DescribingHeaders = []string{OriginalMethodHeader, OriginalURIHeader, OriginalHostHeader,
	ForwardedMethodHeader, ForwardedURIHeader, ForwardedHostHeader}

// ProxyConventionNamed returns the convention called name.
func ProxyConventionNamed(name string) (ProxyConvention, bool) {
	for _, c := range ProxyConventions {
		if c.Name == name {
			return c, true
		}
	}
	return ProxyConvention{}, false
}

// Headers are the names of the headers the convention sets, in order
// method, URI, host, URL (none with PathSuffix).
func (c ProxyConvention) Headers() []string {
	var names []string
	for _, n := range []string{c.Method, c.URI, c.Host, c.URL} {
		if n != "" {
			names = append(names, n)
		}
	}
	return names
}
