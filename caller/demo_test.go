package caller_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/authgate/authgate/caller"
	"github.com/authgate/authgate/internal/gatewaytest"
	"github.com/authgate/authgate/reason"
)

// counting counts the requests that reach the network.
type counting struct {
	n    atomic.Int32
	base http.RoundTripper
}

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

// noLeak fails when any run of 8 bytes of a credential appears in texts.
func noLeak(t *testing.T, creds []string, texts ...string) {
	t.Helper()
	for _, c := range creds {
		for i := 0; i+8 <= len(c); i++ {
			for _, s := range texts {
				if strings.Contains(s, c[i:i+8]) {
					t.Errorf("credential bytes %d..%d appear in %q", i, i+8, s)
					return
				}
			}
		}
	}
}

// TestDemoExpiredRefreshedOnce: a TokenSource hands out the demo's
// expired token, then a valid one; the demo refuses the first as
// token_expired, the Transport asks the source once more and the retry
// succeeds.
func TestDemoExpiredRefreshedOnce(t *testing.T) {
	d := gatewaytest.Demo(t, false)
	var asked atomic.Int32
	src := caller.TokenFunc(func() (*oauth2.Token, error) {
		if asked.Add(1) == 1 {
			return &oauth2.Token{AccessToken: d.File.Tokens["expired"], TokenType: "Bearer"}, nil
		}
		return &oauth2.Token{AccessToken: d.File.Tokens["valid"], TokenType: "Bearer"}, nil
	})
	var logs bytes.Buffer
	net := &counting{base: http.DefaultTransport}
	c := caller.New(caller.Config{Credential: caller.TokenSource(src), Base: net,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}).Client()
	resp, err := c.Post(d.File.URL+"/v1/data", "application/json", strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatalf("%+v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if asked.Load() != 2 || net.n.Load() != 2 {
		t.Fatalf("source asked %d times, %d requests sent; want 2 and 2", asked.Load(), net.n.Load())
	}
	t.Logf("status %d after %d requests; log: %s", resp.StatusCode, net.n.Load(), strings.TrimSpace(logs.String()))
	if !strings.Contains(logs.String(), "reason=token_expired") {
		t.Errorf("log lacks the reason: %s", logs.String())
	}
	noLeak(t, []string{d.File.Tokens["expired"], d.File.Tokens["valid"]}, logs.String())
}

// TestDemoRevokedKey: a revoked API key is never retried; the error
// carries credential_revoked and the Request-Id.
func TestDemoRevokedKey(t *testing.T) {
	d := gatewaytest.Demo(t, false)
	key := d.File.APIKeys["revoked"]
	var logs bytes.Buffer
	net := &counting{base: http.DefaultTransport}
	c := caller.New(caller.Config{Credential: caller.APIKey("X-API-Key", key), Base: net,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}).Client()
	_, err := c.Get(d.File.URL + "/v1/data")
	var ce *caller.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %T %v, want a *caller.Error", err, err)
	}
	if ce.Reason != string(reason.CredentialRevoked) || ce.RequestID == "" || ce.Status != 401 || net.n.Load() != 1 {
		t.Fatalf("reason %q request id %q status %d, %d requests; want credential_revoked, an id, 401, 1", ce.Reason, ce.RequestID, ce.Status, net.n.Load())
	}
	if !errors.Is(err, caller.ErrRevoked) || errors.Is(err, caller.ErrExpired) {
		t.Errorf("errors.Is: revoked %v expired %v", errors.Is(err, caller.ErrRevoked), errors.Is(err, caller.ErrExpired))
	}
	t.Logf("err: %v", err)
	t.Logf("%%+v: %+v", ce)
	noLeak(t, []string{key}, err.Error(), fmt.Sprintf("%+v", ce), fmt.Sprintf("%#v", ce), logs.String())
}

// TestDemoWrongEnvironment: the demo refuses a test key on its live
// gateway; the offline check reads the key's prefix and says the same.
func TestDemoWrongEnvironment(t *testing.T) {
	d := gatewaytest.Demo(t, false)
	key := d.File.APIKeys["test"]
	c := caller.New(caller.Config{Credential: caller.APIKey("", key), ExpectEnv: "live"}).Client()
	_, err := c.Get(d.File.URL + "/v1/data")
	var ce *caller.Error
	if !errors.As(err, &ce) || ce.Reason != string(reason.CredentialWrongEnvironment) {
		t.Fatalf("%v", err)
	}
	if len(ce.Diagnosis) == 0 || ce.Diagnosis[0].Code != "wrong_environment" {
		t.Fatalf("diagnosis %+v", ce.Diagnosis)
	}
	t.Logf("err: %v", err)
	noLeak(t, []string{key}, fmt.Sprintf("%+v", ce))
}

