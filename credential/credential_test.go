package credential

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/authgate/authgate/reason"
)

func TestAuthorizationFormat(t *testing.T) {
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"
	tests := []struct {
		name   string
		values []string
		want   reason.Code
	}{
		{"none", nil, reason.CredentialsMissing},
		{"good", []string{"Bearer " + jwt}, ""},
		{"opaque with padding", []string{"Bearer 2YotnFZFEjr1zCsicMWpAA=="}, ""},
		{"two headers", []string{"Bearer a", "Bearer b"}, reason.HeaderMalformed},
		{"empty", []string{"   "}, reason.HeaderMalformed},
		{"no scheme", []string{jwt}, reason.HeaderMalformed},
		{"scheme only", []string{"Bearer"}, reason.HeaderMalformed},
		{"double space", []string{"Bearer  " + jwt}, reason.HeaderMalformed},
		{"repeated scheme", []string{"Bearer bearer " + jwt}, reason.HeaderMalformed},
		{"inner space", []string{"Bearer ab cd"}, reason.HeaderMalformed},
		{"quoted", []string{`Bearer "` + jwt + `"`}, reason.HeaderMalformed},
		{"single-quoted", []string{`Bearer '` + jwt + `'`}, reason.HeaderMalformed},
		{"newline", []string{"Bearer " + jwt + "\n"}, reason.HeaderMalformed},
		{"zero-width space", []string{"Bearer " + jwt + "\u200b"}, reason.HeaderMalformed},
		{"comma", []string{"Bearer a,b"}, reason.HeaderMalformed},
		{"$(...)", []string{`Bearer $(echo -n "u:p" | base64)`}, reason.CredentialPlaceholder},
		{"${VAR}", []string{"Bearer ${API_TOKEN}"}, reason.CredentialPlaceholder},
		{"$VAR", []string{"Bearer $TOKEN"}, reason.CredentialPlaceholder},
		{"%VAR%", []string{"Bearer %TOKEN%"}, reason.CredentialPlaceholder},
		{"<token>", []string{"Bearer <token>"}, reason.CredentialPlaceholder},
		{"{{token}}", []string{"Bearer {{token}}"}, reason.CredentialPlaceholder},
		{"YOUR_", []string{"Bearer YOUR_VALID_ACCESS_TOKEN"}, reason.CredentialPlaceholder},
		{"your-api-key", []string{"Bearer your-api-key-here"}, reason.CredentialPlaceholder},
		{"ACCESS_TOKEN", []string{"Bearer ACCESS_TOKEN"}, reason.CredentialPlaceholder},
		{"undefined", []string{"Bearer undefined"}, reason.CredentialPlaceholder},
		{"null", []string{"Bearer null"}, reason.CredentialPlaceholder},
		{"swagger string", []string{"Bearer string"}, reason.CredentialPlaceholder},
		{"masked", []string{"Bearer ********"}, reason.CredentialPlaceholder},
		{"real upper-case key", []string{"Bearer AKIAIOSFODNN7EXAMPLE"}, ""},
		{"real key with KEY inside", []string{"Bearer 9F2KEYZ8W1Q0JX4TOKEN7"}, ""},
		{"your and key inside a random key", []string{"Bearer 8hyourQ2keyLm0x"}, ""},
		{"a JWT whose base64 spells your...jwt", []string{"Bearer eyJhbGciOiJSUzI1NiJ9.eyJ5b3VyIjoiand0In0yourXjwtKEY.c2lnyourkey"}, ""},
		{"a JWT whose base64 spells your-key", []string{"Bearer eyJhbGciOiJSUzI1NiJ9.AB-your-key-CD.c2ln"}, ""},
		{"your token in words", []string{"Bearer your.token.here"}, reason.CredentialPlaceholder},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.values {
				h.Add("Authorization", v)
			}
			p, err := FromAuthorization(h)
			if err == nil {
				err = CheckFormat(p)
			}
			if got := reason.CodeOf(err); got != tt.want {
				t.Fatalf("reason %q, want %q (%v)", got, tt.want, err)
			}
		})
	}
}

func TestFingerprint(t *testing.T) {
	f := NewFingerprinter([]byte("k"))
	a, b := f.Of("secret-one"), f.Of("secret-two")
	if len(a) != 12 || a == b || a != f.Of("secret-one") {
		t.Fatalf("fingerprints %q %q", a, b)
	}
	if NewFingerprinter([]byte("other")).Of("secret-one") == a {
		t.Fatal("fingerprint does not depend on the key")
	}
}

func FuzzAuthorization(f *testing.F) {
	f.Add("Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln")
	f.Add("Basic dTpw")
	f.Add(`Bearer "x"`)
	f.Add("Bearer a\x7fb\u00e9\tc\n")
	f.Fuzz(func(t *testing.T, v string) {
		if got, want := IndexControl(v), strings.IndexFunc(v, IsControl); got != want {
			t.Fatalf("IndexControl(%q) = %d, strings.IndexFunc(IsControl) = %d", v, got, want)
		}
		h := http.Header{"Authorization": {v}}
		p, err := FromAuthorization(h)
		if err == nil {
			err = CheckFormat(p)
		}
		if err != nil {
			if c := reason.CodeOf(err); c != reason.HeaderMalformed && c != reason.CredentialPlaceholder {
				t.Fatalf("unexpected reason %s for %q", c, v)
			}
		}
	})
}

// TestFingerprintIsKeyedHMAC: the fingerprint is the first 6 bytes of
// HMAC-SHA-256 under the key, the same however often it is taken, and
// differs under another key.
func TestFingerprintIsKeyedHMAC(t *testing.T) {
	f := NewFingerprinter([]byte("k1"))
	m := hmac.New(sha256.New, []byte("k1"))
	m.Write([]byte("secret"))
	want := hex.EncodeToString(m.Sum(nil)[:6])
	for range 3 {
		if got := f.Of("secret"); got != want {
			t.Fatalf("fingerprint %s, want %s", got, want)
		}
	}
	if NewFingerprinter([]byte("k2")).Of("secret") == want {
		t.Fatal("another key gives the same fingerprint")
	}
}

func BenchmarkFingerprint(b *testing.B) {
	f := NewFingerprinter([]byte("0123456789abcdef0123456789abcdef"))
	tok := strings.Repeat("x", 600)
	b.ReportAllocs()
	for b.Loop() {
		f.Of(tok)
	}
}

// environmentShape is ValidEnvironment's rule as a regular expression:
// the specification the loop is checked against.
var environmentShape = regexp.MustCompile(`^[a-z][a-z0-9]{0,15}$`)

func TestValidEnvironment(t *testing.T) {
	for env, want := range map[string]bool{
		"live": true, "test": true, "staging2": true, "a": true, "abcdefghijklmnop": true,
		"": false, "abcdefghijklmnopq": false, "2live": false, "Live": false, "li-ve": false,
		"li_ve": false, "live ": false, "livé": false, "live\n": false,
	} {
		if got := ValidEnvironment(env); got != want || environmentShape.MatchString(env) != want {
			t.Errorf("ValidEnvironment(%q) = %v, want %v", env, got, want)
		}
	}
}

// FuzzValidEnvironment: the loop agrees with the regular expression on
// every input.
func FuzzValidEnvironment(f *testing.F) {
	for _, s := range []string{"live", "staging2", "", "Live", "abcdefghijklmnopq", "a\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidEnvironment(s), environmentShape.MatchString(s); got != want {
			t.Fatalf("ValidEnvironment(%q) = %v, the rule says %v", s, got, want)
		}
	})
}
