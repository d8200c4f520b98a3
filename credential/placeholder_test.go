package credential

import "testing"

// TestPlaceholderSamples: documentation's samples in their many spellings
// are placeholders; real-looking credentials are not.
func TestPlaceholderSamples(t *testing.T) {
	for _, v := range []string{"YourApiKeyToken", ">>YOUR_API_KEY<<", "<YOUR_TOKEN>", "[YOUR_TOKEN]", "{token}", "[API_KEY]",
		"your_api_key_here", "API_KEY_HERE", "XXXX-XXXX-XXXX", "REPLACE_ME", "yourtoken", "YOURAPIKEY",
		"ApiKeyHere", "api-key-goes-here", "$TOKEN", "{{api_key}}"} {
		if Placeholder(v) == "" {
			t.Errorf("%q is not read as a placeholder", v)
		}
	}
	for _, v := range []string{"ghp_16C7e42F292c6912E7710c838347Ae178B4a", "sk_live_51Hc0ZqLkdIwHu7ixXhW", "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b",
		"AKIAIOSFODNN7EXAMPLE", "hvs.CAESIJv3m8q2e1tY", "squ_0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3",
		// documentation's masked samples stand for a real credential in
		// its examples: only a value that is all filler is one
		"glpat-xxxxxxxxxxxxxxxxxxxx", "sk_test_xxx"} {
		if got := Placeholder(v); got != "" {
			t.Errorf("%q read as a placeholder: %s", v, got)
		}
	}
}
