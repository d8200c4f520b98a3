package spelling

import (
	"strings"
	"testing"
)

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"listen", "listen", 0}, {"lisen", "listen", 1}, {"upstream_timout", "upstream_timeout", 1},
		{"authorisation", "authorization", 1}, {"abc", "", 3}, {"kitten", "sitting", 3},
		{strings.Repeat("a", 65), "a", maxLen},
	} {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
