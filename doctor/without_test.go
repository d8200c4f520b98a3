package doctor

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestWithoutCredentialsDifferential: "same answer without credentials"
// is claimed only when status, body (dates and request ids masked) and
// challenges agree; an identical 403 says the refusal happens before
// authentication; 401 without and 404 with says the credential
// authenticates and the resource is hidden from it.
func TestWithoutCredentialsDifferential(t *testing.T) {
	type half struct {
		status    int
		challenge string
		body      string // %d is replaced by a fresh request number
	}
	tests := []struct {
		name          string
		with, without half
		same          bool
		top           Code
	}{
		{"identical 403, ids and dates differ", half{403, "", `{"message":"Forbidden","request_id":"%d","at":"2026-01-0%dT10:00:00Z"}`},
			half{403, "", `{"message":"Forbidden","request_id":"%d","at":"2026-01-0%dT10:00:00Z"}`}, true, SameWithoutCredentials},
		{"identical html 403 with a uuid", half{403, "", `<html><body><h1>403</h1><p>ref 0c9a1e2b-3d4f-4a5b-8c7d-00000000000%d</p></body></html>`},
			half{403, "", `<html><body><h1>403</h1><p>ref 0c9a1e2b-3d4f-4a5b-8c7d-00000000000%d</p></body></html>`}, true, SameWithoutCredentials},
		{"401 bodies differ", half{401, `Bearer error="invalid_token"`, `{"message":"token rejected"}`},
			half{401, `Bearer`, `{"message":"no token"}`}, false, ""},
		{"same body, other challenge", half{401, `Bearer error="invalid_token"`, `Unauthorized`},
			half{401, `Bearer`, `Unauthorized`}, false, ""},
		{"same body, other status", half{403, "", `denied`}, half{401, "", `denied`}, false, ""},
		{"401 without, 404 with", half{404, "", `{"message":"Not Found"}`}, half{401, `Bearer`, `{"message":"Requires authentication"}`}, false, Forbidden},
		{"401 without, bare 403 with", half{403, "", `Forbidden`}, half{401, `Bearer`, `Unauthorized`}, false, Forbidden},
		{"a 401 that names an action refused, other words without", half{401, `Bearer`, `{"message":"Deleting this project is forbidden"}`},
			half{401, `Bearer`, `{"message":"Authentication required"}`}, false, InsufficientScope},
		{"the same 401 naming an action both ways", half{401, `Bearer`, `{"message":"Deleting this project is forbidden"}`},
			half{401, `Bearer`, `{"message":"Deleting this project is forbidden"}`}, true, CredentialsRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h := tt.without
				if r.Header.Get("Authorization") != "" {
					h = tt.with
				}
				if h.challenge != "" {
					w.Header().Set("WWW-Authenticate", h.challenge)
				}
				w.Header().Set("Request-Id", fmt.Sprint(n.Add(1)))
				w.WriteHeader(h.status)
				i := n.Load()
				fmt.Fprint(w, strings.NewReplacer("%d", fmt.Sprint(i%9+1)).Replace(h.body))
			}))
			defer srv.Close()
			req, err := ParseCurl(`curl -H "Authorization: Bearer abcdef0123456789abcdef" `+srv.URL+"/v1/thing", func(string) (string, bool) { return "", false })
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Run(context.Background(), req, Options{Timeout: 5 * time.Second, Transport: loopbackOnly})
			if err != nil {
				t.Fatal(err)
			}
			var same *Finding
			for i, f := range rep.Findings {
				if f.Code == SameWithoutCredentials {
					same = &rep.Findings[i]
				}
			}
			if (same != nil) != tt.same {
				t.Fatalf("same-answer finding %v, want %v (findings %v)", same != nil, tt.same, codes(rep.Findings))
			}
			if same != nil && !strings.Contains(same.Title, "before looking at them") {
				t.Errorf("the claim does not say the refusal happens before authentication: %q", same.Title)
			}
			if tt.top != "" && (rep.Top == nil || rep.Top.Code != tt.top) {
				t.Errorf("top %v, want %s (findings %v)", rep.Top, tt.top, codes(rep.Findings))
			}
		})
	}
}

func codes(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, string(f.Code)+"/"+string(f.Status))
	}
	return out
}

