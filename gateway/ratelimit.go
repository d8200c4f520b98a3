package gateway

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
	"golang.org/x/time/rate"

	"github.com/authgate/authgate/reason"
)

// failureLimiter counts failed authentications per client address, per
// credential fingerprint and per account (a Basic user name), each in a
// token bucket. A verification first reserves one failure in every bucket
// that concerns it — before any hashing, so concurrent guesses cannot all
// pass one check — and gives the reservations back when the credential
// was good. Past a limit the request is refused with 429 before any
// verification, so guessing costs the attacker, not the gateway; other
// credentials and other clients are unaffected. It lives in State: a
// reload keeps every lockout, and new limits apply to buckets made after
// it.
type failureLimiter struct {
	limits  atomic.Pointer[failureLimits]
	buckets *otter.Cache[string, *rate.Limiter]
}

type failureLimits struct {
	perCredential, perClient, perAccount int
	window                               time.Duration
}

// maxLimiterWindow bounds how long an idle bucket is kept.
const maxLimiterWindow = time.Hour

func newFailureLimiter() *failureLimiter {
	l := &failureLimiter{buckets: otter.Must(&otter.Options[string, *rate.Limiter]{
		MaximumSize:      100000,
		ExpiryCalculator: otter.ExpiryAccessing[string, *rate.Limiter](2 * maxLimiterWindow),
	})}
	l.configure(10, 100, 10, time.Minute)
	return l
}

// configure sets the limits (from the configuration).
func (l *failureLimiter) configure(perCredential, perClient, perAccount int, window time.Duration) {
	l.limits.Store(&failureLimits{perCredential: perCredential, perClient: perClient, perAccount: perAccount,
		window: min(window, maxLimiterWindow)})
}

func (l *failureLimiter) bucket(key string, n int, window time.Duration) *rate.Limiter {
	b, _ := l.buckets.ComputeIfAbsent(key, func() (*rate.Limiter, bool) {
		return rate.NewLimiter(rate.Every(window/time.Duration(n)), n), false
	})
	return b
}

// failureHold is the failures reserved for one verification.
type failureHold struct {
	at   time.Time
	held []*rate.Reservation
}

// reserve takes one failure from the client's, the credential's (fp, when
// one was presented) and the account's (when known) buckets, or refuses
// with too_many_failures when one of them has none left.
func (l *failureLimiter) reserve(client, fp, account string) (*failureHold, error) {
	lim := l.limits.Load()
	h := &failureHold{at: time.Now()}
	for _, k := range []struct {
		key, what string
		n         int
	}{{"c:" + client, "client address", lim.perClient}, {"f:" + fp, "credential", lim.perCredential}, {"a:" + account, "account", lim.perAccount}} {
		if k.key[2:] == "" {
			continue
		}
		r := l.bucket(k.key, k.n, lim.window).ReserveN(h.at, 1)
		if wait := r.DelayFrom(h.at); !r.OK() || wait > 0 {
			r.CancelAt(h.at)
			h.release()
			return nil, &reason.Error{Code: reason.TooManyFailures, RetryAfter: max(wait, time.Second),
				Detail: fmt.Sprintf("more than %d failed attempts for this %s within %s; wait before retrying", k.n, k.what, lim.window)}
		}
		h.held = append(h.held, r)
	}
	return h, nil
}

// release gives the reserved failures back: the credential was good, or
// its failure is not the client's to pay for.
func (h *failureHold) release() {
	for _, r := range h.held {
		r.CancelAt(h.at)
	}
	h.held = nil
}
