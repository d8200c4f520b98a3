package gateway

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/reason"
)

// overrideHeaders ask an upstream to act on another method than the one
// the gateway judged.
var overrideHeaders = []string{"X-Http-Method-Override", "X-Http-Method", "X-Method-Override"}

// rewriteHeaders ask an upstream (IIS, Symfony, Laravel) to serve another
// path than the one the gateway judged: removed in proxy mode, refused in
// decision requests (where the proxy would pass them on).
var rewriteHeaders = []string{"X-Original-Url", "X-Rewrite-Url"}

// forwardingHeaders are believed from trusted proxies in their standard
// spelling only; another spelling is a client's copy that an upstream
// could read as the same header.
var forwardingHeaders = []string{"X-Forwarded-For", "X-Forwarded-Proto"}

// peerForwarding are forwarding headers authgate does not read but an
// upstream may believe (the client's address, scheme, port, path prefix):
// a client's copy is removed in any spelling; a trusted proxy's passes.
var peerForwarding = []string{"X-Real-Ip", "True-Client-Ip", "X-Client-Ip", "X-Forwarded-Port", "X-Forwarded-Ssl",
	"X-Forwarded-Scheme", "X-Forwarded-Prefix", "X-Forwarded-Path", "X-Envoy-Original-Path"}

// underscoredOnly are read (or set) by the gateway in their standard
// spelling; a copy spelled with '_' is a client's that an upstream could
// read as the same header.
var underscoredOnly = append([]string{api.RequestIDHeader}, forwardingHeaders...)

