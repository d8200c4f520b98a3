package diagnose

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/credential/apikey/keyformat"
)

func jwtWith(t *testing.T, header, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(header) + "." + enc(claims) + ".c2lnbmF0dXJlLWJ5dGVz"
}

func TestCheck(t *testing.T) {
	now := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	at := map[string]any{"alg": "RS256", "typ": "at+jwt"}
	expired := jwtWith(t, at, map[string]any{"exp": now.Add(-3 * time.Minute).Unix(), "aud": "https://api.example.com"})
	future := jwtWith(t, at, map[string]any{"nbf": now.Add(5 * time.Minute).Unix(), "exp": now.Add(time.Hour).Unix()})
	otherAud := jwtWith(t, at, map[string]any{"exp": now.Add(time.Hour).Unix(), "aud": "https://other.example.com"})
	atExp := jwtWith(t, at, map[string]any{"exp": now.Unix()})
	idToken := jwtWith(t, map[string]any{"alg": "RS256"}, map[string]any{"exp": now.Add(time.Hour).Unix(), "aud": "client", "nonce": "n"})
	meta := []challenge.Challenge{{Scheme: "Bearer", Params: []challenge.Param{{Name: "resource_metadata", Value: "https://api.example.com/.well-known/oauth-protected-resource"}}}}
	basicOnly := []challenge.Challenge{{Scheme: "Basic", Params: []challenge.Param{{Name: "realm", Value: "x"}}}}
	bearer := func(v string) Credential { return Credential{Scheme: "Bearer", Header: "Authorization", Value: v} }
	basic := func(u, p string) Credential {
		return Credential{Scheme: "Basic", Header: "Authorization", Value: base64.StdEncoding.EncodeToString([]byte(u + ":" + p))}
	}
	cases := []struct {
		name string
		c    Credential
		o    Options
		want Code // first finding; "" none
	}{
		{"empty (unset variable)", bearer(""), Options{}, VariableUnset},
		{"$TOKEN", bearer("$TOKEN"), Options{}, VariableUnset},
		{"${TOKEN}", bearer("${TOKEN}"), Options{}, VariableUnset},
		{"%TOKEN%", bearer("%TOKEN%"), Options{}, VariableUnset},
		{"$(cat token)", bearer("$(cat token)"), Options{}, ShellSubstitution},
		{"{{token}}", bearer("{{token}}"), Options{}, CredentialPlaceholder},
		{"YOUR_API_KEY", Credential{Header: "X-Api-Key", Value: "YOUR_API_KEY"}, Options{}, CredentialPlaceholder},
		{"trailing newline", bearer("abcdef0123456789\n"), Options{}, HeaderFormat},
		{"inner space", bearer("abcdef 0123456789"), Options{}, HeaderFormat},
		{"zero-width space", bearer("abcdef\u200b0123456789"), Options{}, HeaderFormat},
		{"quoted", Credential{Header: "X-Api-Key", Value: `"abcdef0123456789"`}, Options{}, CredentialWrapped}, // the doctor's rule: a token-like value in quotes
		{"quoted short", Credential{Header: "X-Api-Key", Value: `"abc"`}, Options{}, HeaderFormat},
		{"plain opaque token", bearer("abcdef0123456789"), Options{}, ""},
		{"expired by this clock", bearer(expired), Options{Now: now}, TokenExpired},
		{"not yet valid", bearer(future), Options{Now: now}, TokenNotYetValid},
		{"at exp, no leeway", bearer(atExp), Options{Now: now, Leeway: -1}, TokenExpired},
		{"at exp, default leeway", bearer(atExp), Options{Now: now}, ""},
		{"30s past exp, default leeway", bearer(atExp), Options{Now: now.Add(30 * time.Second)}, TokenExpired},
		// RFC 9728's resource is not the audience: a different aud proves nothing.
		{"aud other than resource_metadata's resource", bearer(otherAud), Options{Now: now, Challenges: meta}, ""},
		{"ID token", bearer(idToken), Options{Now: now}, IDTokenSent},
		{"Bearer where Basic is asked", bearer("abcdef0123456789"), Options{Challenges: basicOnly}, SchemeMismatch},
		{"Authorization without a scheme", Credential{Header: "Authorization", Value: "abcdef0123456789"}, Options{Challenges: []challenge.Challenge{{Scheme: "ApiKey"}}}, SchemeMismatch},
		{"API key where ApiKey is asked", Credential{Header: "X-Api-Key", Value: "abcdef0123456789"}, Options{Challenges: []challenge.Challenge{{Scheme: "ApiKey"}}}, ""},
		{"API key where only Basic is asked", Credential{Header: "X-Api-Key", Value: "abcdef0123456789"}, Options{Challenges: basicOnly}, SchemeMismatch},
		{"test key on live", Credential{Header: "X-Api-Key", Value: "ag_test_k1_c2VjcmV0c2VjcmV0"}, Options{ExpectEnv: "live"}, WrongEnvironment},
		{"Basic, empty password", basic("app", ""), Options{}, VariableUnset},
		{"Basic, password with newline", basic("app", "hunter2hunter2\n"), Options{}, BasicTrailingNewline},
		{"Basic, unexpanded password", basic("app", "${APP_PASSWORD}"), Options{}, VariableUnset},
		{"Basic, placeholder password", basic("app", "<password>"), Options{}, CredentialPlaceholder},
		{"Basic, fine", basic("app", "hunter2hunter2"), Options{}, ""},
		{"sk_live on production", bearer("sk_live_abcdef0123456789"), Options{ExpectEnv: "production"}, ""},
	}
	for _, tc := range cases {
		got := Check(tc.c, tc.o)
		var code Code
		if len(got) > 0 {
			code = got[0].Code
		}
		if code != tc.want {
			t.Errorf("%s: got %+v, want %s", tc.name, got, tc.want)
			continue
		}
		for _, f := range got {
			if len(tc.c.Value) >= 8 && (strings.Contains(f.Title, tc.c.Value) || strings.Contains(f.Fix, tc.c.Value)) {
				t.Errorf("%s: a finding holds the credential: %+v", tc.name, f)
			}
		}
	}
}

