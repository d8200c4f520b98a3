package policy

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// linearMatch is the route table's meaning: the first route, in order,
// whose pattern matches and whose methods allow the request.
func linearMatch(routes []*Route, method, path string) *Route {
	for _, rt := range routes {
		if rt.Path.Match(path) && rt.allows(method) {
			return rt
		}
	}
	return nil
}

// TestRouterAgreesWithTheTable: the tree finds exactly the route a linear
// scan in order finds, over random tables and paths.
func TestRouterAgreesWithTheTable(t *testing.T) {
	segs := []string{"a", "b", "{x}", "c"}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 300; round++ {
		var routes []*Route
		for i := 0; i < 1+rng.IntN(12); i++ {
			p := ""
			for j := 0; j < rng.IntN(4); j++ {
				p += "/" + segs[rng.IntN(len(segs))]
			}
			switch {
			case p == "":
				p = []string{"/", "/*"}[rng.IntN(2)]
			case rng.IntN(3) == 0:
				p += "/*"
			}
			methods := [][]string{nil, {"GET"}, {"POST"}}[rng.IntN(3)]
			rt, err := NewRoute(fmt.Sprintf("r%d", i), methods, p, false, nil, nil, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			routes = append(routes, rt)
		}
		r := NewRouter(routes)
		for k := 0; k < 50; k++ {
			path := ""
			for j := 0; j < rng.IntN(5); j++ {
				path += "/" + []string{"a", "b", "c", "d", ""}[rng.IntN(5)]
			}
			if path == "" {
				path = "/"
			}
			method := []string{"GET", "POST", "HEAD", "DELETE"}[rng.IntN(4)]
			got, _ := r.Match(method, "", path)
			if want := linearMatch(routes, method, path); got != want {
				t.Fatalf("%s %s: tree %v, table %v (routes %v)", method, path, name(got), name(want), routes)
			}
			// A pattern that covers another matches every path it does.
			for _, a := range routes {
				for _, b := range routes {
					if a.Path.Covers(b.Path) && b.Path.Match(path) && !a.Path.Match(path) {
						t.Fatalf("%s covers %s but not the path %s", a.Path, b.Path, path)
					}
				}
			}
		}
	}
}

func name(rt *Route) string {
	if rt == nil {
		return "none"
	}
	return rt.Name + " " + rt.Path.String()
}

func (rt *Route) String() string { return rt.Name + ":" + rt.Path.String() }

// BenchmarkRouter is a lookup in a table of 1, 100 and 1000 routes; the
// last route is the one that matches.
func BenchmarkRouter(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("routes=%d", n), func(b *testing.B) {
			var routes []*Route
			for i := 0; i < n; i++ {
				rt, _ := NewRoute(fmt.Sprintf("r%d", i), []string{"GET"}, fmt.Sprintf("/v1/service%d/{id}/*", i), false, nil, nil, nil, "")
				routes = append(routes, rt)
			}
			r := NewRouter(routes)
			path := fmt.Sprintf("/v1/service%d/42/items", n-1)
			b.ReportAllocs()
			for b.Loop() {
				if rt, err := r.Match("GET", "", path); err != nil || rt != routes[n-1] {
					b.Fatal(err)
				}
			}
		})
	}
}
