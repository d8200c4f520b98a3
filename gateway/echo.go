package gateway

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
)

// EchoPath ends the path of the echo endpoint; it answers under any prefix,
// so a client can reach it through the same proxy location as its API.
const EchoPath = "/.authgate/echo"

// EchoNonceHeader carries a client-chosen nonce; the echo then also
// returns HMAC-SHA-256(nonce, credential) so the client can check that
// what arrived is byte for byte what it sent, without the credential
// travelling back.
const EchoNonceHeader = "Authgate-Echo-Nonce"

// Echo is the answer of the echo endpoint: what arrived, never a value of
// a credential.
type Echo struct {
	Authgate      bool              `json:"authgate_echo"`
	Method        string            `json:"method"`
	Path          string            `json:"path"`
	HeaderNames   []string          `json:"header_names"`
	Authorization *EchoCredential   `json:"authorization,omitempty"`
	APIKeys       []EchoCredential  `json:"api_key_headers,omitempty"`
	Forwarded     map[string]string `json:"forwarded,omitempty"`
	Origin        string            `json:"origin,omitempty"`
}

// EchoCredential describes one credential header as it arrived.
type EchoCredential struct {
	Header string `json:"header"`
	// Count is how many such header lines arrived.
	Count  int    `json:"count"`
	Scheme string `json:"scheme,omitempty"`
	// Length is the credential's length in bytes (after the scheme).
	Length int `json:"length"`
	// Fingerprint is the gateway's own (keyed) fingerprint, as in its logs.
	Fingerprint string `json:"fingerprint"`
	// NonceFingerprint is HMAC-SHA-256(nonce, credential), first 12 hex.
	NonceFingerprint string `json:"nonce_fingerprint,omitempty"`
}

func (g *Gateway) serveEcho(w http.ResponseWriter, r *http.Request, path string) {
	nonce := r.Header.Get(EchoNonceHeader)
	if len(nonce) < 16 || len(nonce) > 128 {
		nonce = ""
	}
	e := Echo{Authgate: true, Method: r.Method, Path: path, Origin: sanitizeToken(r.Header.Get("Origin"), 200)}
	for name := range r.Header {
		e.HeaderNames = append(e.HeaderNames, name)
	}
	sort.Strings(e.HeaderNames)
	describe := func(header string, values []string, withScheme bool) EchoCredential {
		c := EchoCredential{Header: header, Count: len(values)}
		v := values[0]
		if withScheme {
			scheme, rest, _ := strings.Cut(v, " ")
			c.Scheme, v = sanitizeToken(scheme, 20), rest
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
