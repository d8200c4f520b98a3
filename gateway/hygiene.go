package gateway

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/authgate/authgate/reason"
)

// overrideHeaders ask an upstream to act on another method than the one
// the gateway judged.
var overrideHeaders = []string{"X-Http-Method-Override", "X-Http-Method", "X-Method-Override"}

// rewriteHeaders ask an upstream (IIS, Symfony, Laravel) to serve another
// path than the one the gateway judged; they are always removed.
var rewriteHeaders = []string{"X-Original-Url", "X-Rewrite-Url"}

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

// stripIdentity removes every client-sent header that names the identity
// namespace in any spelling: X-Authgate-Subject, and X_Authgate_Subject,
// which CGI, WSGI and Rack servers read as the same variable.
func (g *Gateway) stripIdentity(h http.Header) {
	for name := range h {
		if len(name) >= len(g.idPrefix) && strings.EqualFold(strings.ReplaceAll(name[:len(g.idPrefix)], "_", "-"), g.idPrefix) {
			delete(h, name)
		}
	}
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
	for _, name := range overrideHeaders {
		for _, v := range h.Values(name) {
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
