package policy

import (
	"slices"
	"strings"

	"github.com/authgate/authgate/reason"
)

// Router finds the route of a request: the first that matches, in the
// configured order. The patterns are compiled into a tree of path
// segments, so a lookup walks the path once whatever the number of
// routes; the order decides between the routes found.
type Router struct {
	routes []*Route
	root   *node
}

// node is one path segment of the tree.
type node struct {
	literal  map[string]*node
	wildcard *node
	// exact are the routes (by index) whose pattern ends here; subtree
	// those whose "/*" starts here.
	exact, subtree []int
}

// NewRouter returns a Router over routes, in priority order.
func NewRouter(routes []*Route) *Router {
	r := &Router{routes: routes, root: &node{}}
	for i, rt := range routes {
		n := r.root
		for _, seg := range rt.Path.segments {
			n = n.child(seg)
		}
		if rt.Path.subtree {
			n.subtree = append(n.subtree, i)
		} else {
			n.exact = append(n.exact, i)
		}
	}
	return r
}

func (n *node) child(seg string) *node {
	if seg == "" {
		if n.wildcard == nil {
			n.wildcard = &node{}
		}
		return n.wildcard
	}
	if n.literal == nil {
		n.literal = map[string]*node{}
	}
	c := n.literal[seg]
	if c == nil {
		c = &node{}
		n.literal[seg] = c
	}
	return c
}

// candidates appends the indexes of the routes whose pattern matches the
// canonical path (segments of path after its leading "/").
func (n *node) candidates(rest string, out []int) []int {
	out = append(out, n.subtree...)
	if rest == "" {
		return append(out, n.exact...)
	}
	seg, after, more := strings.Cut(rest, "/")
	if seg == "" {
		return out // an empty segment matches no literal and no {name}
	}
	if !more {
		after = ""
	} else if after == "" {
		// A trailing slash: only subtree patterns below match it.
		if c := n.literal[seg]; c != nil {
			out = append(out, c.subtree...)
		}
		if n.wildcard != nil {
			out = append(out, n.wildcard.subtree...)
		}
		return out
	}
	if c := n.literal[seg]; c != nil {
		out = c.candidates(after, out)
	}
	if n.wildcard != nil {
		out = n.wildcard.candidates(after, out)
	}
	return out
}

// HasHostRoutes reports whether some route serves only some hosts: a
// request whose host is unknown cannot then be routed.
func (r *Router) HasHostRoutes() bool {
	return slices.ContainsFunc(r.routes, func(rt *Route) bool { return len(rt.Hosts) > 0 })
}

// Match returns the route for method, host (lower-case, no port) and
// canonical path, or route_not_found. Path matching is case-sensitive.
func (r *Router) Match(method, host, path string) (*Route, error) {
	var buf [8]int
	found := r.root.candidates(strings.TrimPrefix(path, "/"), buf[:0])
	slices.Sort(found)
	var pathOnly []string
	for _, i := range found {
		rt := r.routes[i]
		if !rt.allowsHost(host) {
			continue
		}
		if rt.allows(method) {
			return rt, nil
		}
		pathOnly = append(pathOnly, rt.Methods...)
	}
	if len(pathOnly) > 0 {
		return nil, reason.New(reason.RouteNotFound, "no route for %s on this path (routes here accept %s)",
			sanitizeMethod(method), strings.Join(pathOnly, ", "))
	}
	return nil, reason.New(reason.RouteNotFound, "no route matches this path")
}

// Shadowed returns, for a route table in order, the first route that can
// never match because an earlier one takes every request it would
// (pattern and methods), and that earlier route; nil when none is.
func Shadowed(routes []*Route) (hidden, by *Route) {
	for j, later := range routes {
		for _, earlier := range routes[:j] {
			if earlier.Path.Covers(later.Path) && coversMethods(earlier.Methods, later.Methods) && coversHosts(earlier.Hosts, later.Hosts) {
				return later, earlier
			}
		}
	}
	return nil, nil
}

// coversMethods: every method b allows, a allows (empty: all methods).
func coversMethods(a, b []string) bool {
	if len(a) == 0 {
		return true
	}
	if len(b) == 0 {
		return false
	}
	for _, m := range b {
		if !slices.Contains(a, m) {
			return false
		}
	}
	return true
}

// coversHosts: every host b serves, a serves (empty: every host).
func coversHosts(a, b []string) bool {
	if len(a) == 0 {
		return true
	}
	if len(b) == 0 {
		return false
	}
	for _, h := range b {
		// A pattern covers a name it matches, and a wildcard under its own.
		if !slices.ContainsFunc(a, func(p string) bool { return p == h || hostMatches(p, strings.TrimPrefix(h, "*.")) }) {
			return false
		}
	}
	return true
}
