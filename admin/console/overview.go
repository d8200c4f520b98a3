package console

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authgate/authgate/api"
)

// Chart geometry (the SVG's own units; the page scales it to its width).
const (
	chartWidth  = 1000.0
	chartHeight = 220.0
	// plot margins: the y scale's labels on the left, the time axis below.
	marginLeft   = 48.0
	marginRight  = 8.0
	marginTop    = 10.0
	marginBottom = 26.0
	// topRows is how many routes, reasons and clients the overview shows
	// before "+N more".
	topRows = 8
)

// window is one choice of the chart's span.
type window struct {
	Key     string
	Label   string
	Minutes int
	// Bin is the minutes one bar counts; Tick the minutes between labels
	// of the time axis.
	Bin, Tick int
}

// windows are the chart's spans; the first is the default.
var windows = []window{
	{"1h", "1 hour", 60, 1, 10},
	{"15m", "15 minutes", 15, 1, 5},
	{"24h", "24 hours", 24 * 60, 15, 180},
}

// overviewData is the overview page's.
type overviewData struct {
	Window  window
	Windows []window
	Chart   chart
	// Peak is the busiest bar's count.
	Peak                   int64
	Allowed, Denied, Fault int64
	Reasons, Routes        topList
	Clients                topList
	// FailuresSeen is how many failures of the window the feed still
	// holds (routes and clients are counted from those).
	FailuresSeen int
	Dependencies []dependencyView
}

// chart is the stacked bar chart: bars, the y scale's gridlines and the
// time axis's ticks, in SVG units.
type chart struct {
	Width, Height, Left, Bottom, Right float64
	// Top and PlotH bound the plot (a bar's click area); TickEnd is where
	// the time axis's ticks end.
	Top, PlotH, TickEnd float64
	Bars                []bar
	Grid                []gridLine
	Ticks               []tick
}

// bar is one bin of the chart: stacked allowed, denied and fault; a click
// lists the bin's failures.
type bar struct {
	X, W                   float64
	Label                  string
	Href                   string
	Start                  time.Time
	Allowed, Denied, Fault segment
}

// segment is one part of a bar.
type segment struct{ Y, H float64 }

// gridLine is one value of the y scale.
type gridLine struct {
	Y     float64
	Label string
}

// tick is one label of the time axis: UTC in the page, the browser's
// local time once the script has run.
type tick struct {
	X     float64
	At    time.Time
	Label string
}

// count is one row of a top list.
type count struct {
	Name  string
	Count int
}

// topList is a ranked list: the first rows, and the rest behind "+N
// more".
type topList struct {
	Top, More []count
}

// dependencyView is a dependency with its age in words.
type dependencyView struct {
	api.Dependency
	Age string
}

func windowOf(key string) window {
	for _, w := range windows {
		if w.Key == key {
			return w
		}
	}
	return windows[0]
}

func (c *console) overview(r *http.Request, _ *session) (view, error) {
	now := time.Now()
	w := windowOf(r.URL.Query().Get("window"))
	minutes := c.state.TrafficWindow(now, w.Minutes).Minutes
	d := overviewData{Window: w, Windows: windows}
	reasons := map[string]int{}
	bins := binned(minutes, w.Bin)
	for _, b := range bins {
		d.Peak = max(d.Peak, b.Allowed+b.Denied+b.Fault)
		d.Allowed, d.Denied, d.Fault = d.Allowed+b.Allowed, d.Denied+b.Denied, d.Fault+b.Fault
		for code, n := range b.ByReason {
			reasons[code] += n
		}
	}
	d.Chart = drawChart(bins, w, d.Peak)
	d.Reasons = ranked(reasons)
	routes, clients := map[string]int{}, map[string]int{}
	since := now.Add(-time.Duration(w.Minutes) * time.Minute)
	for _, f := range c.state.Failures.List(func(f api.Failure) bool { return !f.Time.Before(since) }) {
		routes[f.Route]++
		clients[f.Client]++
		d.FailuresSeen++
	}
	d.Routes, d.Clients = ranked(routes), ranked(clients)
	for _, dep := range c.gw.Dependencies(r.Context()) {
		dv := dependencyView{Dependency: dep, Age: "—"}
		if dep.Since != nil {
			dv.Age = ago(*dep.Since)
		}
		d.Dependencies = append(d.Dependencies, dv)
	}
	return view{template: "overview", data: pageData{Title: "Overview", Nav: "overview", Data: d}}, nil
}

