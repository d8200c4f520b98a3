package failures

import (
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
)

// TestFeed: newest first, bounded fields, the ring forgets the oldest,
// subscribers get new entries, the summary counts by reason.
func TestFeed(t *testing.T) {
	f := New(3)
	f.Instance = "gw-1"
	ch, cancel := f.Subscribe()
	defer cancel()
	for i, reason := range []string{"a", "b", "b", "c"} {
		f.Add(api.Failure{Time: time.Now(), Reason: reason, Detail: strings.Repeat("x", 10000), Path: strings.Repeat("/p", 1000),
			RequestID: string(rune('0' + i))})
	}
	list := f.List(func(api.Failure) bool { return true })
	if len(list) != 3 || list[0].Reason != "c" || list[2].Reason != "b" {
		t.Fatalf("list: %+v", list)
	}
	for _, e := range list {
		if len(e.Detail) > maxDetail+3 || len(e.Path) > maxField+3 || e.Instance != "gw-1" {
			t.Fatalf("unbounded entry: detail %d path %d instance %q", len(e.Detail), len(e.Path), e.Instance)
		}
	}
	got := 0
	for range 4 {
		select {
		case <-ch:
			got++
		case <-time.After(time.Second):
		}
	}
	if got != 4 {
		t.Fatalf("subscriber got %d of 4", got)
	}
	if s := f.Summary(5, time.Now()); s.Total != 3 || s.ByReason["b"] != 2 {
		t.Fatalf("summary: %+v", s)
	}
}
