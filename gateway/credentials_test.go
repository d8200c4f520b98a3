package gateway

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/credential/apikey"
	"github.com/authgate/authgate/credential/apikey/keyformat"
	"github.com/authgate/authgate/credential/basic"
	"github.com/authgate/authgate/internal/redistest"
	"github.com/authgate/authgate/limit"
	"github.com/authgate/authgate/reason"
	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/store/sqlite"
)

func (e *env) key(env string, scopes ...string) (string, store.Key) {
	e.t.Helper()
	k, key, err := apikey.Create(context.Background(), e.store, apikey.Spec{Name: "t", Environment: env, Scopes: scopes}, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return key, k
}

func (e *env) user(name, pw string) {
	h, _ := basic.HashPassword(pw)
	if err := e.store.AddUser(context.Background(), store.User{Name: name, Hash: h, Scopes: []string{"read"}}, "test"); err != nil {
		e.t.Fatal(err)
	}
}

func basicAuth(user, pw string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))
}

func TestAPIKeysAndBasic(t *testing.T) {
	e := newEnv(t, api.DetailFull)
	live, lk := e.key("live", "read")
	test, _ := e.key("test", "read")
	noScope, _ := e.key("live")
	revoked, rk := e.key("live", "read")
	e.store.RevokeKey(context.Background(), rk.ID, time.Now(), "test")
	unknown, _, _ := keyformat.Generate("live")
	e.user("alice", "correct horse")
	jwtGood := token(t, nil)

	tests := []struct {
		name     string
		method   string
		path     string
		headers  []string
		status   int
		reason   reason.Code
		errParam string // "-": no challenge carries error
		// on is the challenge that carries the error: the scheme the
		// credential came in (ApiKey for the key header or query), or the
		// first that takes errors when no single credential was read.
		on string
	}{
		{"X-API-Key", "GET", "/keyed/a", []string{"X-API-Key", live}, 200, "", "", "-"},
		{"lower-case header name", "GET", "/keyed/a", []string{"x-api-key", live}, 200, "", "", "-"},
		{"key as Bearer", "GET", "/keyed/a", []string{"Authorization", "Bearer " + live}, 200, "", "", "-"},
		{"test key on live", "GET", "/keyed/a", []string{"X-API-Key", test}, 401, reason.CredentialWrongEnvironment, "invalid_token", "ApiKey"},
		{"revoked", "GET", "/keyed/a", []string{"X-API-Key", revoked}, 401, reason.CredentialRevoked, "invalid_token", "ApiKey"},
		{"revoked key as Bearer", "GET", "/keyed/a", []string{"Authorization", "Bearer " + revoked}, 401, reason.CredentialRevoked, "invalid_token", "Bearer"},
		{"unknown", "GET", "/keyed/a", []string{"X-API-Key", unknown}, 401, reason.CredentialUnknown, "invalid_token", "ApiKey"},
		{"truncated", "GET", "/keyed/a", []string{"X-API-Key", live[:40]}, 401, reason.APIKeyMalformed, "invalid_token", "ApiKey"},
		{"placeholder key", "GET", "/keyed/a", []string{"X-API-Key", "${API_KEY}"}, 401, reason.CredentialPlaceholder, "invalid_token", "ApiKey"},
		{"key lacks scope", "GET", "/keyed/a", []string{"X-API-Key", noScope}, 403, reason.InsufficientScope, "insufficient_scope", "ApiKey"},
		{"two credentials", "GET", "/keyed/a", []string{"X-API-Key", live, "Authorization", "Bearer " + live}, 400, reason.HeaderMalformed, "invalid_request", "ApiKey"},
		{"two key headers", "GET", "/keyed/a", []string{"X-API-Key", live, "X-API-Key", live}, 400, reason.HeaderMalformed, "invalid_request", "ApiKey"},
		{"key in query, not enabled", "GET", "/keyed/a?api_key=" + live, nil, 400, reason.CredentialInQuery, "invalid_request", "ApiKey"},
		{"access_token in query", "GET", "/keyed/a?access_token=abc", nil, 400, reason.CredentialInQuery, "invalid_request", "ApiKey"},
		{"key in query, enabled", "GET", "/keyq?api_key=" + live, nil, 200, "", "", "-"},
		{"JWT on a key route", "GET", "/keyed/a", []string{"Authorization", "Bearer " + jwtGood}, 401, reason.SchemeUnsupported, "-", "-"},
		{"key on a JWT route", "GET", "/v1/data", []string{"X-API-Key", live}, 401, reason.SchemeUnsupported, "-", "-"},
		{"Basic good", "GET", "/keyed/a", []string{"Authorization", basicAuth("alice", "correct horse")}, 200, "", "", "-"},
		{"Basic wrong password", "GET", "/keyed/a", []string{"Authorization", basicAuth("alice", "nope")}, 401, reason.BasicInvalid, "-", "-"},
		{"Basic unknown user", "GET", "/keyed/a", []string{"Authorization", basicAuth("mallory", "nope")}, 401, reason.BasicInvalid, "-", "-"},
		{"Basic trailing newline", "GET", "/keyed/a", []string{"Authorization", basicAuth("alice", "correct horse\n")}, 400, reason.BasicMalformed, "-", "-"},
		{"Basic unexpanded $(...)", "GET", "/keyed/a", []string{"Authorization", `Basic $(echo -n "username:password" | base64)`}, 401, reason.CredentialPlaceholder, "-", "-"},
		{"nothing", "GET", "/keyed/a", nil, 401, reason.CredentialsMissing, "-", "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			r := e.do(tt.method, tt.path, tt.headers...)
			if r.status != tt.status || r.problem.Reason != string(tt.reason) {
				t.Fatalf("got %d %q (%s), want %d %q", r.status, r.problem.Reason, r.problem.Detail, tt.status, tt.reason)
			}
			for _, c := range r.challenges {
				got, has := c.Get("error")
				want := tt.errParam != "-" && tt.errParam != "" && strings.EqualFold(c.Scheme, tt.on)
				if want && got != tt.errParam || !want && has && tt.errParam != "" {
					t.Fatalf("%s challenge error=%q (present %v); want %q on %s only", c.Scheme, got, has, tt.errParam, tt.on)
				}
			}
			if r.status == 401 {
				var haveBasic bool
				for _, c := range r.challenges {
					if strings.EqualFold(c.Scheme, "Basic") {
						cs, _ := c.Get("charset")
						haveBasic = cs == "UTF-8"
					}
				}
				if tt.path != "/v1/data" && !haveBasic {
					t.Fatalf("401 without a Basic challenge with charset: %+v", r.challenges)
				}
			}
		})
	}
	e.t = t
	r := e.do("GET", "/keyed/a", "X-API-Key", live, "X-Authgate-Subject", "root")
	seen := e.seen.Load()
	if r.status != 200 || seen.Header.Get("X-Authgate-Subject") != "apikey:"+lk.ID || seen.Header.Get("X-API-Key") != "" && false {
		t.Fatalf("identity for key: %q", seen.Header.Get("X-Authgate-Subject"))
	}
}

