package gateway

import (
	"sync"
	"time"
)

// Failure is one refused request as the admin API shows it: never a
// credential, only its fingerprint.
type Failure struct {
	Time        time.Time `json:"time"`
	RequestID   string    `json:"request_id"`
	Method      string    `json:"method"`
	Path        string    `json:"path"`
	Route       string    `json:"route,omitempty"`
	Status      int       `json:"status"`
	Reason      string    `json:"reason"`
	Detail      string    `json:"detail"`
	Scheme      string    `json:"scheme,omitempty"`
	Fingerprint string    `json:"fingerprint,omitempty"`
	Client      string    `json:"client"`
}

// failureFeed keeps the latest failures in a ring and fans them out to
// live subscribers (server-sent events).
type failureFeed struct {
	mu   sync.Mutex
	ring []Failure
	next int
	full bool
	subs map[chan Failure]struct{}
}

func newFailureFeed(size int) *failureFeed {
	return &failureFeed{ring: make([]Failure, size), subs: map[chan Failure]struct{}{}}
}

func (f *failureFeed) add(ex *exchange) {
	rec := Failure{Time: ex.start.UTC(), RequestID: ex.requestID, Method: ex.method, Path: ex.path,
		Status: ex.err.Entry().Status, Reason: string(ex.err.Code), Detail: ex.err.Detail, Scheme: string(ex.scheme),
		Fingerprint: ex.fp, Client: ex.client}
	if ex.route != nil {
		rec.Route = ex.route.Name
	}
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

// list returns the failures kept, newest first, that pass keep.
func (f *failureFeed) list(keep func(Failure) bool) []Failure {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.next
	if f.full {
		n = len(f.ring)
	}
	out := []Failure{}
	for i := 1; i <= n; i++ {
		rec := f.ring[(f.next-i+len(f.ring))%len(f.ring)]
		if keep(rec) {
			out = append(out, rec)
		}
	}
	return out
}

func (f *failureFeed) subscribe() (chan Failure, func()) {
	ch := make(chan Failure, 64)
	f.mu.Lock()
	f.subs[ch] = struct{}{}
	f.mu.Unlock()
	return ch, func() {
		f.mu.Lock()
		delete(f.subs, ch)
		f.mu.Unlock()
	}
}
