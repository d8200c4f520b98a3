// Package recent keeps this instance's latest finished requests — every
// refused one and a configurable share of the allowed ones — in a bounded
// ring, so that the console finds any recent request by its Request-Id.
// A record holds no credential, only its fingerprint, and every value it
// keeps is a copy cut to bounds: nothing in it belongs to a request's
// buffers. It outlives configuration reloads (gateway.State holds it).
package recent

import (
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/authgate/authgate/api"
)

// maxField bounds each field of a record: every one that can come from
// outside is cut.
const maxField = 512

// Ring is a bounded ring of request records, safe for concurrent use.
// It holds memory for the records it keeps, not for all it may keep: the
// ring grows to size as records come, then each replaces the oldest.
type Ring struct {
	mu   sync.Mutex
	ring []api.RequestRecord
	size int
	// next is where the next record goes: len(ring) until the ring is
	// full.
	next int
	full bool
	// sampleAllowed is the share of allowed requests kept.
	sampleAllowed float64
}

// New returns a ring of size records keeping every allowed request.
func New(size int) *Ring {
	return &Ring{size: size, sampleAllowed: 1}
}

// Configure sets the ring's size (0: keep nothing) and the share of
// allowed requests kept; a resize keeps the newest records that fit.
func (r *Ring) Configure(size int, sampleAllowed float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sampleAllowed = sampleAllowed
	if size == r.size {
		return
	}
	kept := r.newestLocked(size, nil)
	r.ring = make([]api.RequestRecord, len(kept))
	for i := range kept {
		r.ring[i] = kept[len(kept)-1-i]
	}
	r.size, r.next, r.full = size, len(kept), size > 0 && len(kept) == size
	if r.full {
		r.next = 0
	}
}

// Size is how many records the ring holds at most.
func (r *Ring) Size() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.size
}

// Add keeps a copy of rec: always when it was refused or a fault, else
// with the configured sampling.
func (r *Ring) Add(rec api.RequestRecord) {
	r.mu.Lock()
	sample, size := r.sampleAllowed, r.size
	r.mu.Unlock()
	if size == 0 || rec.Outcome == api.OutcomeAllowed && sample < 1 && rand.Float64() >= sample {
		return
	}
	rec = copied(rec)
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.size == 0:
		return
	case r.full:
		r.ring[r.next] = rec
		r.next = (r.next + 1) % r.size
		return
	case len(r.ring) == cap(r.ring):
		// Twice the room, never more than size.
		grown := make([]api.RequestRecord, len(r.ring), min(max(2*len(r.ring), 64), r.size))
		copy(grown, r.ring)
		r.ring = grown
	}
	r.ring = append(r.ring, rec)
	r.next = len(r.ring) % r.size
	r.full = r.next == 0
}

// copied is rec with every string cut to bounds and copied into one new
// allocation (nothing shares the request's bytes).
func copied(rec api.RequestRecord) api.RequestRecord {
	fields := [...]*string{&rec.RequestID, &rec.Method, &rec.Path, &rec.Route, &rec.Outcome, &rec.Reason, &rec.Detail,
		&rec.Scheme, &rec.Fingerprint, &rec.Subject, &rec.Client}
	n := 0
	for _, f := range fields {
		*f = cut(*f, maxField)
		n += len(*f)
	}
	var b strings.Builder
	b.Grow(n)
	for _, f := range fields {
		b.WriteString(*f)
	}
	all, at := b.String(), 0
	for _, f := range fields {
		*f, at = all[at:at+len(*f)], at+len(*f)
	}
	return rec
}

// cut bounds s to n bytes (the cut marked with an ellipsis).
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Find returns the newest record of request id (exact; callers normalise).
func (r *Ring) Find(id string) (api.RequestRecord, bool) {
	found := r.List(1, func(rec api.RequestRecord) bool { return rec.RequestID == id })
	if len(found) == 0 {
		return api.RequestRecord{}, false
	}
	return found[0], true
}

// List returns at most limit records that pass keep (nil: all), newest
// first.
func (r *Ring) List(limit int, keep func(api.RequestRecord) bool) []api.RequestRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.newestLocked(limit, keep)
}

func (r *Ring) newestLocked(limit int, keep func(api.RequestRecord) bool) []api.RequestRecord {
	n := r.next
	if r.full {
		n = len(r.ring)
	}
	out := []api.RequestRecord{}
	for i := 1; i <= n && len(out) < limit; i++ {
		rec := r.ring[(r.next-i+len(r.ring))%len(r.ring)]
		if keep == nil || keep(rec) {
			out = append(out, rec)
		}
	}
	return out
}
