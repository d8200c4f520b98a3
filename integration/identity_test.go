package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/internal/gatewaytest"
	"github.com/authgate/authgate/internal/tokentest"
)

// TestIdentityToken: with identity_token on, the upstream of an
// authenticated request gets exactly one X-Authgate-Identity — never the
// client's — which it verifies the way an upstream would: with the key set
// the gateway serves, its issuer, its own origin as audience and the
// token type. Public requests carry none; a decision answer carries it
// for the proxy to copy (empty when public).
func TestIdentityToken(t *testing.T) {
	up, seen := recordingUpstream(t, "X-Authgate-Identity")
	jwks := tokentest.JWKS()
	js := gatewaytest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(jwks) }))
	addr, _ := gatewaytest.StartApp(t, fmt.Sprintf(`
realm: api
resource: https://api.authgate.test
trusted_proxies: [127.0.0.1/32]
identity_token: {enabled: true, ttl: 30s}
issuers:
  - {name: main, issuer: "%[1]s", audiences: [api], jwks_url: "http://%[2]s/jwks"}
routes:
  - {name: public, path: /public/*, public: true, upstream: "http://%[3]s"}
  - {name: api, path: /v1/*, scopes_all: [read], upstream: "http://%[3]s"}
`, issuer, js, up))
	send := func(path string, headers ...string) (int, []string, http.Header) {
		t.Helper()
		seen()
		r := raw(t, addr, "GET", path, headers...)
		return r.status, seen(), r.header
	}
	good := token(t, "read")
	// A client's copy in every spelling is removed: one arrives, the gateway's.
	spoofs := []string{"X-Authgate-Identity", "forged", "X_Authgate_Identity", "forged", "x-authgate-identity", "forged", "X-AUTHGATE-IDENTITY", "forged"}
	status, got, _ := send("/v1/data", append([]string{"Authorization", "Bearer " + good}, spoofs...)...)
	if status != 200 || len(got) != 1 || got[0] == "forged" || got[0] == "" {
		t.Fatalf("authenticated: %d, the upstream got %d identity tokens %q", status, len(got), got)
	}
	first := got[0]

	// The upstream's check: keys from the gateway, exact issuer, its own
	// origin as audience, the identity token's own typ.
	r := raw(t, addr, "GET", api.IdentityJWKSPath)
	keys, _, err := jwt.ParseJWKS([]byte(r.body))
	if r.status != 200 || err != nil || len(keys) != 1 {
		t.Fatalf("the gateway's key set: %d %v %d keys", r.status, err, len(keys))
	}
	v, err := jwt.New([]*jwt.Issuer{{Name: "authgate", Issuer: "https://api.authgate.test", Audiences: []string{"http://" + up},
		Algorithms: []string{"ES256"}, Keys: jwt.NewStaticKeys(keys), RequiredType: api.IdentityTokenType, RequireExp: true}}, jwt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := v.Verify(context.Background(), first)
	if err != nil || id.Subject != "token:main:alice" || len(id.Scopes) != 1 || id.Scopes[0] != "read" {
		t.Fatalf("the upstream's verification: %+v %v", id, err)
	}
	if life := id.ExpiresAt.Sub(id.IssuedAt); life != 30*time.Second {
		t.Errorf("the identity token lives %v, want the configured 30s", life)
	}
	// A client's own token, signed by the issuer the gateway trusts, does
	// not pass for an identity token.
	if _, err := v.Verify(context.Background(), good); err == nil {
		t.Error("a client's access token passed the upstream's identity check")
	}

	// Signed once, reused while young.
	if _, got, _ := send("/v1/data", "Authorization", "Bearer "+good); len(got) != 1 || got[0] != first {
		t.Errorf("the second request's identity token differs (not reused): %q", got)
	}
	// Public: none, and the client's is removed.
	if status, got, _ := send("/public/x", spoofs...); status != 200 || len(got) != 0 {
		t.Errorf("public: %d, the upstream got %q", status, got)
	}
	// Decision mode: the answer carries it once, empty when public.
	// A client's copy, in any spelling, the proxy might pass on beside
	// the answer's: such a decision request is refused.
	decide := []string{"Authorization", "Bearer " + good, "X-Original-URI", "/v1/data", "X-Original-Method", "GET"}
	_, _, h := send("/.authgate/decide", decide...)
	if vs := h.Values("X-Authgate-Identity"); len(vs) != 1 || vs[0] == "" {
		t.Errorf("decision answer: %q", vs)
	}
	for i := 0; i < len(spoofs); i += 2 {
		if status, _, _ := send("/.authgate/decide", append(decide, spoofs[i], spoofs[i+1])...); status != 400 {
			t.Errorf("a decision request with %s: %d, want 400", spoofs[i], status)
		}
	}
	_, _, h = send("/.authgate/decide", "X-Original-URI", "/public/x", "X-Original-Method", "GET")
	if vs := h.Values("X-Authgate-Identity"); len(vs) != 1 || vs[0] != "" {
		t.Errorf("public decision answer: %q", vs)
	}
}

// recordingUpstream serves "upstream" and keeps the values of header in
// the request it got last, in every spelling (any case, _ for -: CGI,
// WSGI and Rack read them alike); seen returns them and forgets them.
func recordingUpstream(t *testing.T, header string) (addr string, seen func() []string) {
	var mu sync.Mutex
	var got []string
	addr = gatewaytest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = nil
		for name, values := range r.Header {
			if strings.EqualFold(strings.ReplaceAll(name, "_", "-"), header) {
				got = append(got, values...)
			}
		}
		mu.Unlock()
		io.WriteString(w, "upstream")
	}))
	return addr, func() []string {
		mu.Lock()
		defer mu.Unlock()
		v := got
		got = nil
		return v
	}
}
