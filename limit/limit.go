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

// Limiter takes and gives back units of named budgets.
type Limiter interface {
	// Take takes one unit of key's budget of n per window.
	Take(ctx context.Context, key string, n int, window time.Duration) (Result, error)
	// Give gives one unit of key's budget back (a reservation that was not
	// used: the credential turned out good).
	Give(ctx context.Context, key string, n int, window time.Duration) error
}

// gcra applies one Take to tat (the theoretical arrival time, ns; 0 for a
// fresh budget) at now, and returns the new tat and the result.
func gcra(tat, now int64, n int, window time.Duration) (int64, Result) {
	interval := int64(window) / int64(n)
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

// Give implements Limiter.
func (l *Local) Give(_ context.Context, key string, n int, window time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if tat, ok := l.tat.GetIfPresent(key); ok {
		l.tat.Set(key, tat-int64(window)/int64(n))
	}
	return nil
}
