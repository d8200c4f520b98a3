package gateway

import (
	"io"
	"net/http"
	"testing"
	"time"
)

// BenchmarkProxy measures whole requests over loopback, client included:
// straight to the upstream (the baseline), and through the gateway with a
// JWT checked from the cache, verified in full (RS256, cache off), and
// rejected (expired). The gateway's own cost is the difference from the
// baseline; a rejection must not cost more than an acceptance.
func BenchmarkProxy(b *testing.B) {
	cached := newEnv(b, DetailFull, "failure_limit: {per_credential: 1000000000, per_client: 1000000000, window: 1m}")
	uncached := newEnv(b, DetailFull, "token_cache_size: -1")
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
