package doctor

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestHostEnvironment: the words a host uses to name an environment, as a
// label or a dash-separated part of one; never the registrable domain,
// the top-level domain or an address.
func TestHostEnvironment(t *testing.T) {
	for _, tc := range []struct{ url, word, env string }{
		{"https://test.stytch.com/v1/users", "test", "test"},
		{"https://api-sandbox.example.com/v1", "sandbox", "test"},
		{"https://api.sandbox.example.co.uk/v1", "sandbox", "test"},
		{"https://staging-api.example.io:8443/", "staging", "test"},
		{"https://api.prod.example.com/v2", "prod", "live"},
		{"https://api.stytch.com/v1/users", "", ""},
		{"https://login.live.com/oauth", "", ""}, // the registrable domain
		{"https://api.example.dev/v1", "", ""},   // the top-level domain
		{"http://127.0.0.1:8080/test", "", ""},
		{"https://attest.example.com/", "", ""}, // a word is a whole label part
	} {
		if word, env := hostEnvironment(tc.url); word != tc.word || env != tc.env {
			t.Errorf("hostEnvironment(%q) = %q, %q, want %q, %q", tc.url, word, env, tc.word, tc.env)
		}
	}
}

// TestCredentialEnvironmentAgainstHost: a credential whose prefix names
// one environment, sent to a host that names the other, is the wrong
// environment's credential — in the shapes of several services, each
// answering a generic 401 from a loopback server the request is routed
// to, whatever its host. A credential of the host's environment, or one
// whose prefix names none, is not.
func TestCredentialEnvironmentAgainstHost(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"unauthorized"}`)
	}))
	defer srv.Close()
	toLoopback := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}}
	basic := func(user, password string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
	}
	for _, tc := range []struct {
		name, url, header, value string
		wrong                    bool
	}{
		{"live project secret to the test host (Stytch)", "http://test.stytch.com/v1/users", "Authorization",
			basic("project-live-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "secret-live-Xk2bV9mQ4nR7tY1wZ3cDaB5eF0a1b2c3d4e5="), true},
		{"live secret key to a sandbox host", "http://api.sandbox.example.com/v1/charges", "Authorization", "Bearer sk_live_51HaBcDeFgHiJkLmNoPqRsTuV", true},
		{"live key as first segment to a test host (Lob shape)", "http://api-test.example.com/v1/letters", "Authorization", basic("live_9fK2mQ4nR7tY1wZ3cDaB5eF0a1b2", ""), true},
		{"live key as the Basic password to a sandbox host (Column shape)", "http://api.sandbox.example.com/entities", "Authorization", basic("", "live_9fK2mQ4nR7tY1wZ3cDaB5eF0a1b2"), true},
		{"test key to a production host", "http://api.prod.example.com/v1/orders", "X-API-Key", "test_9fK2mQ4nR7tY1wZ3cDaB5eF0a1b2", true},
		{"test secret to the test host", "http://test.stytch.com/v1/users", "Authorization",
			basic("project-test-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "secret-test-Xk2bV9mQ4nR7tY1wZ3cDaB5eF0a1b2c3d4e5="), false},
		{"a key that names no environment", "http://api.sandbox.example.com/v1/charges", "Authorization", "Bearer 9fK2mQ4nR7tY1wZ3cDaB5eF0a1b2c3d4", false},
		{"a person's short password", "http://api.prod.example.com/v1/orders", "Authorization", basic("anna", "test_1234"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Run(context.Background(), get(tc.url, tc.header, tc.value), Options{Timeout: 5 * time.Second, Transport: toLoopback})
			if err != nil {
				t.Fatal(err)
			}
			got := rep.Top != nil && rep.Top.Code == WrongEnvironment
			if got != tc.wrong {
				t.Errorf("top %v, want wrong_environment: %v", rep.Top, tc.wrong)
			}
		})
	}
}