func TestExpiredAndNotYetValid(t *testing.T) {
	now := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	both := jwtWith(t, map[string]any{"alg": "RS256"}, map[string]any{"exp": now.Add(-time.Hour).Unix(), "iat": now.Add(time.Hour).Unix(), "scope": "read"})
	got := Check(Credential{Scheme: "Bearer", Header: "Authorization", Value: both}, Options{Now: now})
	if len(got) != 2 || got[0].Code != TokenExpired || got[1].Code != TokenNotYetValid {
		t.Fatalf("want token_expired then token_not_yet_valid, got %+v", got)
	}
}

func TestBasicColonInUser(t *testing.T) {
	if f := Basic("a:b", "hunter2hunter2"); f == nil || f.Code != HeaderFormat {
		t.Fatalf("%+v", f)
	}
}

// TestKeyEnvironment: an authgate key's environment is read as package
// keyformat reads it (whole, truncated, or only its prefix); other
// vendors' prefixes by their own conventions.
func TestKeyEnvironment(t *testing.T) {
	for _, env := range []string{"live", "test", "staging2"} {
		key, _, err := keyformat.Generate(env)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{key, key[:len(key)/2], keyformat.Prefix + env + "_"} {
			if got := KeyEnvironment(v); got != env {
				t.Errorf("KeyEnvironment(%.12s…) = %q, want %q", v, got, env)
			}
		}
	}
	for v, want := range map[string]string{
		"ag_LIVE_x":          "",
		"ag_live":            "",
		"sk_test_abc":        "test",
		"myapp-prod-abc123":  "prod",
		"live_abc123":        "live",
		"test_abc123":        "test",
		"secret-live-abc":    "live",
		"access-production-": "production",
		"latest_abc123":      "",
		"eyJhbGciOiJIUzI1Ni": "",
		// Segments of other vendors' prefixes (Paddle, Checkout.com,
		// Xendit, Mercado Pago, GoCardless, Shippo).
		"pdl_sdbx_apikey_01gtg":    "sdbx",
		"sk_sbox_m73dzbpy7cf3":     "sbox",
		"xnd_development_O46Jf":    "development",
		"TEST-6285921783125731-12": "test",
		"sandbox_Hq2LmZp4Xv9Kd":    "sandbox",
		"shippo_test_5d1b2c3e4f":   "test",
		"Test-abc-def":             "",
		"abcdef_a_b_test_x":        "",
	} {
		if got := KeyEnvironment(v); got != want {
			t.Errorf("KeyEnvironment(%q) = %q, want %q", v, got, want)
		}
	}
}

