package doctor

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// unsignedJWT is a JWT with claims, for the checks that only decode it.
func unsignedJWT(claims map[string]any) string {
	c, _ := json.Marshal(claims)
	return "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + base64.RawURLEncoding.EncodeToString(c) + ".c2lnbmF0dXJlLXNpZ25hdHVyZQ"
}

// TestClassKindByShape: credentials whose shape says they are the wrong
// kind for an API call, in several services' shapes, wherever they are
// sent; and credentials of the right kind, which are not reported.
func TestClassKindByShape(t *testing.T) {
	runClassCases(t, []classCase{
		{"Supabase publishable key", get("https://x.supabase.co/auth/v1/admin/users", "apikey", "sb_publishable_7Hq2LmZp4Xv9KdR3sT6wYbN"), Options{}, WrongTokenKind, Fail},
		{"Xendit public key as the Basic user", basic("https://api.example.com/v2/invoices", "xnd_public_development_O46JfOtygef9kMNsK", ""), Options{}, WrongTokenKind, Fail},
		{"Checkout.com public sandbox key", get("https://api.example.com/payments", "Authorization", "Bearer pk_sbox_3xq7h2wkz5lmd6vfy4rjnp8tcae"), Options{}, WrongTokenKind, Fail},
		{"Omise public key", basic("https://api.example.com/charges", "pkey_test_5xs68olyuul9lmmp375", ""), Options{}, WrongTokenKind, Fail},
		{"Flutterwave public key", get("https://api.example.com/v3/charges", "Authorization", "Bearer FLWPUBK_TEST-0123456789abcdef0123456789abcdef-X"), Options{}, WrongTokenKind, Fail},
		{"a webhook signing secret", get("https://api.example.com/v1/customers", "Authorization", "Bearer whsec_9fK2mQ7vX4bN8cR1tY6uW3zA5dE0gH2j"), Options{}, WrongTokenKind, Fail},
		{"a Slack app-level token", get("https://slack.com/api/chat.postMessage", "Authorization", "Bearer xapp-1-A0123ABCD-4567890123-9f8e7d6c5b4a"), Options{}, WrongTokenKind, Fail},
		{"a Square application id", get("https://connect.squareup.com/v2/locations", "Authorization", "Bearer sq0idp-wGVapF8sNt9PLrdj5znuKA"), Options{}, WrongTokenKind, Fail},
		{"a Google OAuth client secret", get("https://www.googleapis.com/drive/v3/files", "Authorization", "Bearer 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"), Options{}, WrongTokenKind, Fail},
		{"a Mapbox public token in the query", get("https://api.mapbox.com/tokens/v2/acme?access_token=pk.eyJ1IjoiYWNtZSJ9.Zm9vYmFy"), Options{}, WrongTokenKind, Fail},
		{"a GitHub refresh token", get("https://api.github.com/user", "Authorization", "Bearer ghr_1B4a2e77838347a7E420ce178F2E7c6912E1"), Options{}, TokenTypeMismatch, Fail},
		{"a Slack refresh token", get("https://slack.com/api/auth.test", "Authorization", "Bearer xoxe-1-My0xLTI4ODk1NjEwMzQ2Mi0xNzI2"), Options{}, TokenTypeMismatch, Fail},
		{"a secret key is the right kind", get("https://api.example.com/v1/customers", "Authorization", "Bearer sk_live_51Habcdefghijklmnop"), Options{}, WrongTokenKind, ""},
		{"a Slack bot token is the right kind", get("https://slack.com/api/chat.postMessage", "Authorization", "Bearer xoxb-1234-5678-abcdefghijkl"), Options{}, WrongTokenKind, ""},
		{"a Slack rotating access token is no refresh token", get("https://slack.com/api/auth.test", "Authorization", "Bearer xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4"), Options{}, TokenTypeMismatch, ""},
	})
}