// binned sums minutes into bins of size minutes each.
func binned(minutes []api.TrafficMinute, size int) []api.TrafficMinute {
	out := make([]api.TrafficMinute, 0, len(minutes)/size+1)
	for i, m := range minutes {
		if i%size == 0 {
			out = append(out, api.TrafficMinute{Start: m.Start})
		}
		b := &out[len(out)-1]
		b.Allowed, b.Denied, b.Fault = b.Allowed+m.Allowed, b.Denied+m.Denied, b.Fault+m.Fault
		for code, n := range m.ByReason {
			if b.ByReason == nil {
				b.ByReason = map[string]int{}
			}
			b.ByReason[code] += n
		}
	}
	return out
}

// niceCeiling is the y scale's top for a peak of n: four even steps of
// 1, 2 or 5 × 10^k, so that every gridline is a round number.
func niceCeiling(n int64) int64 {
	need := max((n+3)/4, 1)
	for step := int64(1); ; step *= 10 {
		for _, f := range []int64{1, 2, 5} {
			if f*step >= need {
				return 4 * f * step
			}
		}
	}
}

// drawChart lays the bins out as stacked bars on a y scale of four
// gridlines and a time axis, each bar linking to its failures.
func drawChart(bins []api.TrafficMinute, w window, peak int64) chart {
	ch := chart{Width: chartWidth, Height: chartHeight, Left: marginLeft, Bottom: chartHeight - marginBottom, Right: chartWidth - marginRight}
	plotW, plotH := ch.Right-ch.Left, ch.Bottom-marginTop
	ch.Top, ch.PlotH, ch.TickEnd = marginTop, plotH, ch.Bottom+5
	top := niceCeiling(peak)
	for i := 0; i <= 4; i++ {
		v := top * int64(i) / 4
		ch.Grid = append(ch.Grid, gridLine{Y: ch.Bottom - float64(v)/float64(top)*plotH, Label: strconv.FormatInt(v, 10)})
	}
	slot := plotW / float64(max(len(bins), 1))
	for i, b := range bins {
		x := ch.Left + float64(i)*slot
		end := b.Start.Add(time.Duration(w.Bin) * time.Minute)
		bb := bar{X: x + slot*0.1, W: slot * 0.8, Start: b.Start,
			Label: fmt.Sprintf("%s–%sZ: %d allowed, %d denied, %d faults", b.Start.UTC().Format("15:04"), end.UTC().Format("15:04"), b.Allowed, b.Denied, b.Fault),
			Href:  fmt.Sprintf("/console/failures?from=%d&to=%d", b.Start.Unix(), end.Unix())}
		if len(b.ByReason) > 0 {
			var parts []string
			for _, c := range ranked(b.ByReason).Top[:min(3, len(b.ByReason))] {
				parts = append(parts, fmt.Sprintf("%s %d", c.Name, c.Count))
			}
			bb.Label += " (" + strings.Join(parts, ", ") + ")"
		}
		y := ch.Bottom
		for _, part := range []struct {
			s *segment
			n int64
		}{{&bb.Allowed, b.Allowed}, {&bb.Denied, b.Denied}, {&bb.Fault, b.Fault}} {
			part.s.H = float64(part.n) / float64(top) * plotH
			y -= part.s.H
			part.s.Y = y
		}
		ch.Bars = append(ch.Bars, bb)
		first := b.Start.Unix() / 60
		if at := (first + int64(w.Tick) - 1) / int64(w.Tick) * int64(w.Tick); at < first+int64(w.Bin) {
			t := time.Unix(at*60, 0)
			ch.Ticks = append(ch.Ticks, tick{X: x + float64(at-first)/float64(w.Bin)*slot, At: t, Label: t.UTC().Format("15:04") + "Z"})
		}
	}
	return ch
}

// ranked returns the counts largest first (ties by name): topRows of
// them, and the rest.
func ranked(m map[string]int) topList {
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
	n := min(len(out), topRows)
	return topList{Top: out[:n], More: out[n:]}
}
