package gateway

import (
	"net/http"
	"sync/atomic"
)

// Switch is an http.Handler whose handler can be replaced while serving:
// a configuration reload swaps in a new pipeline, requests in flight finish
// on the old one.
type Switch struct {
	current atomic.Pointer[http.Handler]
}

// NewSwitch returns a Switch serving h.
func NewSwitch(h http.Handler) *Switch {
	s := &Switch{}
	s.Swap(h)
	return s
}

// Swap makes h serve every request from now on.
func (s *Switch) Swap(h http.Handler) { s.current.Store(&h) }

// ServeHTTP implements http.Handler.
func (s *Switch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*s.current.Load()).ServeHTTP(w, r)
}