// TestRetryAfter429: a server answers 429 with Retry-After: 1 once; the
// Transport waits about a second, sends the body again and succeeds.
func TestRetryAfter429(t *testing.T) {
	var n atomic.Int32
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.Header().Set("RateLimit", `"default";r=0;t=1`)
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	c := caller.New(caller.Config{Credential: caller.Bearer("opaque-token-0123456789")}).Client()
	start := time.Now()
	resp, err := c.Post(srv.URL, "text/plain", strings.NewReader("payload"))
	if err != nil {
		t.Fatalf("%+v", err)
	}
	resp.Body.Close()
	waited := time.Since(start)
	// At least the second the server asked for (a wait cannot be shorter
	// than its timer); how much longer is the machine's, not the Transport's.
	if resp.StatusCode != 200 || n.Load() != 2 || waited < time.Second {
		t.Fatalf("status %d after %d requests and %s", resp.StatusCode, n.Load(), waited)
	}
	if bodies[1] != "payload" {
		t.Fatalf("the retry sent %q", bodies[1])
	}
	t.Logf("200 after %d requests, waited %s", n.Load(), waited.Round(time.Millisecond))
}

// TestRetryDecisions: what is retried and what is not.
func TestRetryDecisions(t *testing.T) {
	always := func(status int, h map[string]string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for k, v := range h {
				w.Header().Set(k, v)
			}
			w.WriteHeader(status)
		}))
	}
	t.Run("429 beyond MaxWait is not waited for", func(t *testing.T) {
		srv := always(429, map[string]string{"Retry-After": "120"})
		defer srv.Close()
		net := &counting{base: http.DefaultTransport}
		// Had the Transport waited the 120 s, this context would have
		// ended first: that it has not is the proof, with no timing.
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
		_, err := caller.New(caller.Config{Base: net}).Client().Do(req)
		var ce *caller.Error
		if !errors.As(err, &ce) || !errors.Is(err, caller.ErrRateLimited) || ce.RetryAfter != 120*time.Second || net.n.Load() != 1 || ctx.Err() != nil {
			t.Fatalf("%+v (%d requests, context: %v)", err, net.n.Load(), ctx.Err())
		}
	})
	t.Run("503 retried MaxRetries times, then ErrUnavailable", func(t *testing.T) {
		srv := always(503, map[string]string{"Retry-After": "0"})
		defer srv.Close()
		net := &counting{base: http.DefaultTransport}
		_, err := caller.New(caller.Config{Base: net, MaxRetries: 2}).Client().Get(srv.URL)
		if !errors.Is(err, caller.ErrUnavailable) || net.n.Load() != 3 {
			t.Fatalf("%v (%d requests)", err, net.n.Load())
		}
	})
	t.Run("a body that cannot be replayed is not retried", func(t *testing.T) {
		srv := always(429, map[string]string{"Retry-After": "0"})
		defer srv.Close()
		net := &counting{base: http.DefaultTransport}
		req, _ := http.NewRequest("POST", srv.URL, io.NopCloser(strings.NewReader("once")))
		_, err := caller.New(caller.Config{Base: net}).Client().Do(req)
		var ce *caller.Error
		if !errors.Is(err, caller.ErrRateLimited) || net.n.Load() != 1 || !errors.As(err, &ce) || !strings.Contains(ce.NotRetried, "GetBody") {
			t.Fatalf("%+v (%d requests)", err, net.n.Load())
		}
	})
	t.Run("a cancelled context ends the wait", func(t *testing.T) {
		// A wait of an hour that only the context can end: a Transport
		// that slept through it would hold the test to its timeout.
		srv := always(429, map[string]string{"Retry-After": "3600"})
		defer srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
		net := &counting{base: http.DefaultTransport}
		_, err := caller.New(caller.Config{Base: net, MaxWait: 2 * time.Hour}).Client().Do(req)
		if !errors.Is(err, caller.ErrRateLimited) || !errors.Is(err, context.DeadlineExceeded) || net.n.Load() != 1 {
			t.Fatalf("%v (%d requests)", err, net.n.Load())
		}
	})
	t.Run("a caching TokenSource is named, not retried twice", func(t *testing.T) {
		srv := always(401, map[string]string{"WWW-Authenticate": `Bearer realm="x", error="invalid_token"`})
		defer srv.Close()
		net := &counting{base: http.DefaultTransport}
		src := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "same-token-every-time"})
		_, err := caller.New(caller.Config{Credential: caller.TokenSource(src), Base: net}).Client().Get(srv.URL)
		var ce *caller.Error
		if !errors.As(err, &ce) || net.n.Load() != 1 || len(ce.Diagnosis) == 0 || ce.Diagnosis[0].Code != "token_source_caches" {
			t.Fatalf("%+v (%d requests)", err, net.n.Load())
		}
		t.Logf("err: %v", err)
	})
}
