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

// TestPlaceholderShapes: documentation's samples beyond the YOUR_* words
// — demo values, names of what belongs there, sequential digits,
// alphabet runs, repeated characters, a1b2c3 patterns and bracketed prose
// in any language — are placeholders; keys that only contain such a run
// are not.
func TestPlaceholderShapes(t *testing.T) {
	for _, v := range []string{"DEMO_KEY", "demo-key", "secret_api_key", "test-api-key", "my-secret-token", "demo-token",
		"1234567890", "123456789012", "sk_test_1234567890", "9999999999",
		"a1b2c3d4e5f6", "1a2b3c4d5e6f", "[你的API密钥]", "【アクセストークン】", "(votre clé API)", "{clé d'API}"} {
		if Placeholder(v) == "" {
			t.Errorf("%q is not read as a placeholder", v)
		}
	}
	for _, v := range []string{"squ_0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3", "0123456789abcdef0f3a9c4e7b2d8f16", "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
		"1234abcd9f8e7d6c", "abcdef0123456789", "abcdefghijklmnop", "client-secret", "test-key", "98765x", "key-3ax6xnjp29jd6fds4gc373sgvjxteol0", "demo_7f3a9c4e7b2d8f16",
		"demo"} { // a real user name (the demo's own Basic user)
		if got := Placeholder(v); got != "" {
			t.Errorf("%q read as a placeholder: %s", v, got)
		}
	}
}
