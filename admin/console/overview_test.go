package console_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestOverviewChart: the chart has a y scale, gridlines and a time axis in
// each window, each bar links to its minute's failures, every reason is
// listed; admin-listener traffic is labelled _admin, a name no route can
// take, in the overview and in /metrics.
func TestOverviewChart(t *testing.T) {
	d, o := signedIn(t)
	failedFrom := time.Now().Truncate(time.Minute)
	gatewayCall(t, d.File.URL+"/v1/data", "Authorization", "Bearer "+d.File.Tokens["expired"])
	failedTo := time.Now().Truncate(time.Minute)                 // a minute may end meanwhile
	newOperator(t, d.File.AdminURL, nil).signIn("ag_live_wrong") // a failed console sign-in
	for _, tt := range []struct {
		window string
		bars   int
		ticks  []int
	}{{"15m", 15, []int{3, 4}}, {"1h", 60, []int{6, 7}}, {"24h", 96, []int{8, 9}}} {
		p := o.get("/console/?window=" + tt.window)
		if n := strings.Count(p.body, `<a class="bar" href="/console/failures?from=`); n != tt.bars {
			t.Errorf("%s: %d bars, want %d", tt.window, n, tt.bars)
		}
		if n := strings.Count(p.body, `class="x-label"`); n < tt.ticks[0] || n > tt.ticks[1] {
			t.Errorf("%s: %d time labels", tt.window, n)
		}
		if n := strings.Count(p.body, `class="y-label"`); n != 5 {
			t.Errorf("%s: %d y labels", tt.window, n)
		}
		if n := strings.Count(p.body, `class="grid"`); n != 5 {
			t.Errorf("%s: %d gridlines", tt.window, n)
		}
	}
	p := o.get("/console/")
	if !strings.Contains(p.body, `href="/console/failures?route=_admin"`) {
		t.Error("the failed sign-in is not counted under _admin")
	}
	// The bar of the minute the failure was made in lists it (not "the
	// last bar": a newer minute once one has ended since).
	listed := 0 // bars that list it
	for m := failedFrom; !m.After(failedTo); m = m.Add(time.Minute) {
		href := fmt.Sprintf("/console/failures?from=%d&to=%d", m.Unix(), m.Add(time.Minute).Unix())
		if !strings.Contains(p.body, `<a class="bar" href="`+strings.ReplaceAll(href, "&", "&amp;")+`"`) {
			t.Fatalf("no bar links to the minute of %s", m.UTC().Format("15:04"))
		}
		f := o.get(href)
		if !strings.Contains(f.body, `id="window-filter"`) {
			t.Errorf("%s lists no window", href)
		}
		if strings.Contains(f.body, "<code>token_expired</code>") {
			listed++
		}
	}
	if listed != 1 {
		t.Errorf("%d bars of the failure's minutes list it, want one", listed)
	}
	if f := o.get("/console/failures?from=1&to=2"); strings.Contains(f.body, "<code>token_expired</code>") {
		t.Error("a minute long ago lists today's failure")
	}
	resp, err := http.Get(d.File.AdminURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), `route="_admin"`) || strings.Contains(string(body), `authgate_requests_total{outcome="denied",reason="credential_unknown",route="admin"}`) {
		t.Errorf("metrics do not label admin traffic _admin")
	}
	if p := o.get("/console/nowhere"); p.status != 404 || !strings.Contains(p.body, `aria-label="Console"`) {
		t.Errorf("the 404 page has no navigation: %d", p.status)
	}
	if p := o.get("/favicon.ico"); p.status != http.StatusMovedPermanently {
		t.Errorf("favicon: %d", p.status)
	}
}
