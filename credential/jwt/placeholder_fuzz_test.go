package jwt

import (
	"testing"

	"github.com/authgate/authgate/credential"
)

// FuzzSignedTokensAreNeverPlaceholders: a correctly signed token is never
// taken for placeholder text, whatever its claims make its base64 spell.
func FuzzSignedTokensAreNeverPlaceholders(f *testing.F) {
	testKeys(f)
	f.Add("n=#*.EuJ{/;*.D[/*.F7a7W%ksVFmBVNM|zcY?", int64(1700000000))
	f.Add("your key", int64(0))
	f.Add("YOUR_VALID_ACCESS_TOKEN", int64(-1))
	f.Fuzz(func(t *testing.T, claim string, iat int64) {
		tok, err := Sign("RS256", rsaKey, map[string]any{"kid": "k1", "typ": "at+jwt"},
			map[string]any{"iss": testIss, "aud": "api", "n": claim, "iat": iat, "your": "jwt key"})
		if err != nil {
			t.Skip(err)
		}
		if kind := credential.Placeholder(tok); kind != "" {
			t.Fatalf("a signed token taken for a placeholder (%s): %s", kind, tok)
		}
		if err := credential.CheckFormat(credential.Presented{Scheme: "Bearer", Value: tok, Header: "Authorization"}); err != nil {
			t.Fatalf("a signed token refused: %v", err)
		}
	})
}
