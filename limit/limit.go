// Package limit counts budgets — failed authentications, request quotas —
// with GCRA (the generic cell rate algorithm): a budget of n per window
// allows bursts of n and refills one unit every window/n. Local keeps the
// counts in this process; Redis shares them across instances with one
// atomic script per call.
package limit

import (
	"context"
	"sync"
	"time"

	"github.com/maypok86/otter/v2"
)

// Result is the answer of Take.
type Result struct {
	// OK: a unit was taken.
	OK bool
	// Remaining units after this one.
	Remaining int
	// RetryAfter is how long until a unit is free again (when not OK).
	RetryAfter time.Duration
	// Reset is how long until the whole budget is free again.
	Reset time.Duration
}

// Budget names one budget: N units per Window under Key.
type Budget struct {
	Key    string
	N      int
	Window time.Duration
}

// Limiter takes and gives back units of named budgets.
type Limiter interface {
	// Take takes one unit of key's budget of n per window.
	Take(ctx context.Context, key string, n int, window time.Duration) (Result, error)
	// TakeAll takes one unit of every budget, or of none: when one has
	// none left it answers that one's index and result. In one step (one
	// round trip to Redis).
	TakeAll(ctx context.Context, budgets []Budget) (failed int, r Result, err error)
	// GiveAll gives one unit of every budget back (reservations that were
	// not used: the credential turned out good).
	GiveAll(ctx context.Context, budgets []Budget) error
	// Peek answers what TakeAll would — the index and result of the first
	// budget with no unit left, or -1 — and takes nothing: a read, for
	// answers that cost no work to give (a credential already known).
	Peek(ctx context.Context, budgets []Budget) (failed int, r Result, err error)
}

// firstSpent is Peek's answer from each budget's tat (0 when it has
// none) at now.
func firstSpent(budgets []Budget, tat func(i int) int64, now int64) (int, Result) {
	for i, b := range budgets {
		if _, r := gcra(tat(i), now, b.N, b.Window); !r.OK {
			return i, r
		}
	}
	return -1, Result{OK: true}
}

// gcra applies one Take to tat (the theoretical arrival time, ns; 0 for a
// fresh budget) at now, and returns the new tat and the result.
func gcra(tat, now int64, n int, window time.Duration) (int64, Result) {
	interval := intervalOf(n, window)
	if tat < now {
		tat = now
	}
	limit := now + int64(window) - interval
	if tat > limit {
		return tat, Result{RetryAfter: time.Duration(tat - limit), Reset: time.Duration(tat - now)}
	}
	tat += interval
	return tat, Result{OK: true, Remaining: int((now + int64(window) - tat) / interval), Reset: time.Duration(tat - now)}
}

// Local is a Limiter in this process's memory (at most 100,000 budgets,
// each forgotten a window after its last use).
type Local struct {
	mu  sync.Mutex
	tat *otter.Cache[string, int64]
}

// NewLocal returns an empty Local.
func NewLocal() *Local {
	return &Local{tat: otter.Must(&otter.Options[string, int64]{
		MaximumSize:      100000,
		ExpiryCalculator: otter.ExpiryWriting[string, int64](2 * time.Hour),
	})}
}

// Take implements Limiter.
func (l *Local) Take(_ context.Context, key string, n int, window time.Duration) (Result, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	tat, _ := l.tat.GetIfPresent(key)
	next, r := gcra(tat, time.Now().UnixNano(), n, window)
	if r.OK {
		l.tat.Set(key, next)
	}
	return r, nil
}

// TakeAll implements Limiter.
func (l *Local) TakeAll(_ context.Context, budgets []Budget) (int, Result, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now().UnixNano()
	next := make([]int64, len(budgets))
	for i, b := range budgets {
		tat, _ := l.tat.GetIfPresent(b.Key)
		var r Result
		if next[i], r = gcra(tat, now, b.N, b.Window); !r.OK {
			return i, r, nil
		}
	}
	for i, b := range budgets {
		l.tat.Set(b.Key, next[i])
	}
	return -1, Result{OK: true}, nil
}

// GiveAll implements Limiter.
func (l *Local) GiveAll(_ context.Context, budgets []Budget) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, b := range budgets {
		if tat, ok := l.tat.GetIfPresent(b.Key); ok {
			l.tat.Set(b.Key, tat-intervalOf(b.N, b.Window))
		}
	}
	return nil
}

// Peek implements Limiter. It takes no lock: it writes nothing, and a
// Take racing with it is answered as if it came just after.
func (l *Local) Peek(_ context.Context, budgets []Budget) (int, Result, error) {
	i, r := firstSpent(budgets, func(i int) int64 {
		tat, _ := l.tat.GetIfPresent(budgets[i].Key)
		return tat
	}, time.Now().UnixNano())
	return i, r, nil
}

// intervalOf is how often one unit of n per window comes back (ns, at
// least 1).
func intervalOf(n int, window time.Duration) int64 {
	return max(int64(window)/int64(max(n, 1)), 1)
}