// TestClassEnvironmentByShape: the environment a credential's prefix or
// claims name, against the host; a sandbox credential goes only to its
// sandbox host, a test-mode key may go to a host that names none.
func TestClassEnvironmentByShape(t *testing.T) {
	runClassCases(t, []classCase{
		{"Checkout.com sandbox key, live host", get("https://api.checkout.com/payments", "Authorization", "Bearer sk_sbox_m73dzbpy7cf3gfd46xr4yj5xo4e"), Options{}, WrongEnvironment, Fail},
		{"Checkout.com sandbox key, sandbox host", get("https://api.sandbox.checkout.com/payments", "Authorization", "Bearer sk_sbox_m73dzbpy7cf3gfd46xr4yj5xo4e"), Options{}, WrongEnvironment, Info},
		{"Paddle sandbox key, live host", get("https://api.paddle.com/products", "Authorization", "Bearer pdl_sdbx_apikey_01gtgztp8fcvx1gd3pmp2v5xqh"), Options{}, WrongEnvironment, Fail},
		{"GoCardless sandbox token, live host", get("https://api.gocardless.com/customers", "Authorization", "Bearer sandbox_Hq2LmZp4Xv9KdR3sT6wYbN1cE8fGa"), Options{}, WrongEnvironment, Fail},
		{"Xendit development key, production expected", basic("https://api.xendit.co/balance", "xnd_development_O46JfOtygef9kMNsK", ""), Options{ExpectEnv: "live"}, WrongEnvironment, Fail},
		{"Mercado Pago test token, production expected", get("https://api.mercadopago.com/v1/payments", "Authorization", "Bearer TEST-6285921783125731-120417-abcdef"), Options{ExpectEnv: "production"}, WrongEnvironment, Fail},
		{"a test-mode key to a host that names none", get("https://api.stripe.com/v1/charges", "Authorization", "Bearer sk_test_4eC39HqLyjWDarjtT1zdp7dc"), Options{}, WrongEnvironment, Info},
		{"a JWT's env claim against a live host", get("https://api.live.example.com/v1/x", "Authorization", "Bearer "+unsignedJWT(map[string]any{"sub": "u1", "env": "sandbox"})), Options{}, WrongEnvironment, Fail},
		{"a JWT's livemode false against a live host", get("https://api.prod.example.com/v1/x", "Authorization", "Bearer "+unsignedJWT(map[string]any{"sub": "u1", "livemode": false})), Options{}, WrongEnvironment, Fail},
		{"a JWT from a sandbox issuer to a host that names none", get("https://api.example.com/v1/x", "Authorization", "Bearer "+unsignedJWT(map[string]any{"sub": "u1", "iss": "https://auth.sandbox.example.com/"})), Options{}, WrongEnvironment, Fail},
		{"a JWT from a staging issuer to a production host", get("https://api.prod.example.com/v1/x", "Authorization", "Bearer "+unsignedJWT(map[string]any{"sub": "u1", "iss": "https://login.staging.example.com/"})), Options{}, WrongEnvironment, Fail},
		{"a JWT that names no environment", get("https://api.prod.example.com/v1/x", "Authorization", "Bearer "+unsignedJWT(map[string]any{"sub": "u1", "iss": "https://login.example.com/"})), Options{}, WrongEnvironment, ""},
	})
}

// TestClassTokenClaimsKind: a JWT whose claims make it an anonymous key
// or an application's own token is noted (settle makes it
// the failure when the server only refuses); a user's token is not.
func TestClassTokenClaimsKind(t *testing.T) {
	bearer := func(claims map[string]any) *Request {
		return get("https://api.example.com/v1/me", "Authorization", "Bearer "+unsignedJWT(claims))
	}
	runClassCases(t, []classCase{
		{"Supabase anon key", bearer(map[string]any{"iss": "supabase", "role": "anon"}), Options{}, WrongTokenKind, Info},
		{"Auth0 client-credentials token", bearer(map[string]any{"sub": "abc@clients", "gty": "client-credentials"}), Options{}, WrongTokenKind, Info},
		{"Entra app-only token", bearer(map[string]any{"aud": "https://graph.microsoft.com", "idtyp": "app"}), Options{}, WrongTokenKind, Info},
		{"a signed-in user's token", bearer(map[string]any{"sub": "auth0|42", "role": "authenticated", "scope": "openid"}), Options{}, WrongTokenKind, ""},
	})
}

