package doctor

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/authgate/authgate/caller"
	"github.com/authgate/authgate/credential/diagnose"
)

// diagnoseCodes are the findings of package credential/diagnose, the
// offline checks the doctor and package caller share.
var diagnoseCodes = []Code{
	Code(diagnose.BasicTrailingNewline), Code(diagnose.CredentialPlaceholder), Code(diagnose.VariableUnset),
	Code(diagnose.HeaderFormat), Code(diagnose.TokenExpired), Code(diagnose.TokenNotYetValid),
	Code(diagnose.SchemeMismatch), Code(diagnose.WrongEnvironment), Code(diagnose.IDTokenSent),
}

// TestSharedWithCaller sends the same credential through the doctor's
// offline checks and through a caller.Transport that gets a bare 401: the
// two must find the same things, since both take them from
// credential/diagnose (issue #26: one implementation).
func TestSharedWithCaller(t *testing.T) {
	now := time.Now()
	token := func(claims map[string]any) string {
		enc := func(v any) string {
			b, _ := json.Marshal(v)
			return base64.RawURLEncoding.EncodeToString(b)
		}
		return enc(map[string]any{"alg": "RS256", "typ": "JWT"}) + "." + enc(claims) + ".c2lnbmF0dXJlLWJ5dGVz"
	}
	cases := []struct {
		name   string
		header string // "Authorization" for Bearer
		value  string
		env    string
		want   []Code
	}{
		{"expired JWT", "Authorization", token(map[string]any{"exp": now.Add(-time.Hour).Unix(), "scope": "read"}), "", []Code{TokenExpired}},
		{"JWT not yet valid", "Authorization", token(map[string]any{"nbf": now.Add(time.Hour).Unix(), "exp": now.Add(2 * time.Hour).Unix(), "scope": "read"}), "", []Code{TokenNotYetValid}},
		{"expired and not yet valid", "Authorization", token(map[string]any{"iat": now.Add(time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix(), "scope": "read"}), "", []Code{TokenExpired, TokenNotYetValid}},
		{"ID token", "Authorization", token(map[string]any{"exp": now.Add(time.Hour).Unix(), "aud": "client", "nonce": "n"}), "", []Code{IDTokenSent}},
		{"placeholder API key", "X-Api-Key", "YOUR_API_KEY", "", []Code{CredentialPlaceholder}},
		{"placeholder Bearer token", "Authorization", "<your-token>", "", []Code{CredentialPlaceholder}},
		{"unexpanded variable", "Authorization", "${API_TOKEN}", "", []Code{VariableUnset}},
		{"test key on live", "Authorization", "sk_test_51Habcdefghijklmnop", "live", []Code{WrongEnvironment}},
		{"test API key on live", "X-Api-Key", "ag_test_k1_c2VjcmV0c2VjcmV0c2VjcmV0", "production", []Code{WrongEnvironment}},
		{"live key on production", "X-Api-Key", "ag_live_k1_c2VjcmV0c2VjcmV0c2VjcmV0", "production", nil},
		{"plain opaque token", "Authorization", "abcdef0123456789abcdef", "", nil},
		{"fresh JWT", "Authorization", token(map[string]any{"exp": now.Add(time.Hour).Unix(), "scope": "read"}), "", nil},
	}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer api.Close()
	shared := func(codes []Code) []Code {
		var out []Code
		for _, c := range codes {
			if slices.Contains(diagnoseCodes, c) && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		return out
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var req *Request
			cred := caller.APIKey(tc.header, tc.value)
			if tc.header == "Authorization" {
				req = get(api.URL, "Authorization", "Bearer "+tc.value)
				cred = caller.Bearer(tc.value)
			} else {
				req = get(api.URL, tc.header, tc.value)
			}
			var doc []Code
			for code, st := range offlineCodes(t, req, Options{ExpectEnv: tc.env}) {
				if st == Fail || st == Warn {
					doc = append(doc, code)
				}
			}
			_, err := caller.New(caller.Config{Credential: cred, ExpectEnv: tc.env, MaxRetries: -1}).Client().Get(api.URL)
			var ce *caller.Error
			if !errors.As(err, &ce) {
				t.Fatalf("caller: want *caller.Error, got %v", err)
			}
			var call []Code
			for _, f := range ce.Diagnosis {
				call = append(call, Code(f.Code))
			}
			want := shared(tc.want)
			if d, c := shared(doc), shared(call); !slices.Equal(d, want) || !slices.Equal(c, want) {
				t.Errorf("want %v from both; the doctor found %v, caller %v", want, d, c)
			}
		})
	}
}

// TestSchemeSharedWithCaller: the scheme comparison needs the server's
// challenges, so the doctor runs in full against the same server.
func TestSchemeSharedWithCaller(t *testing.T) {
	cases := []struct {
		name, challenge string
		want            bool
	}{
		{"Bearer where Basic is asked", `Basic realm="legacy"`, true},
		{"Bearer where Bearer is asked", `Bearer realm="api", error="invalid_token"`, false},
		{"Bearer among several", `Basic realm="legacy", Bearer realm="api"`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("WWW-Authenticate", tc.challenge)
				w.WriteHeader(http.StatusUnauthorized)
			}))
			defer api.Close()
			const tok = "abcdef0123456789abcdef"
			rep, err := Run(t.Context(), get(api.URL, "Authorization", "Bearer "+tok), Options{Lookup: func(string) (string, bool) { return "", false }})
			if err != nil {
				t.Fatal(err)
			}
			doc := slices.ContainsFunc(rep.Findings, func(f Finding) bool { return f.Code == SchemeMismatch && f.Status == Fail })
			_, err = caller.New(caller.Config{Credential: caller.Bearer(tok), MaxRetries: -1}).Client().Get(api.URL)
			var ce *caller.Error
			if !errors.As(err, &ce) {
				t.Fatalf("caller: want *caller.Error, got %v", err)
			}
			call := slices.ContainsFunc(ce.Diagnosis, func(f diagnose.Finding) bool { return f.Code == diagnose.SchemeMismatch })
			if doc != tc.want || call != tc.want {
				t.Errorf("scheme_mismatch: want %v; the doctor %v, caller %v", tc.want, doc, call)
			}
		})
	}
}
