package caller

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDelay(t *testing.T) {
	now := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		header http.Header
		want   time.Duration
		ok     bool
	}{
		{"Retry-After seconds", http.Header{"Retry-After": {"7"}}, 7 * time.Second, true},
		{"Retry-After date", http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}, 90 * time.Second, true},
		{"Retry-After date past", http.Header{"Retry-After": {now.Add(-time.Hour).Format(http.TimeFormat)}}, 0, true},
		{"Retry-After huge is capped", http.Header{"Retry-After": {"999999999999999999999"}}, maxDelay, true},
		{"Retry-After wins over RateLimit", http.Header{"Retry-After": {"3"}, "Ratelimit": {`"default";r=0;t=30`}}, 3 * time.Second, true},
		{"RateLimit exhausted policy", http.Header{"Ratelimit": {`"burst";r=5;t=1, "day";r=0;t=3600`}}, time.Hour, true},
		{"RateLimit not exhausted", http.Header{"Ratelimit": {`"default";r=4;t=30`}}, 0, false},
		{"RateLimit token name and quoted comma", http.Header{"Ratelimit": {`"a,b";r=0;t=12`}}, 12 * time.Second, true},
		{"RateLimit-Reset seconds", http.Header{"Ratelimit-Reset": {"15"}}, 15 * time.Second, true},
		{"X-RateLimit-Reset Unix time (GitHub)", http.Header{"X-Ratelimit-Reset": {"1796587260"}}, time.Unix(1796587260, 0).Sub(now), true},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0, false},
		{"negative", http.Header{"Retry-After": {"-5"}}, 0, false},
		{"none", http.Header{}, 0, false},
	}
	for _, tc := range cases {
		got, ok := Delay(tc.header, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: got %s %v, want %s %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseRateLimit(t *testing.T) {
	got := ParseRateLimit(`"default";r=50;t=30, burst;r=0;t=1;extra="x;y", ;r=1`)
	if len(got) != 2 || got[0] != (Limit{Policy: "default", Remaining: 50, Reset: 30 * time.Second, HasRemaining: true, HasReset: true}) ||
		got[1].Policy != "burst" || got[1].Remaining != 0 || got[1].Reset != time.Second {
		t.Fatalf("%+v", got)
	}
}

// FuzzDelay: no header value makes the parsers panic, wait a negative
// time or longer than a day.
func FuzzDelay(f *testing.F) {
	for _, s := range []string{"7", "Sun, 06 Nov 1994 08:49:37 GMT", `"default";r=0;t=30`, `a;r=0;t=99999999999999999999, b;r=0;t=1`,
		`"x\"y";r=0;t=5`, "1796587260", "", ";;;,,,", `"unterminated;r=0;t=3`} {
		f.Add(s, s, s)
	}
	now := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, retryAfter, rateLimit, reset string) {
		h := http.Header{}
		for name, v := range map[string]string{"Retry-After": retryAfter, "RateLimit": rateLimit, "X-RateLimit-Reset": reset} {
			if v != "" {
				h.Set(name, v)
			}
		}
		d, ok := Delay(h, now)
		if d < 0 || d > maxDelay || !ok && d != 0 {
			t.Fatalf("Delay = %s %v", d, ok)
		}
		for _, l := range ParseRateLimit(rateLimit) {
			if l.Remaining < 0 || l.Reset < 0 || l.Reset > maxDelay || strings.ContainsAny(l.Policy, ",") && !strings.Contains(rateLimit, `"`) {
				t.Fatalf("%+v", l)
			}
		}
	})
}
