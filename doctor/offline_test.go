package doctor

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func offlineCodes(t *testing.T, req *Request, opts Options) map[Code]Status {
	t.Helper()
	if opts.Lookup == nil {
		opts.Lookup = func(string) (string, bool) { return "", false }
	}
	o := &offline{req: req, opts: &opts, mask: newMasker()}
	o.run()
	out := map[Code]Status{}
	for _, f := range o.findings {
		out[f.Code] = f.Status
	}
	return out
}

func TestOfflineChecks(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, ".env")
	os.WriteFile(envFile, []byte("# comment\nexport API_TOKEN=\"abc123\"\r\nOTHER=x \n"), 0o600)
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	tests := []struct {
		name string
		req  *Request
		opts Options
		want Code
		st   Status
	}{
		{"token env unset, set in the file", get("http://x"), Options{TokenEnv: "API_TOKEN", EnvFile: envFile}, VariableUnset, Fail},
		{"env file line problems", get("http://x"), Options{TokenEnv: "API_TOKEN", EnvFile: envFile}, EnvFileProblem, Fail},
		{"token env with CR", get("http://x"), Options{TokenEnv: "T", Lookup: env(map[string]string{"T": "abc\r"})}, EnvFileProblem, Fail},
		{"token env in quotes", get("http://x"), Options{TokenEnv: "T", Lookup: env(map[string]string{"T": `"abc"`})}, EnvFileProblem, Fail},
		{"stripe test key, live expected", get("http://x", "Authorization", "Bearer sk_test_51Habcdefghijklmnop"), Options{ExpectEnv: "live"}, WrongEnvironment, Fail},
		{"stripe live key, production expected", get("http://x", "Authorization", "Bearer sk_live_51Habcdefghijklmnop"), Options{ExpectEnv: "production"}, CredentialSent, Info},
		{"shell variable unset", &Request{Method: "GET", URL: "http://x", Headers: []Header{{Name: "Authorization", Value: "Bearer ", Unset: []string{"TOKEN"}}}}, Options{}, VariableUnset, Fail},
		{"Bearer Bearer", get("http://x", "Authorization", "Bearer Bearer abc"), Options{}, HeaderFormat, Fail},
		{"the scheme alone", get("http://x", "Authorization", "Bearer "), Options{}, HeaderFormat, Fail},
		{"the scheme alone, lower case", get("http://x", "Authorization", "basic"), Options{}, HeaderFormat, Fail},
		{"zero-width space", get("http://x", "Authorization", "Bearer abc\u200bdef"), Options{}, HeaderFormat, Fail},
		{"base64url in Basic", get("http://x", "Authorization", "Basic dXNlcjpw-_-_"), Options{}, BasicNotBase64, Fail},
		{"no colon", get("http://x", "Authorization", "Basic "+b64("userpass")), Options{}, BasicNoColon, Fail},
		{"id token", get("http://x", "Authorization", "Bearer eyJhbGciOiJSUzI1NiJ9.eyJub25jZSI6IngiLCJleHAiOjk5OTk5OTk5OTl9.c2ln"), Options{}, IDTokenSent, Warn},
		{"API key placeholder", get("http://x", "X-API-Key", "<your-api-key>"), Options{}, CredentialPlaceholder, Fail},
		{"JavaScript's undefined", get("http://x", "Authorization", "Bearer undefined"), Options{}, VariableUnset, Fail},
		{"Python's None", get("http://x", "X-API-Key", "None"), Options{}, VariableUnset, Fail},
		{"null token", get("http://x", "Authorization", "Token null"), Options{}, VariableUnset, Fail},
		{"the word string is a sample, not an unset variable", get("http://x", "X-API-Key", "string"), Options{}, CredentialPlaceholder, Fail},
		{"nothing sent", get("http://x"), Options{}, CredentialsMissing, Fail},
		{"British spelling", get("http://x", "Authorisation", "Bearer abc"), Options{}, HeaderNameMisspelled, Fail},
		{"Bearer as a header name", get("http://x", "Bearer", "abc"), Options{}, HeaderNameMisspelled, Fail},
		{"publishable key", get("http://x", "Authorization", "Bearer pk_live_51Habcdefghijklmnop"), Options{}, WrongTokenKind, Fail},
		{"AWS access key id", get("http://x", "Authorization", "Bearer AKIAIOSFODNN7EXAMPLE"), Options{}, WrongTokenKind, Fail},
		{"JWE", get("http://x", "Authorization", "Bearer eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"), Options{}, WrongTokenKind, Fail},
		{"token response pasted", get("http://x", "X-API-Key", `{"access_token":"x"}`), Options{}, WrongTokenKind, Fail},
		{"refresh token", get("http://x", "Authorization", "Bearer eyJhbGciOiJSUzI1NiJ9.eyJ0b2tlbl91c2UiOiJyZWZyZXNoIn0.c2ln"), Options{}, TokenTypeMismatch, Fail},
		{"refresh token, Keycloak's typ claim", get("http://x", "Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJ0eXAiOiJSZWZyZXNoIn0.c2ln"), Options{}, TokenTypeMismatch, Fail},
		{"refresh token, Simple JWT's token_type", get("http://x", "Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.c2ln"), Options{}, TokenTypeMismatch, Fail},
		{"refresh token by its prefix", get("http://x", "Authorization", "Bearer rt_4f8a9c2e7b1d6f3a0e5c"), Options{}, TokenTypeMismatch, Fail},
		{"a public key by its prefix", get("http://x", "X-Api-Key", "pub_4f8a9c2e7b1d6f3a0e5c"), Options{}, WrongTokenKind, Fail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := offlineCodes(t, tt.req, tt.opts)
			if st, ok := got[tt.want]; !ok || st != tt.st {
				t.Fatalf("want %s/%s, got %v", tt.want, tt.st, got)
			}
		})
	}
}

