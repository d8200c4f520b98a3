// Package failures keeps the latest refused requests in a ring and fans
// them out to live subscribers: the admin API's failure list, summary and
// server-sent-event stream read it. It outlives configuration reloads.
// With a Stream (Redis) the ring and the subscribers see the whole fleet's
// refusals, each naming its instance.
package failures

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/internal/spelling"
	"github.com/authgate/authgate/reason"
)

// Bounds of one entry: every field that can come from outside is cut.
const (
	maxDetail = 512
	maxField  = 256
	// maxList bounds the checks and the challenges of one entry.
	maxList = 8
)

// Feed is a bounded ring of failures with live subscribers.
type Feed struct {
	// Instance names this instance in its entries.
	Instance string

	mu   sync.Mutex
	ring []api.Failure
	next int
	full bool
	subs map[chan api.Failure]struct{}
	// stream, when set, carries every instance's failures; entries then
	// reach the ring through it.
	stream Stream
}

// Stream carries failures between the instances of a fleet.
type Stream interface {
	// Publish sends f to every instance; it must not block on I/O.
	Publish(f api.Failure) error
	// Follow delivers the latest stored failures (oldest first), then
	// every new one, to deliver until ctx ends; it reconnects by itself.
	Follow(ctx context.Context, backlog int, deliver func(api.Failure))
}

// Share makes the feed the fleet's: its ring and subscribers are fed from
// s (with the latest stored failures first) until ctx ends.
func (f *Feed) Share(ctx context.Context, s Stream) {
	f.mu.Lock()
	f.stream = s
	f.mu.Unlock()
	go s.Follow(ctx, len(f.ring), f.keep)
}

// New returns a Feed keeping the latest size failures.
func New(size int) *Feed {
	return &Feed{ring: make([]api.Failure, size), subs: map[chan api.Failure]struct{}{}}
}

// Add records f (its fields cut to bounds) and hands it to every
// subscriber that keeps up — through the fleet's stream when shared (and
// here directly when the stream cannot take it).
func (f *Feed) Add(rec api.Failure) {
	rec.Instance = f.Instance
	f.mu.Lock()
	s := f.stream
	f.mu.Unlock()
	if s != nil && s.Publish(bound(rec)) == nil {
		return
	}
	f.keep(rec)
}

// bound cuts every field that can come from outside.
func bound(rec api.Failure) api.Failure {
	rec.Detail = cut(rec.Detail, maxDetail)
	rec.Path, rec.Method, rec.Route = cut(rec.Path, maxField), cut(rec.Method, maxField), cut(rec.Route, maxField)
	rec.RequestID, rec.Client, rec.Instance = cut(rec.RequestID, maxField), cut(rec.Client, maxField), cut(rec.Instance, maxField)
	rec.Reason, rec.Scheme, rec.Fingerprint = cut(rec.Reason, maxField), cut(rec.Scheme, maxField), cut(rec.Fingerprint, maxField)
	// New slices: the caller's, and other holders of this entry, keep theirs.
	if len(rec.Checks) > 0 {
		checks := make([]api.Check, 0, min(len(rec.Checks), maxList))
		for _, c := range rec.Checks[:min(len(rec.Checks), maxList)] {
			checks = append(checks, api.Check{Check: cut(c.Check, maxField), Result: cut(c.Result, maxField), Detail: cut(c.Detail, maxDetail)})
		}
		rec.Checks = checks
	}
	if len(rec.Challenges) > 0 {
		challenges := make([]string, 0, min(len(rec.Challenges), maxList))
		for _, c := range rec.Challenges[:min(len(rec.Challenges), maxList)] {
			challenges = append(challenges, cut(c, maxDetail))
		}
		rec.Challenges = challenges
	}
	if p := rec.Problem; p != nil {
		q := *p
		q.Detail, q.Hint, q.Title, q.Type = cut(q.Detail, maxDetail), cut(q.Hint, maxDetail), cut(q.Title, maxField), cut(q.Type, maxField)
		q.Reason, q.RequestID = cut(q.Reason, maxField), cut(q.RequestID, maxField)
		rec.Problem = &q
	}
	return rec
}

// keep puts rec in the ring and hands it to the subscribers.
func (f *Feed) keep(rec api.Failure) {
	rec = bound(rec)
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

// Filter reads the feed's filters from a query — reason, route,
// fingerprint, request_id (each exact) and since (RFC 3339) — as the
// admin API and the console take them.
func Filter(q url.Values) (func(api.Failure) bool, error) {
	var since time.Time
	if s := q.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, reason.New(reason.RequestInvalid, "since must be an RFC 3339 time such as 2026-01-31T14:05:00Z")
		}
		since = t
	}
	code, route, fp, id := q.Get("reason"), q.Get("route"), q.Get("fingerprint"), q.Get("request_id")
	if code != "" && !reason.Known(reason.Code(code)) {
		return nil, reason.New(reason.RequestInvalid, "reason %q is not a reason code%s (docs/reasons.md lists them)", cut(code, 64), nearestCode(code))
	}
	return func(f api.Failure) bool {
		return (code == "" || f.Reason == code) && (route == "" || f.Route == route) &&
			(fp == "" || f.Fingerprint == fp) && (id == "" || f.RequestID == id) && !f.Time.Before(since)
	}, nil
}

// nearestCode suggests the catalogue code closest to code, if one is
// close.
func nearestCode(code string) string {
	best, dist := "", 4
	for _, e := range reason.All() {
		if d := spelling.Distance(code, string(e.Code)); d < dist {
			best, dist = string(e.Code), d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}
