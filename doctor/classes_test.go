package doctor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/credential/jwt"
)

// classCase is one request shape of an offline class: what is sent, and
// the finding it must (or, with st "", must not) produce.
type classCase struct {
	name string
	req  *Request
	opts Options
	want Code
	st   Status
}

func runClassCases(t *testing.T, cases []classCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got := offlineCodes(t, tt.req, tt.opts)
			st, ok := got[tt.want]
			switch {
			case tt.st == "" && ok:
				t.Fatalf("%s reported (%v), want none", tt.want, got)
			case tt.st != "" && (!ok || st != tt.st):
				t.Fatalf("want %s/%s, got %v", tt.want, tt.st, got)
			}
		})
	}
}

func basic(url, user, pw string) *Request {
	return get(url, "Authorization", "Basic "+b64(user+":"+pw))
}

// TestClassPasswordIsHash: a password that is itself a stored hash, in
// the shapes of the stores people copy them from.
func TestClassPasswordIsHash(t *testing.T) {
	runClassCases(t, []classCase{
		{"htpasswd -B (bcrypt)", basic("https://x/", "alice", "$2y$05$Ahr5/k7JXvB0sQ2bH0b4SeW3xVZlAc0E9KfW9QW3Z0G4hL5o4E1m6"), Options{}, PasswordIsHash, Fail},
		{"Vaultwarden admin token (argon2id)", basic("https://x/", "admin", "$argon2id$v=19$m=65540,t=3,p=4$c2FsdHNhbHQ$5l0bqW8R3fS2V0cY0Hh5k3m1b6u9h4JmYgYk2c1nU8c"), Options{}, PasswordIsHash, Fail},
		{"/etc/shadow (SHA-512 crypt)", basic("https://x/", "root", "$6$rounds=5000$saltsalt$"+strings.Repeat("a", 86)), Options{}, PasswordIsHash, Fail},
		{"a whole htpasswd line as the password", basic("https://x/", "alice", "alice:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/"), Options{}, PasswordIsHash, Fail},
		{"an LDAP {SSHA} value", basic("https://x/", "cn=admin", "{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="), Options{}, PasswordIsHash, Fail},
		{"Django's stored password", basic("https://x/", "bob", "pbkdf2_sha256$600000$abc$def="), Options{}, PasswordIsHash, Fail},
		{"a password with a dollar sign", basic("https://x/", "bob", "pa$$word$2"), Options{}, PasswordIsHash, ""},
	})
}