// TestTokenKindShapes: the kinds of credential recognised by their
// shape, in several vendors' forms, and the right kinds left alone.
func TestTokenKindShapes(t *testing.T) {
	for v, want := range map[string]Code{
		"sb_publishable_7Hq2LmZp4Xv9KdR3sT6wYbN":                                   WrongTokenKind,
		"xnd_public_development_O46JfOtygef9kMNsK":                                 WrongTokenKind,
		"pk_sbox_3xq7h2wkz5lmd6vfy4rjnp8tcae":                                      WrongTokenKind,
		"pkey_test_5xs68olyuul9lmmp375":                                            WrongTokenKind,
		"FLWPUBK_TEST-0123456789abcdef0123456789abcdef-X":                          WrongTokenKind,
		"whsec_9fK2mQ7vX4bN8cR1tY6uW3zA5dE0gH2j":                                   WrongTokenKind,
		"xapp-1-A0123ABCD-4567890123-9f8e7d6c5b4a":                                 WrongTokenKind,
		"sq0idp-wGVapF8sNt9PLrdj5znuKA":                                            WrongTokenKind,
		"sq0csp-7Kq3ZmXp9TvR2bN6cW4yLd8fGh1jAs5e":                                  WrongTokenKind,
		"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":                                      WrongTokenKind,
		"407408718192-a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6.apps.googleusercontent.com": WrongTokenKind,
		"ghr_1B4a2e77838347a7E420ce178F2E7c6912E1":                                 TokenTypeMismatch,
		"xoxe-1-My0xLTI4ODk1NjEwMzQ2Mi0xNzI2":                                      TokenTypeMismatch,
		"sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEM":                                   "",
		"sk_sbox_m73dzbpy7cf3gfd46xr4yj5xo4e":                                      "",
		"xoxb-1234-5678-abcdefghijkl":                                              "",
		"xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4":                                             "",
		"ghu_16C7e42F292c6912E7710c838347Ae178B4a":                                 "",
	} {
		got := Code("")
		if f := TokenKind("the token", v); f != nil {
			got = f.Code
		}
		if got != want {
			t.Errorf("TokenKind(%.14s…) = %q, want %q", v, got, want)
		}
	}
}

// TestBasicPairSwapped: a token in the user-name slot and an e-mail
// address as the password is a swapped pair; the right order is not.
func TestBasicPairSwapped(t *testing.T) {
	for _, tt := range []struct {
		user, pw string
		want     Code
	}{
		{"ATATT3xFfGF0T4kQ9zT2mX7vB1nR8cW5yL3dF6gH0", "maria@example.com", BasicUsernameWrong},
		{"Kq9zT2mX7vB1nR8cW5yL3dF6gH0jK2pS9aB4eC7f", "agent@example.com", BasicUsernameWrong},
		{"maria@example.com", "ATATT3xFfGF0T4kQ9zT2mX7vB1nR8cW5yL3dF6gH0", ""},
		{"alice", "Summer2024!", ""},
	} {
		got := Code("")
		if f := BasicPair("acme.example.com", tt.user, tt.pw); f != nil {
			got = f.Code
		}
		if got != tt.want {
			t.Errorf("BasicPair(%.6s…, %.6s…) = %q, want %q", tt.user, tt.pw, got, tt.want)
		}
	}
}