// TestClassBasicSlots: a Basic pair with a token as the user and an
// e-mail as the password is swapped; a key beside an empty or filler
// slot is a note whose convention the service decides, unless a
// documented convention judged the pair.
func TestClassBasicSlots(t *testing.T) {
	runClassCases(t, []classCase{
		{"Jira token and e-mail swapped", basic("https://acme.example.com/rest/api/3/myself", "ATATT3xFfGF0T4kQ9zT2mX7vB1nR8cW5yL3dF6gH0", "maria@example.com"), Options{}, BasicUsernameWrong, Fail},
		{"Zendesk token and e-mail swapped", basic("https://acme.example.com/api/v2/tickets.json", "Kq9zT2mX7vB1nR8cW5yL3dF6gH0jK2pS9aB4eC7f", "agent@example.com"), Options{}, BasicUsernameWrong, Fail},
		{"a key as the password with no user", basic("https://harvest.example.com/v1/candidates", "", "3f9a1c2e7b5d4e8fa0b1c2d3e4f5a6b7-5"), Options{}, BasicUsernameWrong, Info},
		{"a key after X", basic("https://acme.example.com/api/v2/tickets", "X", "Kq9zT2mX7vB1nR8cW5yL"), Options{}, BasicUsernameWrong, Info},
		{"a key before X", basic("https://acme.example.com/api/v2/tickets", "Kq9zT2mX7vB1nR8cW5yL", "X"), Options{}, BasicUsernameWrong, Info},
		{"a person's user name and password", basic("https://acme.example.com/api", "alice", "Summer2024!"), Options{}, BasicUsernameWrong, ""},
		{"an id and a secret", basic("https://acme.example.com/api", "AC0123456789abcdef0123456789abcdef", "f2b7a1c9d8e64f0a9b3c5d7e1f2a4b6c"), Options{}, BasicUsernameWrong, ""},
		{"an e-mail and a token", basic("https://acme.example.com/api", "maria@example.com", "ATATT3xFfGF0T4kQ9zT2mX7vB1nR8cW5yL3dF6gH0"), Options{}, BasicUsernameWrong, ""},
		{"Stripe's documented key:", basic("https://api.stripe.com/v1/charges", "sk_test_4eC39HqLyjWDarjtT1zdp7dc", ""), Options{}, BasicUsernameWrong, ""},
	})
}

// TestClassBareCredential: a credential in Authorization with no scheme
// is a malformed header, reported without quoting the credential.
func TestClassBareCredential(t *testing.T) {
	for _, v := range []string{"3f9a1c2e7b5d4e8fa0b1c2d3e4f5a6b7", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "sk_sbox_m73dzbpy7cf3gfd46xr4yj5xo4e"} {
		o := &offline{req: get("https://api.example.com/x", "Authorization", v), opts: &Options{}, mask: newMasker()}
		o.run()
		found := false
		for _, f := range o.findings {
			if strings.Contains(f.Title, v[8:]) || strings.Contains(f.Fix, v[8:]) {
				t.Errorf("%.8s…: %s shows the credential: %q", v, f.Code, f.Title)
			}
			found = found || f.Code == HeaderFormat && f.Status == Fail
		}
		if !found {
			t.Errorf("%.8s…: no header_format failure", v)
		}
	}
}

// TestCredentialParam: query parameters that carry a credential, and
// cursors that only end like one.
func TestCredentialParam(t *testing.T) {
	for name, want := range map[string]bool{"api_key": true, "gatekeeperKey": true, "userToken": true, "access_token": true,
		"pageToken": false, "nextPageToken": false, "syncToken": false, "cursor": false, "sortKey": false, "q": false} {
		if got := credentialParam(name); got != want {
			t.Errorf("credentialParam(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestSettlePromotesOnlyOverRefusals: a note read in what is sent
// becomes the failure when the server only refuses, and stays a note
// beside a failure that says more, or when the request succeeded.
func TestSettlePromotesOnlyOverRefusals(t *testing.T) {
	kind := Finding{Code: WrongTokenKind, Status: Info, Basis: Decoded, Title: "t"}
	slot := Finding{Code: BasicUsernameWrong, Status: Info, Basis: Decoded, Title: "t"}
	for _, tt := range []struct {
		name    string
		fs      []Finding
		ok      bool
		wantTop Code
	}{
		{"bare refusal", []Finding{kind, {Code: CredentialsRejected, Status: Fail, Basis: Refused}}, false, WrongTokenKind},
		{"generic words", []Finding{slot, {Code: CredentialUnknown, Status: Fail, Basis: Stated}}, false, CredentialUnknown},
		{"bare refusal, Basic", []Finding{slot, {Code: CredentialsRejected, Status: Fail, Basis: Refused}}, false, BasicUsernameWrong},
		{"an expiry says more", []Finding{kind, {Code: TokenExpired, Status: Fail, Basis: Decoded}, {Code: CredentialsRejected, Status: Fail, Basis: Refused}}, false, TokenExpired},
		{"succeeded", []Finding{kind}, true, RequestSucceeded},
	} {
		top := Code("")
		for _, f := range settle(append([]Finding(nil), tt.fs...), tt.ok, 200) {
			if f.Status == Fail || f.Status == Warn || f.Code == RequestSucceeded {
				top = f.Code // as Run picks the report's top finding
				break
			}
		}
		if top != tt.wantTop {
			t.Errorf("%s: top %s, want %s", tt.name, top, tt.wantTop)
		}
	}
}
