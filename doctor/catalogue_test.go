package doctor

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/internal/tokentest"
	"github.com/authgate/authgate/reason"
)

// TestServerCodesCoverCatalogue: every reason of authgate's catalogue,
// answered as the gateway answers it (its status, a problem+json body
// with the reason), is diagnosed as the finding serverCodes gives it, and
// that finding is described (a title and a category).
func TestServerCodesCoverCatalogue(t *testing.T) {
	for _, e := range reason.All() {
		t.Run(string(e.Code), func(t *testing.T) {
			want, ok := serverCodes[e.Code]
			if !ok {
				t.Fatalf("catalogue reason %s maps to no finding", e.Code)
			}
			if about[want].title == "" || categoryOf(want) == "" {
				t.Fatalf("finding %s of reason %s has no title or category", want, e.Code)
			}
			url := serve(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/problem+json")
				if e.Challenged() {
					w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
				}
				w.WriteHeader(e.Status)
				json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": e.Title, "status": e.Status,
					"reason": e.Code, "detail": "the gateway's detail"})
			})
			req := get(url+"/v1/data", "Authorization", "Bearer 0123456789abcdef0123456789abcdef")
			if e.Code == reason.CredentialsMissing {
				req = get(url + "/v1/data") // sent, it would be "not where the API reads it"
			}
			rep := run(t, req, Options{})
			if !hasFinding(rep, want) {
				t.Errorf("reason %s (%d): no %s finding; top %v", e.Code, e.Status, want, rep.Top)
			}
		})
	}
}

// TestJWKSKeyUnknown: a token whose kid is not in the issuer's key set is
// token_key_unknown (the verifier's reason, read with errors.As), and one
// whose kid is there but whose signature fails is token_signature_invalid.
func TestJWKSKeyUnknown(t *testing.T) {
	other := jwt.PublicJWKS(map[string]any{"another-kid": &tokentest.Key().PublicKey})
	for _, c := range []struct {
		name string
		jwks []byte
		want Code
	}{
		{"kid not in the set", other, TokenKeyUnknown},
		{"kid in the set, signature altered", tokentest.JWKS(), TokenSignatureInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			keys := serve(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) { w.Write(c.jwks) })
			api := serve(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="api", error="invalid_token"`)
				w.WriteHeader(401)
			})
			tok := tokentest.Sign(t, map[string]any{"iss": "https://issuer.test", "aud": "api"}, nil)
			if c.want == TokenSignatureInvalid {
				tok = tok[:len(tok)-4] + "AAAA"
			}
			rep := run(t, get(api+"/v1/data", "Authorization", "Bearer "+tok), Options{JWKS: keys + "/jwks"})
			if !hasFinding(rep, c.want) {
				t.Errorf("no %s finding; findings %v", c.want, codesOf(rep))
			}
		})
	}
}

func hasFinding(rep *Report, c Code) bool {
	for _, f := range rep.Findings {
		if f.Code == c && (f.Status == Fail || f.Status == Warn) {
			return true
		}
	}
	return false
}

func codesOf(rep *Report) []Code {
	var out []Code
	for _, f := range rep.Findings {
		out = append(out, f.Code)
	}
	return out
}
