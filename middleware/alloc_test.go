//go:build !race

// The race detector makes sync.Pool drop items at random, so allocation
// counts under it are not the middleware's: this file is built without
// -race only (scripts/test runs it so, after the race run).

package middleware_test

import (
	"net/http"
	"testing"
)

// TestCachedTokenAllocations: an RS256 JWT answered from the
// verified-token cache costs at most 10 allocations more than the bare
// handler (issue 26). Allocations are counted exactly; the time is
// BenchmarkMiddleware's.
func TestCachedTokenAllocations(t *testing.T) {
	bare, protected, auth := cachedTokenService(t)
	allocs := func(h http.Handler) float64 {
		req := benchRequest()
		return testing.AllocsPerRun(1000, func() { serveOK(t, h, req, auth) })
	}
	base, guarded := allocs(bare), allocs(protected)
	if guarded-base > 10 {
		t.Fatalf("the cached RS256 path costs %.0f allocations over the bare handler's %.0f; at most 10", guarded-base, base)
	}
}
