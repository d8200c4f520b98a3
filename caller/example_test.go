package caller_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/authgate/authgate/caller"
)

// An API behind authgate refuses a revoked key: the error says why in
// one line, carries the Request-Id to quote to the operator, and sorts
// with errors.Is. The key itself appears nowhere.
func ExampleError() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `ApiKey realm="api", header="X-API-Key", error="invalid_token", error_description="API key k7Qd was revoked 2h0m0s ago"`)
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Request-Id", "01JDEXAMPLE")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"type":"https://authgate.dev/reasons/credential_revoked","title":"Credential revoked","status":401,`+
			`"reason":"credential_revoked","detail":"API key k7Qd was revoked 2h0m0s ago","hint":"This credential was revoked; obtain a new one.","request_id":"01JDEXAMPLE"}`)
	}))
	defer api.Close()

	client := caller.New(caller.Config{Credential: caller.APIKey("X-API-Key", "ag_live_k7Qd_c2VjcmV0LXNlY3JldC1zZWNyZXQ")}).Client()
	_, err := client.Get(api.URL + "/v1/orders")

	var ce *caller.Error
	if errors.As(err, &ce) {
		fmt.Println(ce)
		fmt.Println("reason:", ce.Reason, "request id:", ce.RequestID)
	}
	fmt.Println("revoked:", errors.Is(err, caller.ErrRevoked), "rate limited:", errors.Is(err, caller.ErrRateLimited))
	// Output:
	// 401 credential_revoked: most likely: API key k7Qd was revoked 2h0m0s ago (Request-Id 01JDEXAMPLE)
	// reason: credential_revoked request id: 01JDEXAMPLE
	// revoked: true rate limited: false
}

// Client credentials: the Transport takes a token from the token
// endpoint, keeps it, and when the API says invalid_token fetches a new
// one and retries once. clientcredentials.Config.Token fetches on every
// call, which is what the Transport needs to force a new token (its
// TokenSource method would cache).
func ExampleTokenSource() {
	var issued atomic.Int32
	tokenEndpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"token-%d","token_type":"Bearer","expires_in":3600}`, issued.Add(1))
	}))
	defer tokenEndpoint.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer token-1" { // revoked since it was issued
			w.Header().Set("WWW-Authenticate", `Bearer realm="api", error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "orders")
	}))
	defer api.Close()

	ctx := context.Background()
	cc := &clientcredentials.Config{ClientID: "reporting", ClientSecret: "s3cret-s3cret", TokenURL: tokenEndpoint.URL}
	client := caller.New(caller.Config{
		Credential: caller.TokenSource(caller.TokenFunc(func() (*oauth2.Token, error) { return cc.Token(ctx) })),
	}).Client()

	resp, err := client.Get(api.URL + "/v1/orders")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body), "- tokens issued:", issued.Load())
	// Output: 200 orders - tokens issued: 2
}

// A 429 with Retry-After is waited out (here 1s, plus jitter), then the
// request is sent again, body included.
func ExampleNew() {
	var calls atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "stored %s", body)
	}))
	defer api.Close()

	client := &http.Client{Transport: caller.New(caller.Config{
		Credential: caller.Bearer("opaque-access-token"),
		MaxRetries: 2,
	})}
	resp, err := client.Post(api.URL+"/v1/notes", "text/plain", strings.NewReader("hello"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body), "after", calls.Load(), "requests")
	// Output: 200 stored hello after 2 requests
}

// The offline checks explain a credential that never had a chance: here
// an environment variable that was never set, sent as "Bearer ".
func ExampleError_diagnosis() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer api.Close()

	client := caller.New(caller.Config{Credential: caller.Bearer("" /* os.Getenv("API_TOKEN") */)}).Client()
	_, err := client.Get(api.URL)
	var ce *caller.Error
	if errors.As(err, &ce) {
		fmt.Println(ce)
		fmt.Println(ce.Diagnosis[0].Fix)
	}
	// Output:
	// 401: most likely: the Bearer credential is empty: the variable that should hold it is unset or empty
	// Set the variable in the process's environment (or load the .env file) before the client starts.
}

func ExampleRefreshingSource() {
	tokenEndpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"new-access","token_type":"Bearer","refresh_token":"rotated-after-%s","expires_in":3600}`, r.PostForm.Get("refresh_token"))
	}))
	defer tokenEndpoint.Close()
	conf := &oauth2.Config{ClientID: "app", Endpoint: oauth2.Endpoint{TokenURL: tokenEndpoint.URL}}

	src := caller.RefreshingSource(context.Background(), conf, &oauth2.Token{AccessToken: "old-access", RefreshToken: "r1"})
	for range 3 {
		tok, _ := src.Token()
		fmt.Println(tok.AccessToken, tok.RefreshToken)
	}
	// Output:
	// old-access r1
	// new-access rotated-after-r1
	// new-access rotated-after-rotated-after-r1
}
