package recent

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/authgate/authgate/api"
)

func rec(id, outcome string) api.RequestRecord {
	return api.RequestRecord{RequestID: id, Outcome: outcome, Method: "GET", Path: "/x"}
}

func ids(rs []api.RequestRecord) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.RequestID)
	}
	return strings.Join(out, ",")
}

// TestRing: bounded, newest first, refused always kept, allowed sampled,
// a resize keeps the newest.
func TestRing(t *testing.T) {
	r := New(3)
	for i := range 5 {
		r.Add(rec(fmt.Sprint(i), api.OutcomeAllowed))
	}
	if got := ids(r.List(10, nil)); got != "4,3,2" {
		t.Errorf("after 5 adds to a ring of 3: %s", got)
	}
	if _, ok := r.Find("1"); ok {
		t.Error("an overwritten record is still found")
	}
	if got, ok := r.Find("3"); !ok || got.RequestID != "3" {
		t.Errorf("Find 3: %v %v", got, ok)
	}
	r.Configure(2, 0)
	if got := ids(r.List(10, nil)); got != "4,3" {
		t.Errorf("shrunk to 2: %s", got)
	}
	r.Add(rec("a", api.OutcomeAllowed))
	r.Add(rec("d", api.OutcomeDenied))
	r.Add(rec("f", api.OutcomeFault))
	if got := ids(r.List(10, nil)); got != "f,d" {
		t.Errorf("sample 0 keeps refused and faults only: %s", got)
	}
	r.Configure(4, 1)
	r.Add(rec("b", api.OutcomeAllowed))
	if got := ids(r.List(10, nil)); got != "b,f,d" {
		t.Errorf("grown to 4: %s", got)
	}
	r.Configure(0, 1)
	r.Add(rec("c", api.OutcomeDenied))
	if got := r.List(10, nil); len(got) != 0 || r.Size() != 0 {
		t.Errorf("size 0 keeps nothing: %v", got)
	}
}

// TestRingCopies: a record shares no byte with what it was made of (a
// fasthttp request's buffers are reused by the next request), and long
// values are cut.
func TestRingCopies(t *testing.T) {
	r := New(2)
	buf := []byte("/v1/data")
	path := unsafe.String(&buf[0], len(buf))
	in := rec("id", api.OutcomeAllowed)
	in.Path, in.Detail = path, strings.Repeat("d", 10000)
	r.Add(in)
	copy(buf, "/XXXXXXX")
	got, _ := r.Find("id")
	if got.Path != "/v1/data" {
		t.Errorf("the record shares the request's bytes: %q", got.Path)
	}
	if len(got.Detail) > maxField+len("…") {
		t.Errorf("detail of %d bytes kept", len(got.Detail))
	}
}

// TestRingConcurrent: many writers and readers under -race.
func TestRingConcurrent(t *testing.T) {
	r := New(100)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				r.Add(rec(fmt.Sprintf("%d-%d", w, i), api.OutcomeAllowed))
				r.Find(fmt.Sprintf("%d-%d", w, i/2))
				if i%100 == 0 {
					r.Configure(50+i/10, 1)
				}
			}
		}()
	}
	wg.Wait()
	if n := len(r.List(1000, nil)); n > r.Size() {
		t.Errorf("%d records in a ring of %d", n, r.Size())
	}
}

// TestRingGrows: a ring holds room for the records it keeps, not for its
// size, and keeps the newest in order as it grows and wraps.
func TestRingGrows(t *testing.T) {
	for _, c := range []struct{ size, adds, wantCap int }{
		{1_000_000, 3, 64},
		{100, 65, 100},
		{100, 250, 100},
		{200, 130, 200},
	} {
		r := New(c.size)
		for i := range c.adds {
			r.Add(rec(fmt.Sprint(i), api.OutcomeDenied))
		}
		if got := cap(r.ring); got > c.wantCap || got > c.size {
			t.Errorf("ring of %d after %d adds: room for %d records, want at most %d", c.size, c.adds, got, min(c.wantCap, c.size))
		}
		got := r.List(c.size+1, nil)
		if want := min(c.adds, c.size); len(got) != want {
			t.Fatalf("ring of %d after %d adds lists %d records, want %d", c.size, c.adds, len(got), want)
		}
		for i, g := range got {
			if want := fmt.Sprint(c.adds - 1 - i); g.RequestID != want {
				t.Fatalf("ring of %d after %d adds: record %d is %s, want %s", c.size, c.adds, i, g.RequestID, want)
			}
		}
	}
}
