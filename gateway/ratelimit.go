package gateway

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
	"golang.org/x/time/rate"

	"github.com/authgate/authgate/reason"
)

// failureLimiter counts failed authentications per credential fingerprint
// and per client address. Past either limit the request is refused with
// 429 before any verification, so guessing costs the attacker, not the
// gateway; other credentials and other clients are unaffected. It lives in
// State: a reload keeps every lockout, and new limits apply to buckets
// made after it.
type failureLimiter struct {
	limits  atomic.Pointer[failureLimits]
	buckets *otter.Cache[string, *rate.Limiter]
}

type failureLimits struct {
	perCredential, perClient int
	window                   time.Duration
}

// maxLimiterWindow bounds how long an idle bucket is kept.
const maxLimiterWindow = time.Hour

func newFailureLimiter() *failureLimiter {
	l := &failureLimiter{buckets: otter.Must(&otter.Options[string, *rate.Limiter]{
		MaximumSize:      100000,
		ExpiryCalculator: otter.ExpiryAccessing[string, *rate.Limiter](2 * maxLimiterWindow),
	})}
	l.configure(10, 100, time.Minute)
	return l
}

// configure sets the limits (from the configuration).
func (l *failureLimiter) configure(perCredential, perClient int, window time.Duration) {
	l.limits.Store(&failureLimits{perCredential: perCredential, perClient: perClient, window: min(window, maxLimiterWindow)})
}

func (l *failureLimiter) bucket(key string, n int, window time.Duration) *rate.Limiter {
	b, _ := l.buckets.ComputeIfAbsent(key, func() (*rate.Limiter, bool) {
		return rate.NewLimiter(rate.Every(window/time.Duration(n)), n), false
	})
	return b
}

// check refuses a client or credential that has used up its failures.
func (l *failureLimiter) check(client, fp string) error {
	lim := l.limits.Load()
	if err := l.over("c:"+client, lim.perClient, lim.window, "client address"); err != nil || fp == "" {
		return err
	}
	return l.over("f:"+fp, lim.perCredential, lim.window, "credential")
}

func (l *failureLimiter) over(key string, n int, window time.Duration, what string) error {
	b, ok := l.buckets.GetIfPresent(key)
	if !ok {
		return nil
	}
	if t := b.Tokens(); t < 1 {
		return &reason.Error{Code: reason.TooManyFailures, RetryAfter: time.Duration((1 - t) / float64(b.Limit()) * float64(time.Second)),
			Detail: fmt.Sprintf("more than %d failed attempts from this %s within %s; wait before retrying", n, what, window)}
	}
	return nil
}

// fail records one failure for client and fp.
func (l *failureLimiter) fail(client, fp string) {
	lim := l.limits.Load()
	l.bucket("c:"+client, lim.perClient, lim.window).Allow()
	if fp != "" {
		l.bucket("f:"+fp, lim.perCredential, lim.window).Allow()
	}
}
