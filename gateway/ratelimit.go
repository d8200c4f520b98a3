package gateway

import (
	"fmt"
	"time"

	"github.com/maypok86/otter/v2"
	"golang.org/x/time/rate"

	"github.com/authgate/authgate/reason"
)

// failureLimiter counts failed authentications per credential fingerprint
// and per client address. Past either limit the request is refused with
// 429 before any verification, so guessing costs the attacker, not the
// gateway; other credentials and other clients are unaffected.
type failureLimiter struct {
	perCredential, perClient int
	window                   time.Duration
	buckets                  *otter.Cache[string, *rate.Limiter]
}

func newFailureLimiter(perCredential, perClient int, window time.Duration) *failureLimiter {
	return &failureLimiter{perCredential: perCredential, perClient: perClient, window: window,
		buckets: otter.Must(&otter.Options[string, *rate.Limiter]{
			MaximumSize:      100000,
			ExpiryCalculator: otter.ExpiryAccessing[string, *rate.Limiter](2 * window),
		})}
}

func (l *failureLimiter) bucket(key string, n int) *rate.Limiter {
	b, _ := l.buckets.ComputeIfAbsent(key, func() (*rate.Limiter, bool) {
		return rate.NewLimiter(rate.Every(l.window/time.Duration(n)), n), false
	})
	return b
}

// check refuses a client or credential that has used up its failures.
func (l *failureLimiter) check(client, fp string) error {
	if err := l.over("c:"+client, l.perClient, "client address"); err != nil || fp == "" {
		return err
	}
	return l.over("f:"+fp, l.perCredential, "credential")
}

func (l *failureLimiter) over(key string, n int, what string) error {
	b, ok := l.buckets.GetIfPresent(key)
	if !ok {
		return nil
	}
	if t := b.Tokens(); t < 1 {
		return &reason.Error{Code: reason.TooManyFailures, RetryAfter: time.Duration((1 - t) * float64(l.window) / float64(n)),
			Detail: fmt.Sprintf("more than %d failed attempts from this %s within %s; wait before retrying", n, what, l.window)}
	}
	return nil
}

// fail records one failure for client and fp.
func (l *failureLimiter) fail(client, fp string) {
	l.bucket("c:"+client, l.perClient).Allow()
	if fp != "" {
		l.bucket("f:"+fp, l.perCredential).Allow()
	}
}