// spelledAs reports whether the header name is canon as CGI, WSGI, Rack
// and PHP read header names: in any case, with '_' for '-'. Every header
// the gateway reads, strips or refuses is matched this way: one rule.
func spelledAs(name, canon string) bool {
	if len(name) != len(canon) {
		return false
	}
	for i := 0; i < len(name); i++ {
		a, b := lowerASCII(name[i]), lowerASCII(canon[i])
		if a == '_' {
			a = '-'
		}
		if a != b {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// spellingOf reports whether name spells one of canons.
func spellingOf(name string, canons []string) bool {
	for _, c := range canons {
		if spelledAs(name, c) {
			return true
		}
	}
	return false
}

// deleteSpellings removes every header that spells one of names.
func deleteSpellings(h http.Header, names []string) {
	for name := range h {
		if spellingOf(name, names) {
			delete(h, name)
		}
	}
}

// hasIdentityPrefix reports whether name is in the identity namespace in
// any spelling (X-Authgate-Subject, X_Authgate_Subject, any case).
func (g *Gateway) hasIdentityPrefix(name string) bool {
	return len(name) >= len(g.idPrefix) && spelledAs(name[:len(g.idPrefix)], g.idPrefix)
}

// stripForProxy removes, before a request is judged and forwarded, every
// client-sent header an upstream could read as something the gateway
// decides: the identity namespace, path rewrites and the descriptions of
// an original request (X-Original-URI, X-Forwarded-Uri, …) in any
// spelling; the forwarding headers and Request-Id in a spelling other
// than the standard one (the standard ones are rewritten); and, unless the
// peer is a trusted proxy, the other forwarding headers (X-Real-IP, …).
func (g *Gateway) stripForProxy(h http.Header, trustedPeer bool) {
	for name := range h {
		if g.hasIdentityPrefix(name) || spellingOf(name, rewriteHeaders) || spellingOf(name, api.DescribingHeaders) ||
			strings.IndexByte(name, '_') >= 0 && spellingOf(name, underscoredOnly) ||
			!trustedPeer && spellingOf(name, peerForwarding) ||
			g.certHeaderSpelling(name) && (!trustedPeer || strings.IndexByte(name, '_') >= 0) {
			delete(h, name)
		}
	}
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
	c := g.convention
	own := c.Headers()
	got := make(map[string][]string, len(own))
	for name, values := range h {
		i := slices.IndexFunc(own, func(c string) bool { return spelledAs(name, c) })
		underscored := strings.IndexByte(name, '_') >= 0
		switch {
		case i >= 0 && underscored:
			return original{}, reason.New(reason.ProxyRequestInvalid, "the request carries %s, spelled with '_': %s sets %s, so this is a client's copy", sanitizeToken(name, 64), c.Name, own[i])
		case i >= 0:
			got[own[i]] = append(got[own[i]], values...)
		case spellingOf(name, api.DescribingHeaders):
			return original{}, reason.New(reason.ProxyRequestInvalid, "the request carries %s, which %s does not send (decision_proxy: %s): a client's copy, or decision_proxy names the wrong proxy", sanitizeToken(name, 64), c.Name, c.Name)
		case g.hasIdentityPrefix(name):
			return original{}, reason.New(reason.ProxyRequestInvalid, "the request carries %s, in the identity namespace: the proxy would pass the client's copy on to the upstream beside the answer's headers (remove such headers at the proxy)", sanitizeToken(name, 64))
		case spellingOf(name, rewriteHeaders):
			return original{}, reason.New(reason.ProxyRequestInvalid, "the request carries %s, which asks the upstream to serve another path than the one judged (remove it at the proxy)", sanitizeToken(name, 64))
		case underscored && (spellingOf(name, overrideHeaders) || spellingOf(name, underscoredOnly) || spellingOf(name, g.credentialHeaders) || g.certHeaderSpelling(name)):
			return original{}, reason.New(reason.ProxyRequestInvalid, "the request carries %s: spelled with '_', the proxy passes it on and the upstream may read it as the header the gateway decides", sanitizeToken(name, 64))
		}
	}
	for _, name := range own {
		values := got[name]
		switch {
		case len(values) > 1:
			return original{}, reason.New(reason.ProxyRequestInvalid, "%s came %d times; the proxy sends it once", name, len(values))
		case len(values) == 1 && name != c.URI && name != c.URL && strings.IndexByte(values[0], ',') >= 0:
			return original{}, reason.New(reason.ProxyRequestInvalid, "%s is a list; the proxy sends one value", name)
		}
	}
	first := func(name string) string {
		if len(got[name]) == 0 {
			return ""
		}
		return got[name][0]
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

// canonicalMethod reports whether m is a method in canonical form: upper-
// case letters, digits, '-' and '_' (M-SEARCH), at most 32 of them.
// Methods are case-sensitive (RFC 9110 §9.1): "delete" is not DELETE to an
// upstream, so the gateway never lets one through to be read differently.
func canonicalMethod(m string) bool {
	if m == "" || len(m) > 32 {
		return false
	}
	for i := 0; i < len(m); i++ {
		if c := m[i]; !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func methodError(m string) error {
	return reason.New(reason.MethodMalformed, "the method %s is not in canonical (upper-case) form", describeMethod(m))
}

// describeMethod quotes a short printable method, else describes it.
func describeMethod(m string) string {
	if len(m) <= 32 && strings.IndexFunc(m, func(r rune) bool { return r < 0x21 || r > 0x7e }) < 0 {
		return "'" + m + "'"
	}
	return "given"
}

// checkUpgrade refuses a protocol upgrade the route did not allow: h2c
// never (an upstream that accepts it would carry later requests in a
// tunnel the gateway does not judge), WebSocket only where the route
// says so.
func checkUpgrade(r *http.Request, webSocket bool) error {
	up := r.Header.Values("Upgrade")
	if len(up) == 0 && r.Header.Get("Http2-Settings") == "" {
		return nil
	}
	if webSocket && len(up) == 1 && strings.EqualFold(strings.TrimSpace(up[0]), "websocket") {
		return nil
	}
	what := "this upgrade"
	if v := strings.ToLower(strings.Join(up, ",")); strings.Contains(v, "h2c") || r.Header.Get("Http2-Settings") != "" {
		what = "an upgrade to h2c (cleartext HTTP/2)"
	} else if strings.Contains(v, "websocket") {
		what = "a WebSocket upgrade"
	}
	return reason.New(reason.UpgradeNotAllowed, "%s is not allowed on this route", what)
}

// overriddenMethod returns the method an override header asks for, or ""
// when none is sent. Two different overrides, or a non-canonical one,
// are refused.
func overriddenMethod(h http.Header) (string, error) {
	m := ""
	for name, values := range h {
		if !spellingOf(name, overrideHeaders) {
			continue
		}
		for _, v := range values {
			v = strings.TrimSpace(v)
			if !canonicalMethod(v) {
				return "", methodError(v)
			}
			if m != "" && v != m {
				return "", reason.New(reason.MethodMalformed, "the method-override headers disagree")
			}
			m = v
		}
	}
	return m, nil
}

// withoutQueryParam removes every occurrence of param from a raw query,
// keeping the rest byte for byte.
func withoutQueryParam(raw, param string) string {
	if raw == "" || param == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	kept := parts[:0]
	for _, p := range parts {
		key, _, _ := strings.Cut(p, "=")
		if k, err := url.QueryUnescape(key); err == nil && k == param {
			continue
		}
		kept = append(kept, p)
	}
	return strings.Join(kept, "&")
}
