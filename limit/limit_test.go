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
func redisLimiter(t *testing.T) *Redis {
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
			if err := l.Give(ctx, "k", 3, time.Second); err != nil {
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
