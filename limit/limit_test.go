package limit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisLimiter connects to the machine's Redis (127.0.0.1:6379, or
// AUTHGATE_TEST_REDIS); without it the test skips — and fails under CI.
func redisLimiter(t testing.TB) *Redis {
	addr := os.Getenv("AUTHGATE_TEST_REDIS")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Redis is not reachable at %s, and CI must provide it: %v", addr, err)
		}
		t.Skipf("Redis is not reachable at %s (install and start redis-server, or set AUTHGATE_TEST_REDIS): %v", addr, err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	return NewRedis(c, "authgate-test:"+hex.EncodeToString(b)+":")
}

func limiters(t *testing.T) map[string]Limiter {
	return map[string]Limiter{"local": NewLocal(), "redis": redisLimiter(t)}
}

// TestBudget: n per window allows n at once, then refuses with the wait
// for the next unit; a unit given back is there again; budgets are apart.
func TestBudget(t *testing.T) {
	ctx := context.Background()
	for name, l := range limiters(t) {
		t.Run(name, func(t *testing.T) {
			for i := range 3 {
				r, err := l.Take(ctx, "k", 3, time.Second)
				if err != nil || !r.OK || r.Remaining != 2-i {
					t.Fatalf("take %d: %+v %v", i+1, r, err)
				}
			}
			r, _ := l.Take(ctx, "k", 3, time.Second)
			if r.OK || r.RetryAfter <= 0 || r.RetryAfter > 334*time.Millisecond {
				t.Fatalf("4th: %+v", r)
			}
			if err := l.GiveAll(ctx, []Budget{{"k", 3, time.Second}}); err != nil {
				t.Fatal(err)
			}
			if r, _ := l.Take(ctx, "k", 3, time.Second); !r.OK {
				t.Fatalf("after a unit was given back: %+v", r)
			}
			if r, _ := l.Take(ctx, "other", 3, time.Second); !r.OK || r.Remaining != 2 {
				t.Fatalf("another budget: %+v", r)
			}
			time.Sleep(350 * time.Millisecond)
			if r, _ := l.Take(ctx, "k", 3, time.Second); !r.OK {
				t.Fatalf("after a refill interval: %+v", r)
			}
		})
	}
}

// TestTakeAll: all budgets or none; the one that had none left is named.
func TestTakeAll(t *testing.T) {
	ctx := context.Background()
	for name, l := range limiters(t) {
		t.Run(name, func(t *testing.T) {
			small, big := Budget{"small", 1, time.Hour}, Budget{"big", 10, time.Hour}
			if i, r, err := l.TakeAll(ctx, []Budget{big, small}); err != nil || i != -1 || !r.OK {
				t.Fatalf("first: %d %+v %v", i, r, err)
			}
			if i, r, _ := l.TakeAll(ctx, []Budget{big, small}); i != 1 || r.OK || r.RetryAfter <= 0 {
				t.Fatalf("second: %d %+v", i, r)
			}
			if r, _ := l.Take(ctx, "big", 10, time.Hour); r.Remaining != 8 {
				t.Fatalf("a refused TakeAll took from big: %+v", r)
			}
			l.GiveAll(ctx, []Budget{small})
			if i, _, _ := l.TakeAll(ctx, []Budget{small}); i != -1 {
				t.Fatal("a unit given back is not there")
			}
		})
	}
}

// TestConcurrentTakesNeverOverspend: 200 concurrent takes of a budget of
// 50 give exactly 50.
func TestConcurrentTakesNeverOverspend(t *testing.T) {
	for name, l := range limiters(t) {
		t.Run(name, func(t *testing.T) {
			var ok atomic.Int32
			var wg sync.WaitGroup
			for range 200 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if r, err := l.Take(context.Background(), "burst", 50, time.Hour); err == nil && r.OK {
						ok.Add(1)
					}
				}()
			}
			wg.Wait()
			if ok.Load() != 50 {
				t.Fatalf("%d takes went through a budget of 50", ok.Load())
			}
		})
	}
}

// BenchmarkTake is the cost of one limit check per request, in this
// process and in Redis.
//
//	go test ./limit -run '^$' -bench Take
func BenchmarkTake(b *testing.B) {
	for _, name := range []string{"local", "redis"} {
		b.Run(name, func(b *testing.B) {
			var l Limiter = NewLocal()
			if name == "redis" {
				l = redisLimiter(b)
			}
			for b.Loop() {
				l.Take(context.Background(), "bench", 1<<30, time.Second)
			}
		})
	}
}
