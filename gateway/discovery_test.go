package gateway

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/internal/tokentest"
	"github.com/authgate/authgate/reason"
)

// TestDiscovery: an issuer with no key source finds its keys through
// OpenID discovery (or RFC 8414 metadata); a document that names another
// issuer is refused (mix-up), and tokens get 503, never 401.
func TestDiscovery(t *testing.T) {
	tests := []struct {
		name string
		// serve answers the metadata paths: doc is the document, at oidc
		// or at the RFC 8414 address.
		oidc, rfc8414 bool
		docIssuer     string // "" means the right one
		status        int
		reason        reason.Code
	}{
		{"openid discovery", true, false, "", 200, ""},
		{"RFC 8414 metadata", false, true, "", 200, ""},
		{"a document for another issuer (mix-up)", true, false, "https://evil.example", 503, reason.AuthUnavailable},
		{"no metadata at all", false, false, "", 503, reason.AuthUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var idp *httptest.Server
			idp = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				iss := idp.URL + "/realms/acme"
				if tt.docIssuer != "" {
					iss = tt.docIssuer
				}
				doc := fmt.Sprintf(`{"issuer":%q,"jwks_uri":%q}`, iss, idp.URL+"/realms/acme/certs")
				switch {
				case r.URL.Path == "/realms/acme/.well-known/openid-configuration" && tt.oidc,
					r.URL.Path == "/.well-known/oauth-authorization-server/realms/acme" && tt.rfc8414:
					w.Write([]byte(doc))
				case r.URL.Path == "/realms/acme/certs":
					w.Write(tokentest.JWKS())
				default:
					http.NotFound(w, r)
				}
			}))
			defer idp.Close()
			issuer := idp.URL + "/realms/acme"
			cfg, err := config.Parse("d.yaml", []byte(fmt.Sprintf(`
admin: {listen: ""}
issuers:
  - {name: acme, issuer: %q, audiences: [api], jwks_min_refetch: 1ms}
routes:
  - {name: r, path: /v1/*, upstream: "http://127.0.0.1:9"}
`, issuer)), func(string) (string, bool) { return "", false })
			if err != nil {
				t.Fatal(err)
			}
			if !cfg.Issuers[0].Discovers() {
				t.Fatal("an issuer without a key source does not use discovery")
			}
			g, err := New(cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(g.Handler())
			defer srv.Close()
			tok := tokentest.Sign(t, map[string]any{"iss": issuer, "aud": "api", "sub": "a"}, nil)
			req, _ := http.NewRequest("GET", srv.URL+"/v1/x", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			// 200 is the upstream (nothing listens on :9, so 502 means
			// authentication passed).
			want := tt.status
			if want == 200 {
				want = http.StatusBadGateway
			}
			if resp.StatusCode != want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, want, body)
			}
		})
	}
}
