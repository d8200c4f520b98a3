package doctor

import (
	"net/http"
	"testing"
)

// TestProviderOnStrongEvidence: a Server header or a CDN's or framework's
// headers alone never name a provider; its host or a sign only it shows
// does.
func TestProviderOnStrongEvidence(t *testing.T) {
	tests := []struct {
		name, url string
		header    http.Header
		body      string
		want      string
	}{
		{"nginx in front", "https://api.example.com/v1", http.Header{"Server": {"nginx/1.25.3"}}, `{"error":"invalid_token"}`, ""},
		{"cloudflare in front", "https://api.example.com/v1", http.Header{"Server": {"cloudflare"}, "Cf-Ray": {"8a1b-AMS"}}, `{"message":"Unauthorized"}`, ""},
		{"express in front", "https://api.example.com/v1", http.Header{"X-Powered-By": {"Express"}}, `{"message":"Unauthorized"}`, ""},
		{"kestrel in front", "https://api.example.com/v1", http.Header{"Server": {"Kestrel"}}, ``, ""},
		{"nginx's own page", "https://api.example.com/v1", http.Header{"Server": {"nginx"}}, `<html><center><h1>401 Authorization Required</h1></center><hr><center>nginx</center></html>`, "nginx (auth_basic, auth_request)"},
		{"cloudflare api body", "https://api.example.com/v1", http.Header{"Server": {"cloudflare"}}, `{"success":false,"errors":[{"code":9109,"message":"Invalid access token"}],"messages":[],"result":null}`, "Cloudflare API"},
		{"github by host", "https://api.github.com/user", http.Header{"Server": {"nginx"}}, ``, "GitHub"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if p := identify(tt.url, &answer{status: 401, header: tt.header, body: []byte(tt.body)}); p != nil {
				got = p.Name
			}
			if got != tt.want {
				t.Errorf("provider %q, want %q", got, tt.want)
			}
		})
	}
}
