package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
)

// BenchmarkProxy measures whole requests over loopback, client included:
// straight to the upstream (the baseline), and through the gateway with a
// JWT checked from the cache, verified in full (RS256, cache off), and
// rejected (expired). The gateway's own cost is the difference from the
// baseline; a rejection must not cost more than an acceptance.
func BenchmarkProxy(b *testing.B) {
	cached := newEnv(b, api.DetailFull, "failure_limit: {per_credential: 1000000000, per_client: 1000000000, window: 1m}")
	uncached := newEnv(b, api.DetailFull, "token_cache_size: -1")
	good := token(b, nil)
	expired := token(b, map[string]any{"exp": time.Now().Add(-time.Hour).Unix()})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	run := func(b *testing.B, url, auth string, want int) {
		req, _ := http.NewRequest("GET", url, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		for b.Loop() {
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	}
	b.Run("direct-upstream", func(b *testing.B) { run(b, cached.upstream.URL+"/v1/data", "", 200) })
	b.Run("gateway-jwt-cached", func(b *testing.B) { run(b, cached.gw.URL+"/v1/data", "Bearer "+good, 200) })
	b.Run("gateway-jwt-verified", func(b *testing.B) { run(b, uncached.gw.URL+"/v1/data", "Bearer "+good, 200) })
	b.Run("gateway-reject-expired", func(b *testing.B) { run(b, uncached.gw.URL+"/v1/data", "Bearer "+expired, 401) })
	b.Run("gateway-reject-expired-repeat", func(b *testing.B) { run(b, cached.gw.URL+"/v1/data", "Bearer "+expired, 401) })
	b.Run("gateway-reject-missing", func(b *testing.B) { run(b, uncached.gw.URL+"/v1/data", "", 401) })
}

// BenchmarkDecision is the gateway's own work on one request, with no
// socket and no proxy: the decision endpoint answering nginx's
// auth_request for a JWT from the cache, an API key and a Basic user
// already verified, and a refused (expired) token. What it allocates is
// authgate's alone.
//
//	go test ./gateway -run '^$' -bench Decision -benchmem
func BenchmarkDecision(b *testing.B) {
	for _, c := range decisionCases(b) {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				c.serve(b)
			}
		})
	}
}

// decisionCase is one request of BenchmarkDecision and
// TestDecisionAllocations.
type decisionCase struct {
	name   string
	allocs int // the most allocations it may cost (TestDecisionAllocations)
	serve  func(t testing.TB)
}

// decisionCases are decision requests for the gateway's own work: a JWT
// from the cache, an API key and a Basic user already verified, and a
// refused (expired) token. serve sends one and checks its status.
func decisionCases(t testing.TB) []decisionCase {
	e := newEnv(t, api.DetailFull, "failure_limit: {per_credential: 1000000000, per_client: 1000000000, per_account: 1000000000, window: 1m}",
		"access_log: {sample_allowed: 0}")
	e.t = t
	key, _ := e.key("live", "read")
	e.user("alice", "correct horse")
	h := e.g.Handler()
	var cases []decisionCase
	for _, c := range []struct {
		name, uri, header, value string
		want, allocs             int
	}{
		{"jwt-cached", "/v1/data", "Authorization", "Bearer " + token(t, nil), 200, 20},
		{"apikey-cached", "/keyed/a", "X-API-Key", key, 200, 22},
		{"basic-cached", "/keyed/a", "Authorization", basicAuth("alice", "correct horse"), 200, 26},
		{"jwt-expired", "/v1/data", "Authorization", "Bearer " + token(t, map[string]any{"exp": time.Now().Add(-time.Hour).Unix()}), 401, 65},
	} {
		req := httptest.NewRequest("GET", "/.authgate/decide", nil)
		req.RemoteAddr = "127.0.0.1:40000"
		cases = append(cases, decisionCase{c.name, c.allocs, func(t testing.TB) {
			req.Header = http.Header{"X-Original-Method": {"GET"}, "X-Original-Uri": {c.uri}, http.CanonicalHeaderKey(c.header): {c.value}}
			w := &discardWriter{header: http.Header{}} // explain's: status and headers only
			h.ServeHTTP(w, req)
			if w.status != c.want {
				t.Fatalf("status %d, want %d", w.status, c.want)
			}
		}})
	}
	return cases
}
