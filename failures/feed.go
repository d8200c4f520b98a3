// Package failures keeps the latest refused requests in a ring and fans
// them out to live subscribers: the admin API's failure list, summary and
// server-sent-event stream read it. It outlives configuration reloads.
package failures

import (
	"sync"
	"time"

	"github.com/authgate/authgate/api"
)

// Bounds of one entry: every field that can come from outside is cut.
const (
	maxDetail = 512
	maxField  = 256
)

// Feed is a bounded ring of failures with live subscribers.
type Feed struct {
	mu   sync.Mutex
	ring []api.Failure
	next int
	full bool
	subs map[chan api.Failure]struct{}
}

// New returns a Feed keeping the latest size failures.
func New(size int) *Feed {
	return &Feed{ring: make([]api.Failure, size), subs: map[chan api.Failure]struct{}{}}
}

// Add records f (its fields cut to bounds) and hands it to every
// subscriber that keeps up.
func (f *Feed) Add(rec api.Failure) {
	rec.Detail = cut(rec.Detail, maxDetail)
	rec.Path, rec.Method, rec.Route = cut(rec.Path, maxField), cut(rec.Method, maxField), cut(rec.Route, maxField)
	rec.RequestID, rec.Client = cut(rec.RequestID, maxField), cut(rec.Client, maxField)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ring[f.next] = rec
	f.next = (f.next + 1) % len(f.ring)
	f.full = f.full || f.next == 0
	for ch := range f.subs {
		select {
		case ch <- rec:
		default: // a slow subscriber misses events rather than slowing requests
		}
	}
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// List returns the failures kept, newest first, that pass keep.
func (f *Feed) List(keep func(api.Failure) bool) []api.Failure {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.next
	if f.full {
		n = len(f.ring)
	}
	out := []api.Failure{}
	for i := 1; i <= n; i++ {
		rec := f.ring[(f.next-i+len(f.ring))%len(f.ring)]
		if keep(rec) {
			out = append(out, rec)
		}
	}
	return out
}

// Subscribe returns a channel of new failures and a function that ends
// the subscription.
func (f *Feed) Subscribe() (<-chan api.Failure, func()) {
	ch := make(chan api.Failure, 64)
	f.mu.Lock()
	f.subs[ch] = struct{}{}
	f.mu.Unlock()
	return ch, func() {
		f.mu.Lock()
		delete(f.subs, ch)
		f.mu.Unlock()
	}
}

// Summary counts the failures since minutes ago by reason.
func (f *Feed) Summary(minutes int, now time.Time) api.FailureSummary {
	since := now.Add(-time.Duration(minutes) * time.Minute)
	out := api.FailureSummary{Minutes: minutes, ByReason: map[string]int{}}
	for _, rec := range f.List(func(r api.Failure) bool { return !r.Time.Before(since) }) {
		out.ByReason[rec.Reason]++
		out.Total++
	}
	return out
}
