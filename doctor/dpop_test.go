package doctor

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/authgate/authgate/credential/dpop"
	"github.com/authgate/authgate/credential/jwt"
)

// TestDPoPFindings: the doctor names what is wrong with a
// sender-constrained call — against authgate (its reasons) and against
// another server (its DPoP challenge, its DPoP-Nonce, the token's cnf) —
// and the finding it names is the top one.
func TestDPoPFindings(t *testing.T) {
	d := startDemo(t)
	f := d.File
	data := f.URL + "/v1/data"
	bound := f.Tokens["dpop_bound"]
	pemKey, err := os.ReadFile(f.DPoPKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	key, alg, _ := jwt.ParsePrivateKey(pemKey)
	proxied, _, _ := dpop.Sign(key.(crypto.Signer), alg, dpop.ProofRequest{Method: "GET", URL: "https://api.example.com/v1/data", AccessToken: bound})
	nonceAPI := serve(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `DPoP algs="ES256", error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"`)
		w.Header().Set("DPoP-Nonce", "eyJ7S_zG.eyJH0-Z.HX4w-7v")
		w.WriteHeader(401)
	})
	plainAPI := serve(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="mtls", error="invalid_token"`)
		w.WriteHeader(401)
	})
	signer, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	certBound, _ := jwt.Sign("ES256", signer, nil, map[string]any{"iss": "https://as.example.com", "sub": "svc", "aud": "api",
		"exp": time.Now().Add(time.Hour).Unix(), "cnf": map[string]any{"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}})
	for _, c := range []struct {
		name string
		req  *Request
		want Code
	}{
		{"bound token as Bearer (authgate)", get(data, "Authorization", "Bearer "+bound), DPoPBoundAsBearer},
		{"DPoP without a proof (authgate)", get(data, "Authorization", "DPoP "+bound), DPoPProofMissing},
		{"proof made for the proxy's public URL (authgate)", get(data, "Authorization", "DPoP "+bound, "DPoP", proxied), DPoPHTUMismatch},
		{"nonce required (another server)", get(nonceAPI+"/x", "Authorization", "DPoP "+bound, "DPoP", proxied), DPoPNonceRequired},
		{"certificate-bound token without a certificate (another server)", get(plainAPI+"/x", "Authorization", "Bearer "+certBound), CertificateMissing},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep := run(t, c.req, Options{})
			if rep.Top == nil || rep.Top.Code != c.want {
				var got []Code
				for _, f := range rep.Findings {
					got = append(got, f.Code)
				}
				t.Fatalf("top finding %v, want %s (all: %v)", rep.Top, c.want, got)
			}
			if rep.Top.Fix == "" {
				t.Fatal("no fix")
			}
		})
	}
}