// TestClassBasicUserName: a token in the user-name slot, or with a user
// name the service's token convention does not use.
func TestClassBasicUserName(t *testing.T) {
	runClassCases(t, []classCase{
		{"GitHub App installation token, wrong user", basic("https://github.com/o/r.git/info/refs", "octocat", "ghs_16C7e42F292c6912E7710c838347Ae178B4a"), Options{}, BasicUsernameWrong, Fail},
		{"GitHub App installation token, x-access-token", basic("https://github.com/o/r.git/info/refs", "x-access-token", "ghs_16C7e42F292c6912E7710c838347Ae178B4a"), Options{}, BasicUsernameWrong, ""},
		{"PyPI token with the account name", basic("https://upload.pypi.org/legacy/", "alice", "pypi-AgEIcHlwaS5vcmcCJGU0ZjYxY2RlLTA"), Options{}, BasicUsernameWrong, Fail},
		{"PyPI token with __token__", basic("https://upload.pypi.org/legacy/", "__token__", "pypi-AgEIcHlwaS5vcmcCJGU0ZjYxY2RlLTA"), Options{}, BasicUsernameWrong, ""},
		{"Mailgun key with a user name", basic("https://api.mailgun.net/v3/domains", "bob", "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"), Options{}, BasicUsernameWrong, Fail},
		{"Mailgun key with api", basic("https://api.mailgun.net/v3/domains", "api", "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"), Options{}, BasicUsernameWrong, ""},
		{"Stripe key as the password", basic("https://api.stripe.com/v1/charges", "me", "sk_test_4eC39HqLyjWDarjtT1zdp7dc"), Options{}, BasicUsernameWrong, Fail},
		{"Stripe key as the user", basic("https://api.stripe.com/v1/charges", "sk_test_4eC39HqLyjWDarjtT1zdp7dc", ""), Options{}, BasicUsernameWrong, ""},
		{"Twilio with an e-mail as the user", basic("https://api.twilio.com/2010-04-01/Accounts.json", "me@example.com", "f2b7a1c9d8e64f0a9b3c5d7e1f2a4b6c"), Options{}, BasicUsernameWrong, Fail},
		{"Atlassian token with a user name, not the e-mail", basic("https://acme.atlassian.net/rest/api/3/myself", "alice", "ATATT3xFfGF0abcdefghijklmnop0123456789"), Options{}, BasicUsernameWrong, Fail},
		{"Atlassian token with the e-mail", basic("https://acme.atlassian.net/rest/api/3/myself", "alice@acme.com", "ATATT3xFfGF0abcdefghijklmnop0123456789"), Options{}, BasicUsernameWrong, ""},
		{"GitHub PAT in the user slot", basic("https://api.github.com/user", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", ""), Options{}, BasicUsernameWrong, Fail},
		{"a JWT in the user slot", basic("https://api.example.com/", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", ""), Options{}, BasicUsernameWrong, Fail},
	})
}

// TestClassCredentialOutsideHeaders: credentials in the URL, the query
// or the body count as sent and are checked for shape.
func TestClassCredentialOutsideHeaders(t *testing.T) {
	post := func(url, body string) *Request { return &Request{Method: "POST", URL: url, Body: body} }
	runClassCases(t, []classCase{
		{"Telegram bot token in the path", get("https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe"), Options{}, CredentialsMissing, ""},
		{"Telegram bot token in the path, counted", get("https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe"), Options{}, CredentialSent, Info},
		{"Google API key in the query, in brackets", get("https://maps.googleapis.com/maps/api/geocode/json?key=%3CAIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY%3E"), Options{}, CredentialWrapped, Fail},
		{"OAuth client secret placeholder in a form", post("https://login.example.com/oauth/token", "grant_type=client_credentials&client_id=abc&client_secret=YOUR_CLIENT_SECRET"), Options{}, CredentialPlaceholder, Fail},
		{"JSON body key with spaces", post("https://api.example.com/v1/login", `{"api_key":" 7f3a9c2e1b8d4f6a0c5e "}`), Options{}, HeaderFormat, Fail},
		{"JSON body key counted as sent", post("https://api.example.com/v1/login", `{"api_key":"7f3a9c2e1b8d4f6a0c5e"}`), Options{}, CredentialsMissing, ""},
		{"URL user info with a hash", get("https://alice:%24apr1%24r31.....%24HqJZimcKQFAMYayBlzkrA%2F@x.example.com/"), Options{}, PasswordIsHash, Fail},
		{"documentation's key left in the path", get("https://v6.exchangerate-api.com/v6/YOUR-API-KEY/latest/USD"), Options{}, CredentialPlaceholder, Fail},
		{"a key in braces left in the path", get("https://api.example.com/v1/%7Bapi_key%7D/forecast"), Options{}, CredentialPlaceholder, Fail},
		{"a path word that names a token is no credential", get("https://vault.example.com/v1/auth/token/lookup-self"), Options{}, CredentialPlaceholder, ""},
		{"an unset variable left the query's key empty", get("https://api.openweathermap.org/data/2.5/weather?q=London&appid="), Options{}, VariableUnset, Fail},
		{"an unset variable left the JSON body's token empty", post("https://api.example.com/v1/verify", `{"token":""}`), Options{}, VariableUnset, Fail},
	})
}

// TestClassWrapped: documentation's marks sent with the credential, raw
// and percent-encoded, in each place a credential goes.
func TestClassWrapped(t *testing.T) {
	runClassCases(t, []classCase{
		{"Bearer <token>", get("https://x/", "Authorization", "Bearer <eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl>"), Options{}, CredentialWrapped, Fail},
		{"Bearer \"token\"", get("https://x/", "Authorization", `Bearer "ghp_16C7e42F292c6912E7710c838347Ae178B4a"`), Options{}, CredentialWrapped, Fail},
		{"x-api-key %3Ckey%3E", get("https://x/", "x-api-key", "%3Csk-ant-api03-abcdefghijklmnop0123%3E"), Options{}, CredentialWrapped, Fail},
		{"PRIVATE-TOKEN 'token'", get("https://gitlab.com/api/v4/user", "PRIVATE-TOKEN", "'glpat-xxxxxxxxxxxxxxxx1234'"), Options{}, CredentialWrapped, Fail},
		{"a placeholder is not a wrapped token", get("https://x/", "x-api-key", "<your-api-key>"), Options{}, CredentialWrapped, ""},
	})
}

// TestClassEnv: an inline # comment docker --env-file keeps, and a shell
// variable that shadows the file's value.
func TestClassEnv(t *testing.T) {
	dir := t.TempDir()
	withComment := filepath.Join(dir, "comment.env")
	os.WriteFile(withComment, []byte("API_TOKEN=ghp_16C7e42F292c6912E7710c838347Ae178B4a # rotated 2026-01\n"), 0o600)
	quoted := filepath.Join(dir, "quoted.env")
	os.WriteFile(quoted, []byte("API_TOKEN=\"abc # not a comment\"\n"), 0o600)
	shadow := filepath.Join(dir, "shadow.env")
	os.WriteFile(shadow, []byte("API_TOKEN=new-token-0123456789\n"), 0o600)
	env := func(v string) func(string) (string, bool) {
		return func(k string) (string, bool) { return v, k == "API_TOKEN" }
	}
	runClassCases(t, []classCase{
		{"inline comment in the file", get("https://x/"), Options{TokenEnv: "API_TOKEN", EnvFile: withComment, Lookup: env("ghp_16C7e42F292c6912E7710c838347Ae178B4a")}, EnvFileProblem, Fail},
		{"inline comment kept in the value", get("https://x/"), Options{TokenEnv: "API_TOKEN", Lookup: env("abc123 # prod")}, EnvFileProblem, Fail},
		{"a quoted # is no comment", get("https://x/"), Options{TokenEnv: "OTHER", EnvFile: quoted}, EnvFileProblem, ""},
		{"shell variable shadows the file", get("https://x/"), Options{TokenEnv: "API_TOKEN", EnvFile: shadow, Lookup: env("old-token-0123456789")}, EnvFileProblem, Fail},
	})
}

// TestClassExpMilliseconds: exp written with Date.now(), in the shapes
// of a GitHub App JWT and a plain API token.
func TestClassExpMilliseconds(t *testing.T) {
	for _, claims := range []map[string]any{
		{"iss": "123456", "iat": 1767261540, "exp": 1767262140000},
		{"sub": "user-1", "aud": "api", "exp": 1767262140000},
		{"sub": "user-1", "iat": 1767261540000, "exp": 1767262140},
	} {
		req := get("https://api.github.com/app", "Authorization", "Bearer "+mintCorpusJWT(t, claims, time.Now()))
		if got := offlineCodes(t, req, Options{}); got[TokenLifetimeTooLong] != Fail {
			t.Errorf("%v: %v, want token_lifetime_too_long", claims, got)
		}
	}
}

// TestClassLifetimeAgainstStatedMaximum: the token's lifetime against the
// maximum the server's words state.
func TestClassLifetimeAgainstStatedMaximum(t *testing.T) {
	tests := []struct {
		says   string
		life   string
		longer bool
	}{
		{"The Expiration Time claim value cannot be more than 60 minutes in the future relative to Issued At", "+2h", true},
		{"Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.", "+61m", true},
		{"Tokens that expire more than 20 minutes into the future are not valid", "+10m", false},
		{"exp must be at most 10 minutes after iat", "+11m", true},
	}
	for _, tt := range tests {
		d, _ := decodeForTest(t, map[string]any{"iat": "-0s", "exp": tt.life})
		if got := lifetimeAgainst(d, tt.says, time.Now()) != ""; got != tt.longer {
			t.Errorf("%q with exp %s: longer %v, want %v", tt.says, tt.life, got, tt.longer)
		}
	}
}

// TestClassBasicNotUTF8: a Latin-1 Basic pair against a server whose
// challenge says charset="UTF-8" cannot match.
func TestClassBasicNotUTF8(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="files", charset="UTF-8"`)
		w.WriteHeader(401)
	}))
	defer srv.Close()
	req := get(srv.URL, "Authorization", "Basic "+b64("j\xfcrgen:gr\xfcn"))
	rep, err := Run(context.Background(), req, Options{Timeout: 5 * time.Second, Transport: loopbackOnly})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Top == nil || rep.Top.Code != HeaderFormat || !strings.Contains(rep.Top.Title, "UTF-8") {
		t.Fatalf("top %v, want the pair's encoding", rep.Top)
	}
}

func decodeForTest(t *testing.T, claims map[string]any) (*jwt.Decoded, string) {
	t.Helper()
	tok := mintCorpusJWT(t, claims, time.Now())
	d, err := jwt.Decode(tok)
	if err != nil {
		t.Fatal(err)
	}
	return d, tok
}

// TestClassOtherSchemeValue: credentials whose shape carries a scheme or a
// place of their own, sent as Bearer or bare, and real bearer tokens that
// must not be mistaken for them.
func TestClassOtherSchemeValue(t *testing.T) {
	runClassCases(t, []classCase{
		{"Proxmox API token as Bearer", get("https://x/", "Authorization", "Bearer root@pam!ci=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"), Options{}, SchemeMismatch, Fail},
		{"a bot token as Bearer", get("https://x/", "Authorization", "Bearer MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs"), Options{}, SchemeMismatch, Fail},
		{"a bot token with no scheme", get("https://x/", "Authorization", "MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs"), Options{}, SchemeMismatch, Fail},
		{"a bot token with Bot", get("https://x/", "Authorization", "Bot MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs"), Options{}, SchemeMismatch, ""},
		{"base64 user:password as Bearer", get("https://x/", "Authorization", "Bearer "+b64("alice:s3cret-password")), Options{}, SchemeMismatch, Fail},
		{"a Telegram token in Authorization", get("https://x/", "Authorization", "Bearer 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"), Options{}, CredentialWrongHeader, Fail},
		{"an opaque bearer token", get("https://x/", "Authorization", "Bearer 2YotnFZFEjr1zCsicMWpAA"), Options{}, SchemeMismatch, ""},
		{"a GitHub token", get("https://x/", "Authorization", "Bearer ghp_16C7e42F292c6912E7710c838347Ae178B4a"), Options{}, SchemeMismatch, ""},
		{"a scheme word inside X-API-Key", get("https://x/", "X-API-Key", "Bearer 0a1b2c3d4e5f60718293a4b5c6d7e8f9"), Options{}, HeaderFormat, Fail},
		{"a plain X-API-Key", get("https://x/", "X-API-Key", "0a1b2c3d4e5f60718293a4b5c6d7e8f9"), Options{}, HeaderFormat, ""},
		{"a token type header is no credential", get("https://x/", "X-Snowflake-Authorization-Token-Type", "KEYPAIR_JWT"), Options{}, CredentialPlaceholder, ""},
	})
}
