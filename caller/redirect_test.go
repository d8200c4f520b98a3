package caller_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authgate/authgate/caller"
)

// TestRedirectKeepsCredentialHome: the credential follows a redirect on
// the same origin and is dropped on a redirect to another one (RFC 9110
// §15.4), though the Transport, not the Client, attaches it.
func TestRedirectKeepsCredentialHome(t *testing.T) {
	got := map[string]string{}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got["other"] = r.Header.Get("Authorization")
	}))
	defer other.Close()
	var home *httptest.Server
	home = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/start":
			got["start"] = r.Header.Get("Authorization")
			http.Redirect(w, r, home.URL+"/moved", http.StatusFound)
		case "/moved":
			got["moved"] = r.Header.Get("Authorization")
			http.Redirect(w, r, other.URL+"/elsewhere", http.StatusFound)
		}
	}))
	defer home.Close()
	resp, err := caller.New(caller.Config{Credential: caller.Bearer("home-only-token-123")}).Client().Get(home.URL + "/start")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got["start"] != "Bearer home-only-token-123" || got["moved"] != "Bearer home-only-token-123" || got["other"] != "" {
		t.Fatalf("Authorization received: %q", got)
	}
}
