package caller

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxDelay bounds every delay read from a header, so no arithmetic on it
// can overflow.
const maxDelay = 24 * time.Hour

// ParseRetryAfter reads a Retry-After value (RFC 9110 §10.2.3):
// delay-seconds or an HTTP-date, measured from now. A date in the past
// gives 0. It reports false for anything else.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if digits(v) {
		return seconds(v), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	return min(max(d, 0), maxDelay), true
}

// Limit is one member of a RateLimit field
// (draft-ietf-httpapi-ratelimit-headers): the policy's name, the
// requests that remain (r) and the time until the window resets (t).
type Limit struct {
	Policy    string
	Remaining int
	Reset     time.Duration
	// HasRemaining and HasReset say which parameters were present.
	HasRemaining, HasReset bool
}

// ParseRateLimit reads a RateLimit field value, a structured-field list
// such as `"default";r=0;t=30, "burst";r=5;t=1`. Members it cannot read
// are skipped; it never fails.
func ParseRateLimit(v string) []Limit {
	var out []Limit
	for _, member := range splitOutsideQuotes(v, ',') {
		parts := splitOutsideQuotes(member, ';')
		name := strings.TrimSpace(parts[0])
		if name == "" {
			continue
		}
		l := Limit{Policy: strings.Trim(name, `"`)}
		for _, p := range parts[1:] {
			k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
			val = strings.TrimSpace(val)
			if !digits(val) {
				continue
			}
			switch k {
			case "r":
				n, err := strconv.Atoi(val)
				if err != nil {
					n = int(^uint(0) >> 1)
				}
				l.Remaining, l.HasRemaining = n, true
			case "t":
				l.Reset, l.HasReset = seconds(val), true
			}
		}
		out = append(out, l)
		if len(out) == 16 {
			break
		}
	}
	return out
}

// Delay is how long an answer asks the client to wait before it tries
// again: Retry-After; else the longest reset of the RateLimit policies
// that have no requests left; else a RateLimit-Reset or X-RateLimit-Reset
// header (seconds, or a Unix time as GitHub sends). It reports false when
// the answer names no delay.
func Delay(h http.Header, now time.Time) (time.Duration, bool) {
	if d, ok := ParseRetryAfter(h.Get("Retry-After"), now); ok {
		return d, true
	}
	var wait time.Duration
	found := false
	for _, v := range h.Values("RateLimit") {
		for _, l := range ParseRateLimit(v) {
			if l.HasRemaining && l.Remaining == 0 && l.HasReset {
				wait, found = max(wait, l.Reset), true
			}
		}
	}
	if found {
		return wait, true
	}
	for _, name := range []string{"RateLimit-Reset", "X-RateLimit-Reset"} {
		v := strings.TrimSpace(h.Get(name))
		if !digits(v) {
			continue
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 1_000_000_000 && n < 1<<40 {
			return min(max(time.Unix(n, 0).Sub(now), 0), maxDelay), true
		}
		return seconds(v), true
	}
	return 0, false
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// seconds reads a string of digits as seconds, capped at maxDelay.
func seconds(s string) time.Duration {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > int64(maxDelay/time.Second) {
		return maxDelay
	}
	return time.Duration(n) * time.Second
}

func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quoted:
			i++
		case s[i] == '"':
			quoted = !quoted
		case s[i] == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
