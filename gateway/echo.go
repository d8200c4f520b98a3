package gateway

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/credential"
)

// serveEcho answers the echo endpoint: which credential headers arrived,
// by length and fingerprint only.

func (g *Gateway) serveEcho(w http.ResponseWriter, r *http.Request, path string) {
	nonce := r.Header.Get(api.EchoNonceHeader)
	if len(nonce) < 16 || len(nonce) > 128 {
		nonce = ""
	}
	e := api.Echo{Authgate: true, Method: r.Method, Path: path, Origin: sanitizeToken(r.Header.Get("Origin"), 200)}
	for name := range r.Header {
		e.HeaderNames = append(e.HeaderNames, name)
	}
	sort.Strings(e.HeaderNames)
	describe := func(header string, values []string, withScheme bool) api.EchoCredential {
		c := api.EchoCredential{Header: header, Count: len(values)}
		v := values[0]
		if withScheme {
			// Only a known scheme word is named: a credential sent
			// without one stands where the scheme would.
			scheme, rest, _ := strings.Cut(v, " ")
			c.Scheme, _ = credential.KnownScheme(scheme)
			v = rest
		}
		c.Length = len(v)
		c.Fingerprint = g.fingerprint.Of(v)
		if nonce != "" {
			m := hmac.New(sha256.New, []byte(nonce))
			m.Write([]byte(v))
			c.NonceFingerprint = hex.EncodeToString(m.Sum(nil)[:6])
		}
		return c
	}
	if vs := r.Header.Values("Authorization"); len(vs) > 0 {
		c := describe("Authorization", vs, true)
		e.Authorization = &c
	}
	for _, h := range g.apiKeyHeaders {
		if vs := r.Header.Values(h); len(vs) > 0 {
			e.APIKeys = append(e.APIKeys, describe(h, vs, false))
		}
	}
	for _, h := range []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port", "X-Real-Ip", "Forwarded", "Via"} {
		if v := r.Header.Get(h); v != "" {
			if e.Forwarded == nil {
				e.Forwarded = map[string]string{}
			}
			e.Forwarded[h] = sanitizeToken(v, 200)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(e)
}

// sanitizeToken keeps at most n bytes of s, each outside visible ASCII (or
// a quote or backslash) replaced by '?': for echoing header values that
// are not credentials (Origin, forwarding headers).
func sanitizeToken(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x21 || r > 0x7e || r == '"' || r == '\\' {
			return '?'
		}
		return r
	}, s)
}
