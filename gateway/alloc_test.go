//go:build !race

// The race detector changes allocation counts: this file is built
// without -race only (scripts/test runs it so, after the race run).

package gateway

import "testing"

// TestDecisionAllocations: the gateway's own work on a decision request
// (BenchmarkDecision's requests, the request's header map included)
// costs at most the allocations each case names, counted exactly: what
// issue #31's rounds took out does not creep back. The time is
// BenchmarkDecision's.
func TestDecisionAllocations(t *testing.T) {
	for _, c := range decisionCases(t) {
		t.Run(c.name, func(t *testing.T) {
			c.serve(t) // caches warm
			if got := testing.AllocsPerRun(200, func() { c.serve(t) }); got > float64(c.allocs) {
				t.Fatalf("%.0f allocations per request; at most %d", got, c.allocs)
			}
		})
	}
}
