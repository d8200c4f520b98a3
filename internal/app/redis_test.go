package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/internal/eventually"
	"github.com/authgate/authgate/internal/redistest"
	"github.com/authgate/authgate/limit"
)

// TestRedisSentinelFailover: with rate_limits.redis.sentinel the limiter
// counts on the primary the sentinel names; when that primary dies, the
// sentinel promotes the replica and counting goes on there.
func TestRedisSentinelFailover(t *testing.T) {
	r := redistest.StartReplicated(t)
	cfg, err := config.Parse("s.yaml", []byte(fmt.Sprintf(`
admin: {listen: ""}
rate_limits: {backend: redis, redis: {sentinel: {master: %s, addrs: ["%s"]}}}
routes: [{name: r, path: /, public: true, upstream: "http://127.0.0.1:9"}]
`, r.Master, r.SentinelAddr)), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	client, err := redisClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l := limit.NewRedis(client, "authgate-test:")
	defer l.Close()
	ctx := context.Background()
	if res, err := l.Take(ctx, "k", 100, time.Hour); err != nil || !res.OK || res.Remaining != 99 {
		t.Fatalf("through the sentinel's primary: %+v %v", res, err)
	}
	r.Primary.Kill()
	eventually.True(t, 30*time.Second, "counting again on the promoted replica", func() bool {
		res, err := l.Take(ctx, "k", 100, time.Hour)
		return err == nil && res.OK
	})
}

// TestRedisCluster: with rate_limits.redis.cluster every key carries the
// prefix as one hash tag, so the script that spends several budgets at
// once (different keys) runs on a cluster, which refuses keys of several
// slots in one script (CROSSSLOT).
func TestRedisCluster(t *testing.T) {
	addr := redistest.StartCluster(t)
	cfg, err := config.Parse("c.yaml", []byte(fmt.Sprintf(`
admin: {listen: ""}
rate_limits: {backend: redis, redis: {addr: "%s", cluster: true, prefix: "authgate-test:"}}
routes: [{name: r, path: /, public: true, upstream: "http://127.0.0.1:9"}]
`, addr)), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	client, err := redisClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l := limit.NewRedis(client, cfg.RateLimits.Redis.Prefix)
	defer l.Close()
	budgets := []limit.Budget{{Key: "client:a", N: 2, Window: time.Hour}, {Key: "credential:b", N: 2, Window: time.Hour}, {Key: "account:c", N: 2, Window: time.Hour}}
	for i, want := range []int{-1, -1, 0} {
		if failed, _, err := l.TakeAll(context.Background(), budgets); err != nil || failed != want {
			t.Fatalf("take %d of three budgets at once: failed %d, %v (want %d)", i+1, failed, err, want)
		}
	}
	if _, _, err := l.Peek(context.Background(), budgets); err != nil {
		t.Fatalf("peek: %v", err)
	}
	plain := limit.NewRedis(client, "authgate-test:")
	if _, _, err := plain.TakeAll(context.Background(), budgets); err == nil {
		t.Fatal("without the hash tag the cluster took keys of several slots: the test proves nothing")
	}
}
