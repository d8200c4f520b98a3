package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/limit"
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
func (l *failureLimiter) reserve(ctx context.Context, buf []limit.Budget, client, fp, account string) (*failureHold, error) {
	lim, budgets := l.budgets(buf, client, fp, account)
	h := &failureHold{by: l.shared, budgets: budgets}
	failed, r, err := h.by.TakeAll(ctx, budgets)
	if err != nil {
		l.onError(err)
		h.by = l.local
		failed, r, _ = h.by.TakeAll(ctx, budgets)
	}
	if failed >= 0 {
		return nil, lim.refusal(budgets[failed], r)
	}
	return h, nil
}

// check refuses with too_many_failures when one of the budgets reserve
// would take from has none left, and takes nothing: for an answer that
// costs no work (a credential already known), a read is enough.
func (l *failureLimiter) check(ctx context.Context, buf []limit.Budget, client, fp, account string) error {
	lim, budgets := l.budgets(buf, client, fp, account)
	failed, r, err := l.shared.Peek(ctx, budgets)
	if err != nil {
		l.onError(err)
		failed, r, _ = l.local.Peek(ctx, budgets)
	}
	if failed >= 0 {
		return lim.refusal(budgets[failed], r)
	}
	return nil
}

// budgetKinds are the failure budgets: the key prefix of each and what it
// counts.
var budgetKinds = [...]struct{ prefix, what string }{{"fail:c:", "client address"}, {"fail:f:", "credential"}, {"fail:a:", "account"}}

// budgets are the failure budgets of one request, in buf (the
// exchange's: no allocation of their own).
func (l *failureLimiter) budgets(buf []limit.Budget, client, fp, account string) (*failureLimits, []limit.Budget) {
	lim := l.limits.Load()
	budgets := buf[:0]
	for i, id := range [...]string{client, fp, account} {
		if id != "" {
			budgets = append(budgets, limit.Budget{Key: budgetKinds[i].prefix + id, N: [...]int{lim.perClient, lim.perCredential, lim.perAccount}[i], Window: lim.window})
		}
	}
	return lim, budgets
}

// refusal is the too_many_failures answer for budget b.
func (lim *failureLimits) refusal(b limit.Budget, r limit.Result) error {
	what := ""
	for _, k := range budgetKinds {
		if strings.HasPrefix(b.Key, k.prefix) {
			what = k.what
		}
	}
	return &reason.Error{Code: reason.TooManyFailures, RetryAfter: max(r.RetryAfter, time.Second),
		Detail: fmt.Sprintf("more than %d failed attempts for this %s within %s; wait before retrying", b.N, what, lim.window)}
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

// takeQuotas counts one request against the route's quota (per identity)
// and the credential's own (an API key's, on every route), and sets
// RateLimit-Policy and RateLimit (draft-ietf-httpapi-ratelimit-headers)
// on the answer for the tighter of them. Over either: quota_exceeded.
func (g *Gateway) takeQuotas(ctx context.Context, h http.Header, ex *exchange) error {
	if ex.route.Quota == nil && ex.identity.Quota == nil {
		return nil // the common case costs nothing
	}
	identity := ex.identity.Issuer + "|" + ex.identity.Subject
	type counted struct {
		name string
		q    *credential.Quota
		key  string
	}
	var quotas []counted
	if q := ex.route.Quota; q != nil {
		quotas = append(quotas, counted{"route", q, "quota:route:" + ex.route.Name + ":" + identity})
	}
	if q := ex.identity.Quota; q != nil {
		quotas = append(quotas, counted{"credential", q, "quota:credential:" + identity})
	}
	tightest := -1
	var results []limit.Result
	for i, c := range quotas {
		r, err := g.state.quotas.Take(ctx, c.key, c.q.Requests, c.q.Per)
		if err != nil {
			g.state.limitFailed(err)
			if g.quotaPolicy.failClosed {
				return &reason.Error{Code: reason.AuthUnavailable, RetryAfter: time.Second, Err: err,
					Detail: "a quota cannot be counted now (rate_limits.quota_on_error: fail_closed)"}
			}
			r = limit.Result{OK: true, Remaining: c.q.Requests}
		}
		results = append(results, r)
		if tightest < 0 || !r.OK || results[tightest].OK && r.Remaining < results[tightest].Remaining {
			tightest = i
		}
		if !r.OK {
			break
		}
	}
	c, r := quotas[tightest], results[tightest]
	h.Set("RateLimit-Policy", `"`+c.name+`";q=`+strconv.Itoa(c.q.Requests)+";w="+strconv.Itoa(int(c.q.Per.Seconds()+0.999)))
	h.Set("RateLimit", `"`+c.name+`";r=`+strconv.Itoa(r.Remaining)+";t="+strconv.Itoa(int(r.Reset.Seconds()+0.999)))
	if !r.OK {
		what := "route '" + ex.route.Name + "'"
		if c.name == "credential" {
			what = "any route (the credential's own quota)"
		}
		return &reason.Error{Code: reason.QuotaExceeded, RetryAfter: max(r.RetryAfter, time.Second),
			Detail: fmt.Sprintf("this credential made its %d requests per %s on %s", c.q.Requests, c.q.Per, what)}
	}
	return nil
}
