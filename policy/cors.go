package policy

import (
	"slices"
	"strings"
	"time"
)

// CORS is a route's compiled cross-origin policy.
type CORS struct {
	exact       []string
	patterns    [][2]string // scheme://  and  .example.com[:port]
	any         bool
	Methods     []string
	Headers     []string
	Credentials bool
	MaxAge      time.Duration
}

// NewCORS compiles origins ("*", exact, or "https://*.example.com").
func NewCORS(origins, methods, headers []string, credentials bool, maxAge time.Duration) *CORS {
	c := &CORS{Methods: methods, Headers: headers, Credentials: credentials, MaxAge: maxAge}
	for _, o := range origins {
		switch {
		case o == "*":
			c.any = true
		case strings.Contains(o, "*."):
			scheme, host, _ := strings.Cut(o, "*.")
			c.patterns = append(c.patterns, [2]string{scheme, "." + host})
		default:
			c.exact = append(c.exact, strings.ToLower(o))
		}
	}
	return c
}

// AllowsOrigin reports whether origin may call the route.
func (c *CORS) AllowsOrigin(origin string) bool {
	if origin == "" || origin == "null" {
		return false
	}
	o := strings.ToLower(origin)
	if c.any || slices.Contains(c.exact, o) {
		return true
	}
	for _, p := range c.patterns {
		if rest, ok := strings.CutPrefix(o, p[0]); ok && strings.HasSuffix(rest, p[1]) {
			label := strings.TrimSuffix(rest, p[1])
			if label != "" && !strings.ContainsAny(label, "/:@") {
				return true
			}
		}
	}
	return false
}

// AllowOriginValue is the Access-Control-Allow-Origin to send: the origin
// itself (never "*" when credentials are allowed).
func (c *CORS) AllowOriginValue(origin string) string {
	if c.any && !c.Credentials {
		return "*"
	}
	return origin
}

// AllowsHeaders reports whether every requested header is allowed.
// Authorization must be listed by name: "*" never covers it.
func (c *CORS) AllowsHeaders(requested []string) bool {
	for _, h := range requested {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" || slices.Contains(c.Headers, h) {
			continue
		}
		if slices.Contains(c.Headers, "*") && h != "authorization" {
			continue
		}
		return false
	}
	return true
}
