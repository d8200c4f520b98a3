// Package doctor diagnoses a failing authenticated HTTP request from the
// client side: it checks what is sent, offline, then probes the server —
// the request as given with each redirect shown, the same request without
// credentials, the challenges and problem bodies, the server's clock, an
// authgate echo, a CORS preflight, the issuer's keys — and ranks what it
// found by how likely each explains the failure. It works against any
// HTTP API, and goes deeper against authgate.
package doctor

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Header is one header line as it will be sent.
type Header struct {
	Name  string
	Value string
	// Unrun lists shell command substitutions left as text in the value.
	Unrun []string
	// Unset lists shell variables that expanded to nothing in the value.
	Unset []string
}

// Request is the request a user sends.
type Request struct {
	Method  string
	URL     string
	Headers []Header
	Body    string
	// FollowRedirects is curl's -L: the user's client follows redirects.
	FollowRedirects bool
	// Dropped are headers not sent because their value expanded to
	// nothing (an unset variable): curl sends no such header at all.
	Dropped []Header
	// Notes are remarks about how the request was built (unknown curl
	// flags, for instance).
	Notes []string
}

// Get returns the header lines named name (case-insensitive).
func (r *Request) Get(name string) []Header {
	var out []Header
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, name) {
			out = append(out, h)
		}
	}
	return out
}

// AddHeader parses a curl-style "Name: value" line. "Name;" sends an
// empty header, "Name:" removes it (as curl does).
func (r *Request) AddHeader(line string, w Word) error {
	name, value, ok := strings.Cut(line, ":")
	if !ok {
		if n, isEmpty := strings.CutSuffix(line, ";"); isEmpty {
			r.Headers = append(r.Headers, Header{Name: strings.TrimSpace(n)})
			return nil
		}
		return fmt.Errorf("header %q has no ':'", headerNameOnly(line))
	}
	name = strings.TrimSpace(name)
	value = strings.TrimLeft(value, " \t")
	if value == "" {
		r.removeHeader(name)
		if len(w.Unset) > 0 {
			r.Dropped = append(r.Dropped, Header{Name: name, Unset: w.Unset})
		}
		return nil
	}
	r.Headers = append(r.Headers, Header{Name: name, Value: value, Unrun: w.Unrun, Unset: w.Unset})
	return nil
}

func (r *Request) removeHeader(name string) {
	kept := r.Headers[:0]
	for _, h := range r.Headers {
		if !strings.EqualFold(h.Name, name) {
			kept = append(kept, h)
		}
	}
	r.Headers = kept
}

// SetBasic sets Authorization from user:password, as curl -u does.
func (r *Request) SetBasic(userPass string, w Word) {
	r.removeHeader("Authorization")
	r.Headers = append(r.Headers, Header{Name: "Authorization",
		Value: "Basic " + base64.StdEncoding.EncodeToString([]byte(userPass)), Unrun: w.Unrun, Unset: w.Unset})
}

// httpHeader renders the headers for net/http, leaving out Authorization
// and the API-key headers when withoutCredentials is set.
func (r *Request) httpHeader(withoutCredentials bool) http.Header {
	h := http.Header{}
	for _, line := range r.Headers {
		if withoutCredentials && isCredentialHeader(line.Name) {
			continue
		}
		h[http.CanonicalHeaderKey(line.Name)] = append(h[http.CanonicalHeaderKey(line.Name)], line.sent())
	}
	return h
}

// sent is the value as it goes on the wire. A line break cannot be sent
// inside a header value: a server receives the value up to it (the rest
// becomes a broken line of its own).
func (h Header) sent() string {
	v, _, _ := strings.Cut(h.Value, "\n")
	return strings.TrimRight(v, "\r")
}

// isCredentialHeader reports whether a header carries a credential:
// Authorization, Proxy-Authorization, or an API-key or token header.
func isCredentialHeader(name string) bool {
	n := strings.ToLower(name)
	if n == "authorization" || n == "proxy-authorization" || n == "cookie" {
		return true
	}
	for _, part := range strings.FieldsFunc(n, func(r rune) bool { return r == '-' || r == '_' }) {
		switch part {
		case "sid", "jwt", "session", "sessionid", "password", "passwd", "credential", "credentials", "auth":
			return true // X-FTL-SID, X-Session-Id, X-Auth-User, X-Auth-Key
		}
	}
	if parts := strings.FieldsFunc(n, func(r rune) bool { return r == '-' || r == '_' }); len(parts) > 0 && parts[len(parts)-1] == "key" &&
		!slices.ContainsFunc(parts, func(p string) bool { return notKeyWords[p] }) {
		return true // X-Key, Fastly-Key, X-Partner-Key
	}
	n = strings.NewReplacer("-", "", "_", "").Replace(n)
	for _, part := range []string{"apikey", "token", "secret", "accesskey", "authkey", "subscriptionkey", "signature"} {
		if strings.Contains(n, part) {
			return true
		}
	}
	return false
}

// notKeyWords name keys that are no credential: Idempotency-Key,
// Sec-WebSocket-Key, a cache or routing key.
var notKeyWords = map[string]bool{"idempotency": true, "websocket": true, "cache": true, "dedup": true, "dedupe": true, "routing": true,
	"partition": true, "sort": true, "correlation": true, "trace": true, "request": true, "public": true}

func headerNameOnly(line string) string {
	if len(line) > 20 {
		return line[:20] + "..."
	}
	return line
}
