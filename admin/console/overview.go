package console

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/authgate/authgate/api"
)

// Chart geometry: one bar a minute.
const (
	chartHeight = 160.0
	barWidth    = 10.0
	barGap      = 2.0
	// topRows is how many routes, reasons and clients the overview lists.
	topRows = 8
)

// overviewData is the overview page's.
type overviewData struct {
	Width, Height float64
	Bars          []bar
	// Peak is the busiest minute's count (the chart's scale).
	Peak                   int64
	Allowed, Denied, Fault int64
	Reasons, Routes        []count
	Clients                []count
	// FailuresSeen is how many failures of the last hour the feed still
	// holds (routes and clients are counted from those).
	FailuresSeen int
	Dependencies []dependencyView
}

// bar is one minute of the chart: stacked allowed, denied and fault.
type bar struct {
	X                      float64
	Label                  string
	Allowed, Denied, Fault segment
}

// segment is one part of a bar.
type segment struct{ Y, H float64 }

// count is one row of a top list.
type count struct {
	Name  string
	Count int
}

// dependencyView is a dependency with its age in words.
type dependencyView struct {
	api.Dependency
	Age string
}

func (c *console) overview(r *http.Request, _ *session) (view, error) {
	now := time.Now()
	traffic := c.state.Traffic(now)
	d := overviewData{Width: float64(len(traffic.Minutes)) * (barWidth + barGap), Height: chartHeight}
	reasons := map[string]int{}
	for _, m := range traffic.Minutes {
		d.Peak = max(d.Peak, m.Allowed+m.Denied+m.Fault)
		d.Allowed, d.Denied, d.Fault = d.Allowed+m.Allowed, d.Denied+m.Denied, d.Fault+m.Fault
		for code, n := range m.ByReason {
			reasons[code] += n
		}
	}
	for i, m := range traffic.Minutes {
		b := bar{X: float64(i) * (barWidth + barGap),
			Label: fmt.Sprintf("%s: %d allowed, %d denied, %d faults", m.Start.Format("15:04"), m.Allowed, m.Denied, m.Fault)}
		if len(m.ByReason) > 0 {
			var parts []string
			for _, c := range top(m.ByReason) {
				parts = append(parts, fmt.Sprintf("%s %d", c.Name, c.Count))
			}
			b.Label += " (" + strings.Join(parts, ", ") + ")"
		}
		y := chartHeight
		for _, part := range []struct {
			s *segment
			n int64
		}{{&b.Allowed, m.Allowed}, {&b.Denied, m.Denied}, {&b.Fault, m.Fault}} {
			if d.Peak > 0 {
				part.s.H = float64(part.n) / float64(d.Peak) * (chartHeight - 4)
			}
			y -= part.s.H
			part.s.Y = y
		}
		d.Bars = append(d.Bars, b)
	}
	d.Reasons = top(reasons)
	routes, clients := map[string]int{}, map[string]int{}
	since := now.Add(-time.Hour)
	for _, f := range c.state.Failures.List(func(f api.Failure) bool { return !f.Time.Before(since) }) {
		routes[f.Route]++
		clients[f.Client]++
		d.FailuresSeen++
	}
	d.Routes, d.Clients = top(routes), top(clients)
	for _, dep := range c.gw.Dependencies(r.Context()) {
		dv := dependencyView{Dependency: dep, Age: "—"}
		if dep.Since != nil {
			dv.Age = ago(*dep.Since)
		}
		d.Dependencies = append(d.Dependencies, dv)
	}
	return view{template: "overview", data: pageData{Title: "Overview", Nav: "overview", Data: d}}, nil
}

// top returns the largest counts first (ties by name), at most topRows.
func top(m map[string]int) []count {
	out := make([]count, 0, len(m))
	for name, n := range m {
		out = append(out, count{name, n})
	}
	slices.SortFunc(out, func(a, b count) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out[:min(len(out), topRows)]
}
