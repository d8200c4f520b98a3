package caller_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/oauth2"

	"github.com/authgate/authgate/caller"
)

// recorded is an answer another API gives, as captured from it.
type recorded struct {
	status int
	header map[string][]string
	body   string
}

var (
	githubBadCredentials = recorded{401, map[string][]string{
		"Content-Type":         {"application/json; charset=utf-8"},
		"X-GitHub-Request-Id":  {"C4F2:3A1B:9E1D2F:A0B1C2:65F0A1B2"},
		"X-GitHub-Media-Type":  {"github.v3; format=json"},
		"X-RateLimit-Limit":    {"60"},
		"X-RateLimit-Resource": {"core"},
	}, `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}`}
	// Stripe echoes a masked key, with its prefix and last four.
	stripeInvalidKey = recorded{401, map[string][]string{
		"Content-Type":     {"application/json"},
		"Request-Id":       {"req_8aZlQbXkJ4nRk2"},
		"Www-Authenticate": {`Basic realm="Stripe"`},
	}, `{"error":{"message":"Invalid API Key provided: sk_test_************************wXyZ","type":"invalid_request_error"}}`}
	googleInvalidToken = recorded{401, map[string][]string{
		"Content-Type":     {"application/json; charset=UTF-8"},
		"Www-Authenticate": {`Bearer realm="https://accounts.google.com/", error="invalid_token"`},
	}, `{"error":{"code":401,"message":"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.","errors":[{"message":"Invalid Credentials","domain":"global","reason":"authError","location":"Authorization","locationType":"header"}],"status":"UNAUTHENTICATED"}}`}
	rfc6750Expired = recorded{401, map[string][]string{
		"Www-Authenticate": {`Bearer realm="example", error="invalid_token", error_description="The access token expired"`},
	}, ""}
	rfc6750NoToken = recorded{401, map[string][]string{
		"Www-Authenticate": {`Bearer realm="example"`},
	}, ""}
	rfc6750Scope = recorded{403, map[string][]string{
		"Www-Authenticate": {`Bearer realm="example", error="insufficient_scope", error_description="write needed", scope="write"`},
	}, ""}
)

// replay serves rec to every request whose Authorization is not good.
func replay(rec recorded, good string, n *atomic.Int32) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if good != "" && r.Header.Get("Authorization") == "Bearer "+good {
			w.Write([]byte(`{"ok":true}`))
			return
		}
		for k, vs := range rec.header {
			w.Header()[k] = vs
		}
		w.WriteHeader(rec.status)
		w.Write([]byte(rec.body))
	}))
}

