package limit

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/eventually"
	"github.com/authgate/authgate/internal/redistest"
)

// redisLimiter is a Limiter in the machine's Redis, under a prefix of the
// test's own (see redistest).
func redisLimiter(t testing.TB) *Redis {
	c, prefix := redistest.Client(t)
	return NewRedis(c, prefix)
}

// tlsRedisLimiter is a Limiter in a redis-server of the test's own,
// reached over TLS (with a client certificate) as an ACL user allowed only
// the commands authgate needs (see redistest.StartTLS).
func tlsRedisLimiter(t testing.TB) *Redis {
	s := redistest.StartTLS(t)
	return NewRedis(s.Client(t), s.Prefix)
}

func limiters(t *testing.T) map[string]Limiter {
	return map[string]Limiter{"local": NewLocal(), "redis": redisLimiter(t), "redis-tls-acl": tlsRedisLimiter(t)}
}

// TestBudget: n per window allows n at once, then refuses with the wait
// for the next unit; a unit given back is there again; budgets are apart;
// a spent budget refills. The limiters read the wall clock: the budget
// that must stay spent has a window of an hour (no refill between takes
// on a loaded machine), the one that must refill a window of 300 ms,
// awaited by polling.
func TestBudget(t *testing.T) {
	ctx := context.Background()
	for name, l := range limiters(t) {
		t.Run(name, func(t *testing.T) {
			for i := range 3 {
				r, err := l.Take(ctx, "k", 3, time.Hour)
				if err != nil || !r.OK || r.Remaining != 2-i {
					t.Fatalf("take %d: %+v %v", i+1, r, err)
				}
			}
			r, _ := l.Take(ctx, "k", 3, time.Hour)
			if r.OK || r.RetryAfter <= 0 || r.RetryAfter > 20*time.Minute {
				t.Fatalf("4th: %+v, want refused with a wait of at most a third of the hour", r)
			}
			if err := l.GiveAll(ctx, []Budget{{"k", 3, time.Hour}}); err != nil {
				t.Fatal(err)
			}
			if r, _ := l.Take(ctx, "k", 3, time.Hour); !r.OK {
				t.Fatalf("after a unit was given back: %+v", r)
			}
			if r, _ := l.Take(ctx, "k", 3, time.Hour); r.OK {
				t.Fatalf("a unit given back was given twice: %+v", r)
			}
			if r, _ := l.Take(ctx, "other", 3, time.Hour); !r.OK || r.Remaining != 2 {
				t.Fatalf("another budget: %+v", r)
			}
			for range 3 {
				l.Take(ctx, "refills", 3, 300*time.Millisecond)
			}
			eventually.True(t, 10*time.Second, "a unit of a spent budget of 3 per 300 ms", func() bool {
				r, err := l.Take(ctx, "refills", 3, 300*time.Millisecond)
				if err != nil {
					t.Fatal(err)
				}
				return r.OK
			})
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

// TestPeek: Peek answers what TakeAll would — the budget with nothing
// left, and the wait — and takes nothing: a budget peeked at any number
// of times still has every unit, and keeps no entry for a fresh key.
func TestPeek(t *testing.T) {
	ctx := context.Background()
	for name, l := range limiters(t) {
		t.Run(name, func(t *testing.T) {
			small, big := Budget{"p-small", 2, time.Hour}, Budget{"p-big", 10, time.Hour}
			for range 5 {
				if i, r, err := l.Peek(ctx, []Budget{big, small}); err != nil || i != -1 || !r.OK {
					t.Fatalf("peek of fresh budgets: %d %+v %v", i, r, err)
				}
			}
			for range 2 {
				if i, _, _ := l.TakeAll(ctx, []Budget{big, small}); i != -1 {
					t.Fatal("peeking took units")
				}
			}
			i, r, err := l.Peek(ctx, []Budget{big, small})
			if err != nil || i != 1 || r.OK || r.RetryAfter <= 0 || r.RetryAfter > 30*time.Minute {
				t.Fatalf("peek of a spent budget: %d %+v %v", i, r, err)
			}
			if _, want, _ := l.TakeAll(ctx, []Budget{big, small}); want.RetryAfter < r.RetryAfter-time.Second || want.RetryAfter > r.RetryAfter {
				t.Fatalf("peek said wait %s, TakeAll %s", r.RetryAfter, want.RetryAfter)
			}
			if r, _ := l.Take(ctx, "p-big", 10, time.Hour); r.Remaining != 7 {
				t.Fatalf("big after two takes and the peeks: %+v", r)
			}
		})
	}
}

// TestPeekWritesNothing: peeking at fresh budgets leaves no key in Redis.
func TestPeekWritesNothing(t *testing.T) {
	l := redisLimiter(t)
	ctx := context.Background()
	for range 3 {
		if i, _, err := l.Peek(ctx, []Budget{{"fresh-a", 5, time.Minute}, {"fresh-b", 5, time.Minute}}); err != nil || i != -1 {
			t.Fatalf("peek: %d %v", i, err)
		}
	}
	keys, err := l.client.Keys(ctx, l.prefix+"*").Result()
	if err != nil || len(keys) != 0 {
		t.Fatalf("keys after peeks: %v %v", keys, err)
	}
	l.Take(ctx, "fresh-a", 5, time.Minute)
	if keys, _ := l.client.Keys(ctx, l.prefix+"*").Result(); len(keys) != 1 {
		t.Fatalf("a take wrote %d keys, want 1 (the check of the test itself)", len(keys))
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

// BenchmarkGoodCredential is what the failure limits cost a request with
// good credentials: reserving its three budgets and giving them back (a
// credential judged in full) against peeking at them (one already known),
// in this process and in Redis.
//
//	go test ./limit -run '^$' -bench GoodCredential
func BenchmarkGoodCredential(b *testing.B) {
	budgets := []Budget{{"fail:c:127.0.0.1", 100, time.Minute}, {"fail:f:0123456789ab", 10, time.Minute}, {"fail:a:basic:alice", 10, time.Minute}}
	ctx := context.Background()
	for _, name := range []string{"local", "redis"} {
		var l Limiter = NewLocal()
		if name == "redis" {
			l = redisLimiter(b)
		}
		b.Run(name+"/reserve-and-give-back", func(b *testing.B) {
			for b.Loop() {
				l.TakeAll(ctx, budgets)
				l.GiveAll(ctx, budgets)
			}
		})
		b.Run(name+"/peek", func(b *testing.B) {
			for b.Loop() {
				l.Peek(ctx, budgets)
			}
		})
	}
}
