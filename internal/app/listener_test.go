package app

import (
	"math"
	"testing"
)

// TestConnectionCap: the gateway listener's cap leaves room under the
// file limit for what each connection may cost (its upstream connection
// too) and for the reserve the admin listener, the store and key fetches
// use.
func TestConnectionCap(t *testing.T) {
	tests := []struct {
		name                string
		configured, perConn int
		limit               uint64
		want                int
	}{
		{"a 4096 file limit", 8192, 2, 4096, (4096 - 512) / 2},
		{"in-process upstream (the demo): three each", 8192, 3, 4096, (4096 - 512) / 3},
		{"the configured cap fits", 1000, 2, 4096, 1000},
		{"a high limit", 8192, 2, 1 << 20, 8192},
		{"a 1024 file limit", 8192, 2, 1024, 256},
		{"a tiny file limit: half of it is the reserve", 8192, 2, 256, 64},
		{"unknown limit", 8192, 2, 0, 8192},
		{"no limit", 8192, 2, math.MaxUint64, 8192},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := connectionCap(tt.configured, tt.perConn, tt.limit); got != tt.want {
				t.Fatalf("connectionCap(%d, %d, %d) = %d, want %d", tt.configured, tt.perConn, tt.limit, got, tt.want)
			}
		})
	}
}
