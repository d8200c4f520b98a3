package doctor

import "testing"

// TestNamesOwnHeader: a server that says no credential arrived, although
// one was sent in Authorization, reads its own header when its words name
// the key or token it looked for and not the scheme that was sent.
func TestNamesOwnHeader(t *testing.T) {
	for _, tc := range []struct {
		text, scheme string
		want         bool
	}{
		{"No token could be found.", "Bearer", true},        // Symfony
		{"未能读取到有效 token", "Bearer", true},                   // Sa-Token
		{"No API key found in request", "Bearer", true},     // Kong key-auth
		{"Aucun jeton n'a pu être trouvé.", "Bearer", true}, // Symfony, French
		{"Authentication Required", "Bearer", false},        // PagerDuty: no word for what it reads
		{"Authentication credentials were not provided.", "Bearer", false},
		{"No Bearer token found in the request", "Bearer", false}, // it reads the Authorization sent
		{"Token authentication required", "Token", false},
	} {
		if got := namesOwnHeader(tc.text, tc.scheme); got != tc.want {
			t.Errorf("namesOwnHeader(%q, %q) = %v, want %v", tc.text, tc.scheme, got, tc.want)
		}
	}
}
