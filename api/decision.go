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

// Headers are the convention's header names in order method, URI, host
// (none with PathSuffix).
func (c ProxyConvention) Headers() []string {
	if c.PathSuffix {
		return nil
	}
	return []string{c.Method, c.URI, c.Host}
}