// TestRevocationWhileServing: a key revoked and a user removed by another
// process (the CLI) are refused on the very next request.
func TestRevocationWhileServing(t *testing.T) {
	e := newEnv(t, api.DetailFull)
	key, k := e.key("live", "read")
	e.user("alice", "correct horse")
	for range 3 { // warm every cache
		if r := e.do("GET", "/keyed/a", "X-API-Key", key); r.status != 200 {
			t.Fatalf("status %d", r.status)
		}
		if r := e.do("GET", "/keyed/a", "Authorization", basicAuth("alice", "correct horse")); r.status != 200 {
			t.Fatalf("status %d", r.status)
		}
	}
	cli, err := sqlite.Open(context.Background(), e.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	cli.RevokeKey(context.Background(), k.ID, time.Now(), "cli")
	cli.RemoveUser(context.Background(), "alice", "cli")
	if r := e.do("GET", "/keyed/a", "X-API-Key", key); r.status != 401 || r.problem.Reason != string(reason.CredentialRevoked) {
		t.Fatalf("revoked key: %d %s", r.status, r.problem.Reason)
	}
	if r := e.do("GET", "/keyed/a", "Authorization", basicAuth("alice", "correct horse")); r.status != 401 || r.problem.Reason != string(reason.BasicInvalid) {
		t.Fatalf("removed user: %d %s", r.status, r.problem.Reason)
	}
}

// from returns an HTTP client whose connections come from local address ip.
func from(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

func TestFailureRateLimit(t *testing.T) {
	e := newEnv(t, api.DetailFull, "failure_limit: {per_credential: 3, per_client: 6, window: 1m}")
	good, _ := e.key("live", "read")
	wrong, _, _ := keyformat.Generate("live")
	a, b := from("127.0.0.1"), from("127.0.0.2")
	for i := range 3 {
		if r := e.doWith(a, "GET", "/keyed/a", "X-API-Key", wrong); r.status != 401 {
			t.Fatalf("attempt %d: %d", i+1, r.status)
		}
	}
	r := e.doWith(a, "GET", "/keyed/a", "X-API-Key", wrong)
	if r.status != 429 || r.problem.Reason != string(reason.TooManyFailures) || r.header.Get("Retry-After") == "" {
		t.Fatalf("4th attempt with one credential: %d %s Retry-After %q", r.status, r.problem.Reason, r.header.Get("Retry-After"))
	}
	if r := e.doWith(a, "GET", "/keyed/a", "X-API-Key", good); r.status != 200 {
		t.Fatalf("good key from the same client, under the client limit: %d", r.status)
	}
	for range 3 { // different wrong keys: the client limit
		k, _, _ := keyformat.Generate("live")
		e.doWith(a, "GET", "/keyed/a", "X-API-Key", k)
	}
	if r := e.doWith(a, "GET", "/keyed/a", "X-API-Key", good); r.status != 429 {
		t.Fatalf("client over its limit: %d", r.status)
	}
	if r := e.doWith(b, "GET", "/keyed/a", "X-API-Key", good); r.status != 200 {
		t.Fatalf("another client with good credentials: %d", r.status)
	}
}

// TestStoreDownIs503: a store that cannot answer is the gateway's fault,
// never the client's: 503 with Retry-After and no challenge.
func TestStoreDownIs503(t *testing.T) {
	e := newEnv(t, api.DetailFull)
	key, _ := e.key("live", "read")
	e.user("alice", "correct horse")
	if r := e.do("GET", "/keyed/a", "X-API-Key", key); r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	e.store.Close()
	for _, h := range [][]string{{"X-API-Key", key}, {"Authorization", basicAuth("alice", "correct horse")}} {
		r := e.do("GET", "/keyed/a", h...)
		if r.status != 503 || r.problem.Reason != string(reason.AuthUnavailable) || r.header.Get("Retry-After") == "" || len(r.challenges) != 0 {
			t.Fatalf("store down: %d %q Retry-After %q challenges %v", r.status, r.problem.Reason, r.header.Get("Retry-After"), r.challenges)
		}
	}
}

// TestEcho: the echo tells what arrived by length and fingerprint only.
func TestEcho(t *testing.T) {
	e := newEnv(t, api.DetailFull, "echo: true")
	key, _ := e.key("live", "read")
	tok := token(t, nil)
	r := e.do("GET", "/v1/data"+api.EchoPath, "Authorization", "Bearer "+tok, "X-API-Key", key,
		api.EchoNonceHeader, "0123456789abcdef0123", "X-Forwarded-For", "10.0.0.1", "Origin", "http://app.test")
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	var echo api.Echo
	if err := json.Unmarshal([]byte(r.body), &echo); err != nil {
		t.Fatal(err)
	}
	if !echo.Authgate || echo.Authorization == nil || echo.Authorization.Scheme != "Bearer" || echo.Authorization.Length != len(tok) ||
		len(echo.APIKeys) != 1 || echo.APIKeys[0].Length != len(key) || echo.Forwarded["X-Forwarded-For"] != "10.0.0.1" || echo.Origin != "http://app.test" {
		t.Fatalf("echo %+v", echo)
	}
	m := hmac.New(sha256.New, []byte("0123456789abcdef0123"))
	m.Write([]byte(tok))
	if echo.Authorization.NonceFingerprint != hex.EncodeToString(m.Sum(nil)[:6]) {
		t.Fatal("nonce fingerprint does not match what was sent")
	}
	for _, s := range []string{tok, key} {
		for i := 0; i+8 <= len(s); i++ {
			if strings.Contains(r.body, s[i:i+8]) {
				t.Fatalf("the echo returned a piece of a credential")
			}
		}
	}
	off := newEnv(t, api.DetailFull)
	if r := off.do("GET", "/v1/data"+api.EchoPath); r.status == 200 {
		t.Fatal("echo answered while switched off")
	}
}

// TestFailureLimitHoldsUnderConcurrency: failures are reserved before any
// hashing, so concurrent guesses cannot all pass one check; and guesses
// at one user's password are limited per account, from any address.
func TestFailureLimitHoldsUnderConcurrency(t *testing.T) {
	e := newEnv(t, api.DetailFull, "failure_limit: {per_credential: 1000, per_client: 1000, per_account: 5, window: 10m}",
		"basic: {cache_ttl: 1m, queue_timeout: 1m}") // a loaded machine hashes slowly: no 503 here
	e.user("alice", "correct horse")
	e.user("bob", "battery staple")
	clients := []*http.Client{from("127.0.0.1"), from("127.0.0.2"), from("127.0.0.3")}
	var wg sync.WaitGroup
	var refused, limited atomic.Int32
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.doWith(clients[i%3], "GET", "/keyed/a", "Authorization", basicAuth("alice", fmt.Sprintf("guess-%d", i)))
			switch r.problem.Reason {
			case string(reason.BasicInvalid):
				refused.Add(1)
			case string(reason.TooManyFailures):
				limited.Add(1)
			}
		}()
	}
	wg.Wait()
	if refused.Load() != 5 || limited.Load() != 25 {
		t.Fatalf("%d guesses judged and %d limited; want 5 and 25", refused.Load(), limited.Load())
	}
	if r := e.do("GET", "/keyed/a", "Authorization", basicAuth("bob", "battery staple")); r.status != 200 {
		t.Fatalf("another account: %d", r.status)
	}
	if r := e.doWith(clients[2], "GET", "/keyed/a", "Authorization", basicAuth("alice", "wrong again")); r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("the locked account from another address: %d", r.status)
	}
}