// TestBearerClientPair: a Bearer token that is base64 of id:secret is a
// client's credentials (RFC 6749 §2.3.1: they go as Basic to the token
// endpoint, which exchanges them for an access token), not a bearer
// token; an opaque token or a JWT is not.
func TestBearerClientPair(t *testing.T) {
	pair := "Bearer " + base64.StdEncoding.EncodeToString([]byte("my_client_id:my_client_secret"))
	if got := offlineCodes(t, get("http://x", "Authorization", pair), Options{}); got[WrongTokenKind] != Fail {
		t.Errorf("base64 id:secret as Bearer: %v", got)
	}
	for _, v := range []string{"Bearer 3f1e2d4c5b6a79881726354a5b6c7d8e", "Bearer bXlfY2xpZW50X2lk"} {
		if got := offlineCodes(t, get("http://x", "Authorization", v), Options{}); got[WrongTokenKind] != "" {
			t.Errorf("%s: %v", v, got)
		}
	}
}

// TestStrayJWTExpired: an expired JWT sent outside "Authorization:
// Bearer" — in a header of the API's own, the query, a scheme of its own,
// with no scheme word, in a cookie — is read for its expiry too.
func TestStrayJWTExpired(t *testing.T) {
	tok := mintCorpusJWT(t, map[string]any{"sub": "u1", "exp": "-1h", "iat": "-2h"}, time.Now())
	live := mintCorpusJWT(t, map[string]any{"sub": "u1", "exp": "+1h", "iat": "-1m"}, time.Now())
	for _, r := range []*Request{
		get("http://x/a", "X-Auth-Token", tok),
		get("http://x/a?access_token=" + tok),
		get("http://x/a", "Authorization", tok),
		get("http://x/a", "Authorization", "JWT "+tok),
		get("http://x/a", "Cookie", "session="+tok),
	} {
		if got := offlineCodes(t, r, Options{}); got[TokenExpired] != Fail || got[HeaderFormat] == Fail {
			t.Errorf("%v %s: %v", r.Headers, r.URL, got)
		}
	}
	if got := offlineCodes(t, get("http://x/a", "X-Auth-Token", live), Options{}); got[TokenExpired] != "" {
		t.Errorf("a live JWT: %v", got)
	}
}

// TestCookieVariableUnset: a session cookie whose shell variable is unset
// or empty (-b "session=$SESSION_ID", -H "Cookie: sid=$SID") sends no
// session at all — whatever the answer then says of it (expired, not
// found) follows from that.
func TestCookieVariableUnset(t *testing.T) {
	none := func(string) (string, bool) { return "", false }
	for _, c := range []string{`curl -b "session=$SESSION_ID" http://x/a`, `curl -H "Cookie: sid=$SID" http://x/a`} {
		r, err := ParseCurl(c, none)
		if err != nil {
			t.Fatal(err)
		}
		if got := offlineCodes(t, r, Options{}); got[VariableUnset] != Fail {
			t.Errorf("%s: %v", c, got)
		}
	}
}