// TestRecordedAnswers runs the Transport against recorded answers of
// GitHub, Stripe, Google and a plain RFC 6750 server, with a static
// credential and with a TokenSource: the reason and challenges it reads,
// whether it retried, and the sentinel it reports.
func TestRecordedAnswers(t *testing.T) {
	const fresh = "fresh-access-token-4242424242"
	cases := []struct {
		name string
		rec  recorded
		// source: a TokenSource that hands out the credential first and
		// fresh after; else a static Bearer.
		source     bool
		cred       string
		expectEnv  string
		reason     string
		serverCode string
		detail     string
		requestID  string
		challenges int
		requests   int32 // 2: refreshed and retried (and the retry succeeded)
		sentinel   error
		finding    string // code of the first offline finding, if any
	}{
		{name: "GitHub bad credentials", rec: githubBadCredentials, cred: "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
			detail: "Bad credentials", requestID: "C4F2:3A1B:9E1D2F:A0B1C2:65F0A1B2", requests: 1, sentinel: caller.ErrInvalidCredential},
		{name: "GitHub: no challenge error, so no refresh", rec: githubBadCredentials, source: true, cred: "gho_16C7e42F292c6912E7710c838347Ae178B4a",
			detail: "Bad credentials", requestID: "C4F2:3A1B:9E1D2F:A0B1C2:65F0A1B2", requests: 1, sentinel: caller.ErrInvalidCredential},
		{name: "Stripe test key on live", rec: stripeInvalidKey, cred: "sk_test_4eC39HqLyjWDarjtT1zdp7dcwXyZ", expectEnv: "live",
			serverCode: "invalid_request_error", detail: "Invalid API Key provided: [redacted]************************wXyZ",
			requestID: "req_8aZlQbXkJ4nRk2", challenges: 1, requests: 1, sentinel: caller.ErrInvalidCredential, finding: "wrong_environment"},
		{name: "Google invalid_token, static", rec: googleInvalidToken, cred: "ya29.a0AfH6SMBx-static-token-value",
			reason: "invalid_token", serverCode: "UNAUTHENTICATED", detail: "Request had invalid authentication credentials.",
			challenges: 1, requests: 1, sentinel: caller.ErrInvalidCredential},
		{name: "Google invalid_token, source refreshes", rec: googleInvalidToken, source: true, cred: "ya29.a0AfH6SMBx-stale-token-value",
			requests: 2},
		{name: "RFC 6750 expired, static", rec: rfc6750Expired, cred: "mF_9.B5f-4.1JqM", reason: "invalid_token",
			detail: "The access token expired", challenges: 1, requests: 1, sentinel: caller.ErrInvalidCredential},
		{name: "RFC 6750 expired, source refreshes", rec: rfc6750Expired, source: true, cred: "mF_9.B5f-4.1JqM-stale", requests: 2},
		{name: "RFC 6750 no error: not retried", rec: rfc6750NoToken, source: true, cred: "mF_9.B5f-4.1JqM-other",
			challenges: 1, requests: 1, sentinel: caller.ErrInvalidCredential},
		{name: "RFC 6750 insufficient_scope: not retried", rec: rfc6750Scope, source: true, cred: "mF_9.B5f-4.1JqM-scope",
			reason: "insufficient_scope", detail: "write needed", challenges: 1, requests: 1, sentinel: caller.ErrInsufficientScope},
		{name: "placeholder sent to an RFC 6750 server", rec: rfc6750Expired, cred: "<API_TOKEN>",
			reason: "invalid_token", detail: "The access token expired", challenges: 1, requests: 1, sentinel: caller.ErrInvalidCredential,
			finding: "credential_placeholder"},
		{name: "unexpanded variable sent to an RFC 6750 server", rec: rfc6750Expired, cred: "${API_TOKEN}",
			reason: "invalid_token", detail: "The access token expired", challenges: 1, requests: 1, sentinel: caller.ErrInvalidCredential,
			finding: "variable_unset"},
		{name: "Bearer where Stripe asks for Basic is last of the findings", rec: stripeInvalidKey, cred: "sk_live_4eC39HqLyjWDarjtT1zdp7dcAbCd",
			serverCode: "invalid_request_error", detail: "Invalid API Key provided: sk_test_************************wXyZ",
			requestID: "req_8aZlQbXkJ4nRk2", challenges: 1, requests: 1, sentinel: caller.ErrInvalidCredential, finding: "scheme_mismatch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			srv := replay(tc.rec, fresh, &n)
			defer srv.Close()
			cred := caller.Bearer(tc.cred)
			var asked atomic.Int32
			if tc.source {
				cred = caller.TokenSource(caller.TokenFunc(func() (*oauth2.Token, error) {
					if asked.Add(1) == 1 {
						return &oauth2.Token{AccessToken: tc.cred}, nil
					}
					return &oauth2.Token{AccessToken: fresh}, nil
				}))
			}
			var logs bytes.Buffer
			c := caller.New(caller.Config{Credential: cred, ExpectEnv: tc.expectEnv, Logger: slog.New(slog.NewTextHandler(&logs, nil))}).Client()
			resp, err := c.Get(srv.URL + "/v1/thing?api_key=" + "query-secret-value")
			if n.Load() != tc.requests {
				t.Errorf("%d requests, want %d", n.Load(), tc.requests)
			}
			if tc.sentinel == nil {
				if err != nil {
					t.Fatalf("%+v", err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 || asked.Load() != 2 {
					t.Fatalf("status %d, source asked %d times", resp.StatusCode, asked.Load())
				}
				return
			}
			var ce *caller.Error
			if !errors.As(err, &ce) {
				t.Fatalf("%T %v", err, err)
			}
			if ce.Reason != tc.reason || ce.ServerCode != tc.serverCode || !strings.HasPrefix(ce.Detail, tc.detail) ||
				ce.RequestID != tc.requestID || len(ce.Challenges) != tc.challenges {
				t.Errorf("got reason %q code %q detail %q id %q %d challenges", ce.Reason, ce.ServerCode, ce.Detail, ce.RequestID, len(ce.Challenges))
			}
			if !errors.Is(err, tc.sentinel) {
				t.Errorf("errors.Is(%v) false", tc.sentinel)
			}
			if tc.finding != "" && (len(ce.Diagnosis) == 0 || string(ce.Diagnosis[0].Code) != tc.finding) &&
				!(tc.finding == "scheme_mismatch" && len(ce.Diagnosis) > 0 && string(ce.Diagnosis[len(ce.Diagnosis)-1].Code) == tc.finding) {
				t.Errorf("diagnosis %+v, want %s", ce.Diagnosis, tc.finding)
			}
			if strings.Contains(ce.URL, "query-secret") {
				t.Errorf("URL keeps its query: %s", ce.URL)
			}
			t.Logf("err: %v", err)
			noLeak(t, []string{tc.cred, fresh}, err.Error(), fmt.Sprintf("%+v", ce), fmt.Sprintf("%v", ce), logs.String())
		})
	}
}