// TestResourceIsNotAudience: RFC 9728's resource is not the audience the
// API requires. A token whose aud differs from the resource URL (the
// demo's demo-api against http://127.0.0.1:…) is not reported for it.
func TestResourceIsNotAudience(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/.well-known/oauth-protected-resource") {
			fmt.Fprintf(w, `{"resource":%q,"authorization_servers":["https://issuer.example"]}`, srv.URL)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="api", error="invalid_token", error_description="token revoked", resource_metadata="`+srv.URL+`/.well-known/oauth-protected-resource"`)
		w.WriteHeader(401)
	}))
	defer srv.Close()
	tok := mintCorpusJWT(t, map[string]any{"iss": "https://issuer.example", "aud": "demo-api", "scope": "read", "exp": "+10m", "iat": "-1m"}, time.Now())
	req, err := ParseCurl(`curl -H "Authorization: Bearer `+tok+`" `+srv.URL+"/items", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), req, Options{Timeout: 5 * time.Second, Transport: loopbackOnly})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		if f.Code == TokenAudienceMismatch {
			t.Errorf("an audience finding for a token the API accepts: %s", f.Title)
		}
	}
	if rep.Top == nil || rep.Top.Code != CredentialRevoked {
		t.Errorf("top %v, want credential_revoked", rep.Top)
	}
}

// TestRegionMove: a redirect to a host of the same domain that names a
// region is a base-URL problem; another domain or a plain www is not.
func TestRegionMove(t *testing.T) {
	tests := []struct{ from, to, want string }{
		{"api.example.com", "api.eu.example.com", "eu"},
		{"api.example.com", "api-eu.example.com", "eu"},
		{"app.example.io", "us2.example.io", "us2"},
		{"api.example.com", "api.eu-west-1.example.com", "eu-west-1"},
		{"api.example.com", "www.example.com", ""},
		{"api.example.com", "api.example.org", ""},
		{"eu.example.com", "eu.example.com", ""},
	}
	for _, tt := range tests {
		if got := regionMove(tt.from, tt.to); got != tt.want {
			t.Errorf("%s -> %s: %q, want %q", tt.from, tt.to, got, tt.want)
		}
	}
}

// TestWithoutCredentialsLeavesTheQuery: the request "without
// credentials" really is without them: a key in the query and user info
// in the URL are taken out; a credential in the path cannot be, so no
// comparison is claimed.
func TestWithoutCredentialsLeavesTheQuery(t *testing.T) {
	var sawKeyless atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("api_key") == "" {
			sawKeyless.Store(true)
		}
		w.WriteHeader(403)
		fmt.Fprint(w, "Forbidden")
	}))
	defer srv.Close()
	for _, tt := range []struct {
		url      string
		compared bool
	}{
		{srv.URL + "/v1/items?api_key=7f3a9c2e1b8d4f6a0c5e9d8c", true},
		{srv.URL + "/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe", false},
	} {
		sawKeyless.Store(false)
		req, err := ParseCurl("curl '"+tt.url+"'", func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Run(context.Background(), req, Options{Timeout: 5 * time.Second, Transport: loopbackOnly})
		if err != nil {
			t.Fatal(err)
		}
		claimed := false
		for _, f := range rep.Findings {
			claimed = claimed || f.Code == SameWithoutCredentials
		}
		if claimed != tt.compared {
			t.Errorf("%s: comparison claimed %v, want %v (%v)", tt.url, claimed, tt.compared, codes(rep.Findings))
		}
		if strings.Contains(tt.url, "api_key") && !sawKeyless.Load() {
			t.Errorf("%s: the request without credentials still carried the key", tt.url)
		}
	}
}

// TestComparisonYieldsToStatedCause: a proxy's headers on an answer that
// is the same without credentials say a cache or proxy answered — unless
// the answer names a cause of its own, which then stays the finding.
func TestComparisonYieldsToStatedCause(t *testing.T) {
	tests := []struct {
		body string
		top  Code
	}{
		{`{"message":"Unauthorized"}`, SameWithoutCredentials},
		{`{"message":"You are not allowed to access this resource"}`, CredentialsRejected},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			url := serve(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Via", "1.1 varnish")
				w.Header().Set("WWW-Authenticate", "Bearer")
				w.WriteHeader(401)
				fmt.Fprint(w, tt.body)
			})
			rep := run(t, get(url+"/v1/items", "Authorization", "Bearer 3f1e2d4c5b6a79881726354a5b6c7d8e"), Options{})
			if rep.Top == nil || rep.Top.Code != tt.top {
				t.Errorf("top %v, want %s (findings %v)", rep.Top, tt.top, codes(rep.Findings))
			}
		})
	}
}
