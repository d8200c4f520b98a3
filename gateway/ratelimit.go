package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/authgate/authgate/limit"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/reason"
)

// failureLimiter counts failed authentications per client address, per
// credential fingerprint and per account (a Basic user name), each a
// budget of the State's limiter (this instance's, or Redis's across the
// fleet). A verification first reserves one failure in every budget that
// concerns it — before any hashing, so concurrent guesses cannot all pass
// one check — and gives the reservations back when the credential was
// good. Past a limit the request is refused with 429 before any
// verification, so guessing costs the attacker, not the gateway; other
// credentials and other clients are unaffected. When the shared limiter
// fails, this instance's own counts stand in. It lives in State: a reload
// keeps every lockout, and new limits apply at once.
type failureLimiter struct {
	limits atomic.Pointer[failureLimits]
	shared limit.Limiter
	local  *limit.Local
	// onError counts (and logs) a shared limiter that did not answer.
	onError func(error)
}

type failureLimits struct {
	perCredential, perClient, perAccount int
	window                               time.Duration
}

// maxLimiterWindow bounds a failure-limit window.
const maxLimiterWindow = time.Hour

func newFailureLimiter(shared limit.Limiter, local *limit.Local, onError func(error)) *failureLimiter {
	l := &failureLimiter{shared: shared, local: local, onError: onError}
	l.configure(10, 100, 10, time.Minute)
	return l
}

// configure sets the limits (from the configuration).
func (l *failureLimiter) configure(perCredential, perClient, perAccount int, window time.Duration) {
	l.limits.Store(&failureLimits{perCredential: perCredential, perClient: perClient, perAccount: perAccount,
		window: min(window, maxLimiterWindow)})
}

// failureHold is the failures reserved for one verification.
type failureHold struct {
	by      limit.Limiter
	budgets []limit.Budget
}

// reserve takes one failure from the client's, the credential's (fp, when
// one was presented) and the account's (when known) budgets — all in one
// step, or none — or refuses with too_many_failures when one of them has
// none left.
func (l *failureLimiter) reserve(ctx context.Context, client, fp, account string) (*failureHold, error) {
	lim := l.limits.Load()
	h := &failureHold{by: l.shared, budgets: make([]limit.Budget, 0, 3)}
	var whats []string
	for _, k := range []struct {
		key, what string
		n         int
	}{{"c:" + client, "client address", lim.perClient}, {"f:" + fp, "credential", lim.perCredential}, {"a:" + account, "account", lim.perAccount}} {
		if k.key[2:] != "" {
			h.budgets = append(h.budgets, limit.Budget{Key: "fail:" + k.key, N: k.n, Window: lim.window})
			whats = append(whats, k.what)
		}
	}
	failed, r, err := h.by.TakeAll(ctx, h.budgets)
	if err != nil {
		l.onError(err)
		h.by = l.local
		failed, r, _ = h.by.TakeAll(ctx, h.budgets)
	}
	if failed >= 0 {
		return nil, &reason.Error{Code: reason.TooManyFailures, RetryAfter: max(r.RetryAfter, time.Second),
			Detail: fmt.Sprintf("more than %d failed attempts for this %s within %s; wait before retrying", h.budgets[failed].N, whats[failed], lim.window)}
	}
	return h, nil
}

// release gives the reserved failures back: the credential was good, or
// its failure is not the client's to pay for.
func (h *failureHold) release(ctx context.Context) {
	h.by.GiveAll(ctx, h.budgets)
}

// quotaPolicy is what a quota does when the shared limiter fails.
type quotaPolicy struct {
	failClosed bool
}

// takeQuota counts one request of the identity against the route's quota
// and sets RateLimit-Policy and RateLimit (draft-ietf-httpapi-ratelimit-
// headers) on the answer. Over the quota: quota_exceeded.
func (g *Gateway) takeQuota(ctx context.Context, h http.Header, q *policy.Quota, route, identity string) error {
	r, err := g.state.quotas.Take(ctx, "quota:"+route+":"+identity, q.Requests, q.Per)
	if err != nil {
		g.state.limitFailed(err)
		if g.quotaPolicy.failClosed {
			return &reason.Error{Code: reason.AuthUnavailable, RetryAfter: time.Second, Err: err,
				Detail: "the quota of this route cannot be counted now (rate_limits.quota_on_error: fail_closed)"}
		}
		return nil
	}
	window := int(q.Per.Seconds() + 0.999)
	h.Set("RateLimit-Policy", `"quota";q=`+strconv.Itoa(q.Requests)+";w="+strconv.Itoa(window))
	h.Set("RateLimit", `"quota";r=`+strconv.Itoa(r.Remaining)+";t="+strconv.Itoa(int(r.Reset.Seconds()+0.999)))
	if !r.OK {
		return &reason.Error{Code: reason.QuotaExceeded, RetryAfter: max(r.RetryAfter, time.Second),
			Detail: fmt.Sprintf("this credential made its %d requests per %s on route '%s'", q.Requests, q.Per, route)}
	}
	return nil
}
