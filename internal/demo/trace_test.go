package demo

import (
	"context"
	"encoding/base64"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/client"
	"github.com/authgate/authgate/credential/jwt"
)

// The checks every good Bearer token passes, in order.
const bearerPasses = "path canonical=pass; route=pass; credential present=pass; credential well-formed=pass; token size=pass; " +
	"token format (JWS compact)=pass; issuer trusted (iss)=pass; algorithm allowed (alg)=pass; signing key found (kid)=pass; signature=pass"

// TestExplainTraces: explain prints the checks the verifiers actually ran,
// in their order, and stops where one failed — for every demo case, and
// for correctly signed tokens whose exp is null or whose sub is a number
// (once explained as "format failed, signature skipped").
func TestExplainTraces(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := Start(ctx, Options{Listen: "127.0.0.1:0", StateDir: t.TempDir(), AdminListen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f := d.File
	c, err := client.New(f.AdminURL, f.AdminKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(f.SigningKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := jwt.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	mint := func(change map[string]any) string {
		claims := map[string]any{"iss": f.Issuer, "aud": Audience, "sub": "demo-user", "scope": "read",
			"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
		for k, v := range change {
			claims[k] = v
		}
		tok, err := jwt.Sign("RS256", key, map[string]any{"kid": KeyID, "typ": "at+jwt"}, claims)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	claimsPass := "not expired (exp)=pass; valid already (nbf, iat)=pass; audience (aud)=pass; token type (typ)=pass; environment=pass"
	keyPasses := "path canonical=pass; route=pass; credential present=pass; credential well-formed=pass; key format and checksum=pass"
	tests := []struct {
		name  string
		in    api.ExplainRequest
		trace string
	}{
		{"valid", api.ExplainRequest{Path: "/v1/data", Token: f.Tokens["valid"]},
			bearerPasses + "; " + claimsPass + "; subject and scopes (sub, scope)=pass; scopes=pass"},
		{"valid POST", api.ExplainRequest{Method: "POST", Path: "/v1/data", Token: f.Tokens["valid"]},
			bearerPasses + "; " + claimsPass + "; subject and scopes (sub, scope)=pass; scopes=pass"},
		{"no credentials", api.ExplainRequest{Path: "/v1/data"}, "path canonical=pass; route=pass; credential present=fail"},
		{"expired", api.ExplainRequest{Path: "/v1/data", Token: f.Tokens["expired"]}, bearerPasses + "; not expired (exp)=fail"},
		{"not yet valid", api.ExplainRequest{Path: "/v1/data", Token: f.Tokens["not_yet_valid"]},
			bearerPasses + "; not expired (exp)=pass; valid already (nbf, iat)=fail"},
		{"wrong audience", api.ExplainRequest{Path: "/v1/data", Token: f.Tokens["wrong_audience"]},
			bearerPasses + "; not expired (exp)=pass; valid already (nbf, iat)=pass; audience (aud)=fail"},
		{"wrong issuer", api.ExplainRequest{Path: "/v1/data", Token: f.Tokens["wrong_issuer"]},
			"path canonical=pass; route=pass; credential present=pass; credential well-formed=pass; token size=pass; token format (JWS compact)=pass; issuer trusted (iss)=fail"},
		{"bad signature", api.ExplainRequest{Path: "/v1/data", Token: f.Tokens["bad_signature"]}, strings.TrimSuffix(bearerPasses, "pass") + "fail"},
		{"insufficient scope", api.ExplainRequest{Method: "POST", Path: "/v1/data", Token: f.Tokens["insufficient_scope"]},
			bearerPasses + "; " + claimsPass + "; subject and scopes (sub, scope)=pass; scopes=fail"},
		{"live key", api.ExplainRequest{Path: "/v1/data", APIKey: f.APIKeys["live"]},
			keyPasses + "; environment=pass; key known=pass; key kind=pass; not revoked=pass; not expired=pass; scopes=pass"},
		{"test key", api.ExplainRequest{Path: "/v1/data", APIKey: f.APIKeys["test"]}, keyPasses + "; environment=fail"},
		{"revoked key", api.ExplainRequest{Path: "/v1/data", APIKey: f.APIKeys["revoked"]},
			keyPasses + "; environment=pass; key known=pass; key kind=pass; not revoked=fail"},
		{"Basic", api.ExplainRequest{Path: "/v1/data", Authorization: basicHeader(f.Basic.User, f.Basic.Password)},
			"path canonical=pass; route=pass; credential present=pass; credential well-formed=pass; encoding (base64 of user:password)=pass; user and password=pass; scopes=pass"},
		{"Basic wrong password", api.ExplainRequest{Path: "/v1/data", Authorization: basicHeader(f.Basic.User, WrongPassword)},
			"path canonical=pass; route=pass; credential present=pass; credential well-formed=pass; encoding (base64 of user:password)=pass; user and password=fail"},
		{"public", api.ExplainRequest{Path: "/public"}, "path canonical=pass; route=pass; public route: no credential needed=pass"},
		{"exp null", api.ExplainRequest{Path: "/v1/data", Token: mint(map[string]any{"exp": nil})}, bearerPasses + "; not expired (exp)=fail"},
		{"sub a number", api.ExplainRequest{Path: "/v1/data", Token: mint(map[string]any{"sub": 42})},
			bearerPasses + "; " + claimsPass + "; subject and scopes (sub, scope)=fail"},
		{"opaque token, introspected", api.ExplainRequest{Path: "/v1/data", Token: f.Tokens["opaque_valid"]},
			"path canonical=pass; route=pass; credential present=pass; credential well-formed=pass; token size=pass; introspection (RFC 7662)=pass; scopes=pass"},
		{"opaque token, revoked", api.ExplainRequest{Path: "/v1/data", Token: f.Tokens["opaque_revoked"]},
			"path canonical=pass; route=pass; credential present=pass; credential well-formed=pass; token size=pass; introspection (RFC 7662)=fail"},
		{"claim rule unmet", api.ExplainRequest{Path: "/v1/admin", Token: f.Tokens["valid"]},
			bearerPasses + "; " + claimsPass + "; subject and scopes (sub, scope)=pass; scopes, claims=fail"},
		{"path not canonical", api.ExplainRequest{Path: "/v1/../v1/data"}, "path canonical=fail"},
		{"no route", api.ExplainRequest{Path: "/nowhere"}, "path canonical=pass; route=fail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, err := c.Explain(context.Background(), tt.in)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ch := range x.Checks {
				got = append(got, ch.Check+"="+ch.Result)
			}
			if strings.Join(got, "; ") != tt.trace {
				t.Fatalf("trace\n got: %s\nwant: %s", strings.Join(got, "; "), tt.trace)
			}
			// A failed check carries the reason the answer gives.
			if last := x.Checks[len(x.Checks)-1]; last.Result == api.CheckFail && !strings.HasPrefix(last.Detail, x.Reason+": ") {
				t.Fatalf("failed check %q does not carry the reason %q", last.Detail, x.Reason)
			}
		})
	}
}

func basicHeader(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}
