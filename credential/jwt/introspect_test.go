package jwt

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestIntrospectionPrivateKeyJWT: with private_key_jwt the gateway
// authenticates to the endpoint by an RFC 7523 client assertion — signed
// by its key, issued by and about its client id, for the endpoint, short
// lived — and sends no secret.
func TestIntrospectionPrivateKeyJWT(t *testing.T) {
	testKeys(t)
	der, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	keyFile := filepath.Join(t.TempDir(), "client.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		assertion := r.PostForm.Get("client_assertion")
		_, _, hasBasic := r.BasicAuth()
		ok := r.PostForm.Get("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" &&
			r.PostForm.Get("client_id") == "gateway" && !hasBasic && r.PostForm.Get("client_secret") == "" &&
			CheckSignature(assertion, []Key{{ID: "gw-1", Public: &rsaKey.PublicKey}}) == nil
		if ok {
			d, err := Decode(assertion)
			var aud, iss, sub string
			var exp, iat float64
			json.Unmarshal(d.Claims["aud"], &aud)
			json.Unmarshal(d.Claims["iss"], &iss)
			json.Unmarshal(d.Claims["sub"], &sub)
			json.Unmarshal(d.Claims["exp"], &exp)
			json.Unmarshal(d.Claims["iat"], &iat)
			_, hasJTI := d.Claims["jti"]
			ok = err == nil && aud == srv.URL+"/introspect" && iss == "gateway" && sub == "gateway" && hasJTI && exp-iat <= 60 && string(d.Header["kid"]) == `"gw-1"`
		}
		if !ok {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"active": true, "sub": "svc", "scope": "read"})
	}))
	defer srv.Close()
	cfg := Introspection{Endpoint: srv.URL + "/introspect", ClientID: "gateway", Auth: "private_key_jwt", ClientKeyFile: keyFile, ClientKeyID: "gw-1"}
	if err := cfg.check(false, os.ReadFile); err != nil {
		t.Fatal(err)
	}
	in := newIntrospector(cfg, &Issuer{Name: "idp", Issuer: "https://idp.test", Audiences: []string{"api"}}, nil)
	id, _, err := in.introspect(context.Background(), "opaque-token", time.Now())
	if err != nil || id.Subject != "svc" {
		t.Fatalf("introspection with private_key_jwt: %+v %v", id, err)
	}
	// Misconfigured: no key file, or a secret where a private key is needed.
	for _, bad := range []Introspection{
		{Endpoint: srv.URL, ClientID: "gateway", Auth: "private_key_jwt"},
		{Endpoint: srv.URL, ClientID: "gateway", Auth: "jwt"},
	} {
		if err := bad.check(false, os.ReadFile); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
