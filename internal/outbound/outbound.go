// Package outbound holds the rule of every fetch the gateway makes by
// itself — key sets, discovery documents, introspection, trace export: no
// redirect is followed. A redirect would bypass the https-only rule the
// configured URL passed, and a 307 or 308 re-posts the body (a client
// secret, a user's token, spans) to wherever the answer points. A 3xx is
// a failed fetch whose error names the status and the Location's origin.
package outbound

import (
	"fmt"
	"net/http"
	"net/url"
)

// NoRedirects returns a copy of c (http.DefaultClient when nil) that
// follows no redirect: the 3xx answer itself is returned, for the caller
// to refuse (Redirect describes it). The copy shares c's transport.
func NoRedirects(c *http.Client) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	cp := *c
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

// IsRedirect reports whether resp is a redirect NoRedirects returned.
func IsRedirect(resp *http.Response) bool {
	return resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.Header.Get("Location") != ""
}

// Redirect describes a redirect answer for an error: its status and the
// origin (scheme and host) of its Location, bounded, never its path or
// query, which may carry anything.
func Redirect(resp *http.Response) string {
	where := "an unreadable Location"
	if u, err := resp.Location(); err == nil && u.Host != "" {
		where = origin(u)
	}
	return fmt.Sprintf("HTTP %d, a redirect to %s (not followed: configure the URL it names, if it is trusted)", resp.StatusCode, where)
}

// origin is u's scheme and host, printable ASCII, at most 100 bytes.
func origin(u *url.URL) string {
	s := u.Scheme + "://" + u.Host
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s) && len(b) < 100; i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			c = '?'
		}
		b = append(b, c)
	}
	return string(b)
}
