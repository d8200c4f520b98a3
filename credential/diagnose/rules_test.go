package diagnose

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestValueAndPairRules runs the API-key value and Basic pair rules the
// doctor and package caller share, each on what it judges.
func TestValueAndPairRules(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	bcrypt := "$2b$12$" + strings.Repeat("abcdefghijklmnopqrstuvwxyz0123456789./", 2)[:53]
	jwtUser := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVz"
	apiKey := func(v string) func() (*Finding, string) {
		return func() (*Finding, string) { return APIKey("X-Api-Key", v), v }
	}
	decoded := func(v string) func() (*Finding, string) {
		return func() (*Finding, string) { _, _, f := BasicDecoded(v); return f, v }
	}
	pair := func(host, user, pw string) func() (*Finding, string) {
		return func() (*Finding, string) { return BasicPair(host, user, pw), pw }
	}
	cases := []struct {
		name string
		run  func() (*Finding, string) // the finding, and the secret it must not hold
		want Code                      // "" none
	}{
		{"API key: YOUR_API_KEY", apiKey("YOUR_API_KEY"), CredentialPlaceholder},
		{"API key: <token>", apiKey("<token>"), CredentialPlaceholder},
		{"API key: xxxxxxxxxxxx", apiKey("xxxxxxxxxxxx"), CredentialPlaceholder},
		{"API key: $API_KEY", apiKey("$API_KEY"), VariableUnset},
		{"API key: ${API_KEY}", apiKey("${API_KEY}"), VariableUnset},
		{"API key: ${API_KEY:?unset}", apiKey("${API_KEY:?unset}"), VariableUnset},
		{"API key: %API_KEY%", apiKey("%API_KEY%"), VariableUnset},
		{"API key: $(cat key)", apiKey("$(cat key)"), ShellSubstitution},
		{"API key: `cat key`", apiKey("`cat key`"), ShellSubstitution},
		{"API key: {{api_key}}", apiKey("{{api_key}}"), CredentialPlaceholder},
		{"API key: a real key in <>", apiKey("<abcd1234efgh5678ijkl>"), CredentialWrapped},
		{"API key: a real key in quotes", apiKey(`"abcd1234efgh5678ijkl"`), CredentialWrapped},
		{"API key: a real key in %3C%3E", apiKey("%3Cabcd1234efgh5678ijkl%3E"), CredentialWrapped},
		{"API key: a short value in quotes", apiKey(`"abc"`), HeaderFormat},
		{"API key: leading space", apiKey(" abcd1234efgh5678ijkl"), HeaderFormat},
		{"API key: Bearer <key>", apiKey("Bearer abcd1234efgh5678ijkl"), HeaderFormat},
		{"API key: Token <key>", apiKey("token abcd1234efgh5678ijkl"), HeaderFormat},
		{"API key: a publishable key", apiKey("pk_live_abcd1234efgh5678"), WrongTokenKind},
		{"API key: an AWS key ID", apiKey("AKIAABCDEFGHIJKLMNOP"), WrongTokenKind},
		{"API key: a token response", apiKey(`{"access_token":"abcd1234efgh5678"}`), WrongTokenKind},
		{"API key: the scheme word alone", apiKey("bearer"), CredentialPlaceholder},
		{"API key: plausible", apiKey("ag_live_abcd1234efgh5678"), ""},
		{"Basic: base64 wrapped over lines", func() (*Finding, string) { return Base64Wrapped("YWxpY2U6\naHVudGVy"), "" }, BasicBase64Wrapped},
		{"Basic: one line", func() (*Finding, string) { return Base64Wrapped(b64("alice:hunter2")), "" }, ""},
		{"Basic: not base64", decoded("not base64!"), BasicNotBase64},
		{"Basic: base64url", decoded("YWxpY2U6aHVudGVy_-"), BasicNotBase64},
		{"Basic: trailing newline", decoded(b64("alice:hunter2hunter2\n")), BasicTrailingNewline},
		{"Basic: no colon", decoded(b64("alicehunter2hunter2")), BasicNoColon},
		{"Basic: not UTF-8", decoded(b64("alice:\xff\xfe")), HeaderFormat},
		{"Basic: unpadded", decoded(strings.TrimRight(b64("alice:hunter2"), "=")), ""},
		{"Basic: fine", decoded(b64("alice:hunter2hunter2")), ""},
		{"pair: placeholder password", pair("", "alice", "YOUR_PASSWORD"), CredentialPlaceholder},
		{"pair: placeholder user", pair("", "YOUR_USERNAME", "hunter2hunter2"), CredentialPlaceholder},
		{"pair: unexpanded password", pair("", "alice", "$PASSWORD"), VariableUnset},
		{"pair: unexpanded user", pair("", "${USER_NAME}", "hunter2hunter2"), VariableUnset},
		{"pair: bcrypt password", pair("", "alice", bcrypt), PasswordIsHash},
		{"pair: argon2 password", pair("", "alice", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"), PasswordIsHash},
		{"pair: an htpasswd line", pair("", "alice", "alice:$apr1$abcdefgh$abcdefghijklmnopqrstuv"), PasswordIsHash},
		{"pair: Stripe key as the password", pair("api.stripe.com", "x", "sk_live_abcd1234efgh5678"), BasicUsernameWrong},
		{"pair: Stripe key as the user", pair("api.stripe.com", "sk_live_abcd1234efgh5678", ""), ""},
		{"pair: GitHub installation token, wrong user", pair("api.github.com", "alice", "ghs_abcd1234efgh5678ijkl9012"), BasicUsernameWrong},
		{"pair: GitHub installation token, x-access-token", pair("api.github.com", "x-access-token", "ghs_abcd1234efgh5678ijkl9012"), ""},
		{"pair: Docker token with an e-mail address", pair("", "me@example.com", "dckr_pat_abcd1234efgh5678ijkl"), BasicUsernameWrong},
		{"pair: fine", pair("example.com", "alice", "hunter2hunter2"), ""},
		{"JWT in the user-name slot", func() (*Finding, string) { return JWTAsUser(jwtUser), jwtUser }, BasicUsernameWrong},
		{"a user name", func() (*Finding, string) { return JWTAsUser("alice"), "" }, ""},
	}
	for _, tc := range cases {
		f, secret := tc.run()
		var got Code
		if f != nil {
			got = f.Code
		}
		if got != tc.want {
			t.Errorf("%s: got %+v, want %q", tc.name, f, tc.want)
			continue
		}
		if f != nil && len(secret) >= 8 {
			for _, s := range append([]string{f.Title, f.Fix}, f.Evidence...) {
				if strings.Contains(s, secret) || strings.Contains(s, secret[len(secret)-8:]) {
					t.Errorf("%s: a finding holds the credential: %+v", tc.name, f)
				}
			}
		}
	}
}

// FuzzBasicDecoded: any value decodes or is judged without a panic, and
// a finding never holds the password.
func FuzzBasicDecoded(f *testing.F) {
	for _, s := range []string{"YWxpY2U6aHVudGVy", "YWxpY2U6aHVudGVyMgo=", "", "====", "YWxpY2U6/w", "YWxpY2VodW50ZXI="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		user, pw, fd := BasicDecoded(v)
		if fd != nil && fd.Code != HeaderFormat && (user != "" || pw != "") {
			t.Fatalf("a pair returned with %s", fd.Code)
		}
		fp := BasicPair("", user, pw)
		for _, g := range []*Finding{fd, fp} {
			if g != nil && len(pw) >= 8 && (strings.Contains(g.Title, pw) || strings.Contains(strings.Join(g.Evidence, " "), pw)) {
				t.Fatalf("a finding holds the password: %+v", g)
			}
		}
	})
}
