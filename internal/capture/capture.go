// Package capture keeps the answer of an http.Handler called in-process —
// the console's sign-in through the admin guard, the ext_authz adapter's
// decision — so the caller can read it: the status, the header and a
// bounded body.
package capture

import (
	"bytes"
	"net/http"
)

// Recorder is an http.ResponseWriter that keeps what it is given: the
// first status (200 when the handler writes without one), the header, and
// at most its limit of the body (the rest is counted as written and
// dropped).
type Recorder struct {
	// Status is the answer's status, 0 until the handler writes.
	Status int
	header http.Header
	body   bytes.Buffer
	limit  int
}

// New returns a Recorder that keeps at most limit bytes of the body.
func New(limit int) *Recorder { return &Recorder{header: http.Header{}, limit: limit} }

// Header implements http.ResponseWriter.
func (r *Recorder) Header() http.Header { return r.header }

// WriteHeader implements http.ResponseWriter; only the first status counts.
func (r *Recorder) WriteHeader(status int) {
	if r.Status == 0 {
		r.Status = status
	}
}

// Write implements http.ResponseWriter.
func (r *Recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	if room := r.limit - r.body.Len(); room > 0 {
		r.body.Write(b[:min(len(b), room)])
	}
	return len(b), nil
}

// Body is the kept body.
func (r *Recorder) Body() []byte { return r.body.Bytes() }
