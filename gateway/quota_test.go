package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/apikey"
	"github.com/authgate/authgate/limit"
	"github.com/authgate/authgate/reason"
)

const quotaRoute = `
  - {name: metered, path: /metered, schemes: [apikey], quota: {requests: 3, per: 1m}, upstream: "UP"}
`

// TestQuota: each identity gets its requests per window on the route,
// every answer says what is left (RateLimit), the one past it is 429
// quota_exceeded with Retry-After; another identity has its own.
func TestQuota(t *testing.T) {
	e := newEnvWithRoutes(t, quotaRoute)
	k1, _ := e.key("live")
	k2, _ := e.key("live")
	for i := range 3 {
		r := e.do("GET", "/metered", "X-API-Key", k1)
		if r.status != 200 || r.header.Get("RateLimit-Policy") != `"route";q=3;w=60` ||
			!strings.HasPrefix(r.header.Get("RateLimit"), `"route";r=`+string(rune('2'-i))+";t=") || len(r.header.Values("RateLimit")) != 1 {
			t.Fatalf("request %d: %d %q %q", i+1, r.status, r.header.Values("RateLimit-Policy"), r.header.Values("RateLimit"))
		}
	}
	r := e.do("GET", "/metered", "X-API-Key", k1)
	if r.status != 429 || r.problem.Reason != string(reason.QuotaExceeded) || r.header.Get("Retry-After") == "" ||
		!strings.HasPrefix(r.header.Get("RateLimit"), `"route";r=0;t=`) {
		t.Fatalf("past the quota: %d %s %q", r.status, r.problem.Reason, r.header)
	}
	if r := e.do("GET", "/metered", "X-API-Key", k2); r.status != 200 {
		t.Fatalf("another key: %d", r.status)
	}
}

// TestCredentialQuota: a key's own quota holds on every route, beside
// the route's; the tighter one is reported.
func TestCredentialQuota(t *testing.T) {
	e := newEnvWithRoutes(t, quotaRoute)
	_, key, err := apikey.Create(context.Background(), e.store, apikey.Spec{Name: "q", Environment: "live", Scopes: []string{"read"},
		Quota: &credential.Quota{Requests: 2, Per: time.Hour}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	r := e.do("GET", "/metered", "X-API-Key", key)
	if r.status != 200 || r.header.Get("RateLimit-Policy") != `"credential";q=2;w=3600` || !strings.HasPrefix(r.header.Get("RateLimit"), `"credential";r=1;`) {
		t.Fatalf("first: %d %q %q", r.status, r.header.Get("RateLimit-Policy"), r.header.Get("RateLimit"))
	}
	if r := e.do("GET", "/keyed/a", "X-API-Key", key); r.status != 200 {
		t.Fatalf("second, on another route: %d", r.status)
	}
	r = e.do("GET", "/keyed/a", "X-API-Key", key)
	if r.status != 429 || r.problem.Reason != string(reason.QuotaExceeded) || !strings.Contains(r.problem.Detail, "the credential's own quota") {
		t.Fatalf("third: %d %s %s", r.status, r.problem.Reason, r.problem.Detail)
	}
}

// TestQuotaWhenRedisIsDown: fail_open serves (and counts the error);
// fail_closed answers 503, never 401; failure limits fall back to this
// instance's counts.
func TestQuotaWhenRedisIsDown(t *testing.T) {
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := dead.Addr().String()
	dead.Close()
	down := limit.NewRedis(redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 100 * time.Millisecond}), "x:")
	for _, policy := range []string{config.FailOpen, config.FailClosed} {
		t.Run(policy, func(t *testing.T) {
			e := newEnvConfig(t, api.DetailFull, quotaRoute, "rate_limits: {quota_on_error: "+policy+"}",
				"failure_limit: {per_credential: 3, per_client: 1000, window: 1m}")
			e.g.state = NewState(down)
			e.g.log = slog.New(slog.NewJSONHandler(io.Discard, nil))
			e.g.quotaPolicy = quotaPolicy{failClosed: policy == config.FailClosed}
			key, _ := e.key("live")
			r := e.do("GET", "/metered", "X-API-Key", key)
			want := 200
			if policy == config.FailClosed {
				want = 503
			}
			if r.status != want || len(r.challenges) != 0 {
				t.Fatalf("got %d %s, want %d", r.status, r.problem.Reason, want)
			}
			e.g.state.limiter.configure(3, 1000, 10, time.Minute)
			wrong := key[:len(key)-1] + map[bool]string{true: "y", false: "x"}[strings.HasSuffix(key, "x")]
			var got []int
			for range 5 {
				got = append(got, e.do("GET", "/metered", "X-API-Key", wrong).status)
			}
			if fmt.Sprint(got) != "[401 401 401 429 429]" {
				t.Fatalf("failure limit without Redis: %v", got)
			}
		})
	}
}
