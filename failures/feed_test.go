package failures

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/internal/eventually"
	"github.com/authgate/authgate/reason"
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
	for i := range 4 {
		eventually.Receive(t, 10*time.Second, fmt.Sprintf("the subscriber's entry %d of 4", i+1), ch)
	}
	if s := f.Summary(5, time.Now()); s.Total != 3 || s.ByReason["b"] != 2 {
		t.Fatalf("summary: %+v", s)
	}
}

// TestFilter: every filter the admin API and the console take, and a
// clear refusal for one that cannot be read.
func TestFilter(t *testing.T) {
	now := time.Now()
	f := api.Failure{Time: now, Reason: "token_expired", Route: "read", Fingerprint: "abc", RequestID: "r1"}
	tests := []struct {
		query string
		keep  bool
		err   reason.Code
	}{
		{"", true, ""},
		{"reason=token_expired&route=read&fingerprint=abc&request_id=r1", true, ""},
		{"reason=credential_revoked", false, ""},
		{"route=write", false, ""},
		{"fingerprint=abd", false, ""},
		{"request_id=r2", false, ""},
		{"since=" + now.Add(-time.Minute).UTC().Format(time.RFC3339), true, ""},
		{"since=" + now.Add(time.Minute).UTC().Format(time.RFC3339), false, ""},
		{"since=yesterday", false, reason.RequestInvalid},
		{"reason=token_expird", false, reason.RequestInvalid},
		{"reason=" + strings.Repeat("x", 10000), false, reason.RequestInvalid},
	}
	for _, tc := range tests {
		q, _ := url.ParseQuery(tc.query)
		keep, err := Filter(q)
		if reason.CodeOf(err) != tc.err {
			t.Errorf("%.60s: %v, want %q", tc.query, err, tc.err)
			continue
		}
		if err != nil {
			if d := reason.From(err).Detail; len(d) > 300 {
				t.Errorf("%.60s: a %d-byte detail (text from outside is bounded)", tc.query, len(d))
			}
			continue
		}
		if keep(f) != tc.keep {
			t.Errorf("%s: keep %v, want %v", tc.query, !tc.keep, tc.keep)
		}
	}
	_, err := Filter(url.Values{"reason": {"token_expird"}})
	if !strings.Contains(reason.From(err).Detail, `"token_expired"`) {
		t.Errorf("no suggestion for a near miss: %v", err)
	}
}