// TestRememberedCredentialsSpendNothing: a credential its authenticator
// already knows as good — a JWT, an API key, a Basic user — only reads
// the failure budgets: in the fleet's Redis nothing is written for its
// requests. A known refusal (a repeated expired token) still spends a
// failure each time, and a locked-out client stays locked out whatever it
// sends.
func TestRememberedCredentialsSpendNothing(t *testing.T) {
	c, prefix := redistest.Client(t)
	e := newEnvState(t, NewState(limit.NewRedis(c, prefix)), api.DetailFull, "",
		"failure_limit: {per_credential: 3, per_client: 8, window: 1m}")
	key, _ := e.key("live", "read")
	e.user("alice", "correct horse")
	budgets := func() map[string]string {
		ctx := context.Background()
		keys, err := c.Keys(ctx, prefix+"*").Result()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, k := range keys {
			out[k] = c.Get(ctx, k).Val()
		}
		return out
	}
	for _, tc := range []struct{ name, path, header, value string }{
		{"JWT", "/v1/data", "Authorization", "Bearer " + token(t, nil)},
		{"API key", "/keyed/a", "X-API-Key", key},
		{"Basic", "/keyed/a", "Authorization", basicAuth("alice", "correct horse")},
	} {
		if r := e.do("GET", tc.path, tc.header, tc.value); r.status != 200 {
			t.Fatalf("%s, first: %d %s", tc.name, r.status, r.problem.Reason)
		}
		before := budgets()
		for range 10 {
			if r := e.do("GET", tc.path, tc.header, tc.value); r.status != 200 {
				t.Fatalf("%s, again: %d %s", tc.name, r.status, r.problem.Reason)
			}
		}
		if after := budgets(); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("%s: requests with a remembered good credential wrote the failure budgets:\nbefore %v\nafter  %v", tc.name, before, after)
		}
	}
	expired := token(t, map[string]any{"exp": time.Now().Add(-time.Hour).Unix()})
	var got []int
	for range 5 {
		got = append(got, e.do("GET", "/v1/data", "Authorization", "Bearer "+expired).status)
	}
	if fmt.Sprint(got) != "[401 401 401 429 429]" {
		t.Fatalf("a remembered refusal, repeated: %v, want three failures spent and then 429", got)
	}
	for range 5 { // the client's budget of 8: 3 spent above, 5 here
		k, _, _ := keyformat.Generate("live")
		e.do("GET", "/keyed/a", "X-API-Key", k)
	}
	if r := e.do("GET", "/keyed/a", "X-API-Key", key); r.status != 429 || r.problem.Reason != string(reason.TooManyFailures) {
		t.Fatalf("a locked-out client with a remembered good key: %d %s", r.status, r.problem.Reason)
	}
}
