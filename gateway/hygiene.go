package gateway

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/reason"
)

// withHygiene is the request path's first judgement: it refuses a
// request with too many header lines, a non-canonical method or path,
// answers authgate's own endpoints, reads the original request a
// decision request describes, and in proxy mode removes every client-sent
// header an upstream could read as something the gateway decides.
func (g *Gateway) withHygiene(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex := exchangeOf(r)
		raw, err := g.canonicalRequest(r, ex)
		if err != nil {
			g.fail(w, ex, err)
			return
		}
		decision := g.underDecisionPath(ex.path)
		if g.serveInternal(w, r, ex, decision) {
			return
		}
		if decision {
			if err := g.decision(r, ex, raw); err != nil {
				ex.trace.Fail("path canonical", err)
				g.fail(w, ex, err)
				return
			}
		}
		ex.trace.Pass("path canonical", ex.path)
		if !ex.decision {
			g.stripForProxy(r.Header, ex.viaProxy)
		}
		next.ServeHTTP(w, r)
	})
}

// canonicalRequest refuses a request with more header lines than
// max_header_count, a method or a path not in canonical form; it sets the
// exchange's path and host, and returns the raw path (without query).
func (g *Gateway) canonicalRequest(r *http.Request, ex *exchange) (rawPath string, err error) {
	if n := headerLines(r.Header); n > g.maxHeaders {
		return "", reason.New(reason.HeadersTooMany, "%d header lines; the limit is %d", n, g.maxHeaders)
	}
	if !canonicalMethod(r.Method) {
		return "", methodError(r.Method)
	}
	if err := fragmentError(r.RequestURI); err != nil {
		return "", err
	}
	raw := r.RequestURI
	if !strings.HasPrefix(raw, "/") {
		raw = r.URL.EscapedPath()
	}
	raw, _, _ = strings.Cut(raw, "?")
	path, err := policy.Canonical(raw)
	if err != nil {
		ex.trace.Fail("path canonical", err)
		return "", err
	}
	ex.path, ex.host = path, policy.HostOnly(r.Host)
	return raw, nil
}

// fragmentError refuses a request target (the request's own, or the
// original a decision describes) that holds a fragment, which a request
// never carries (RFC 9112 section 3.2): net/http passes it on inside the
// query, fasthttp drops it, so an upstream could read another target
// than the one judged.
func fragmentError(target string) error {
	if strings.IndexByte(target, '#') < 0 {
		return nil
	}
	return reason.New(reason.PathMalformed, "the request target holds a fragment ('#'), which a request never carries (RFC 9112 section 3.2)")
}

// headerLines counts the request's header lines (a header sent twice
// counts twice).
func headerLines(h http.Header) int {
	n := 0
	for _, vs := range h {
		n += len(vs)
	}
	return n
}

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
