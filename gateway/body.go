package gateway

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/authgate/authgate/reason"
)

// bodyLimits bound what a request body may cost: its size (per route),
// the wait for each piece and for the whole.
type bodyLimits struct {
	idle, total time.Duration
}

// guardBody refuses a body declared larger than max, and wraps one that
// is read later (by the proxy) so that its size and the time spent on it
// are bounded. Whatever goes wrong while reading it is the client's fault
// and is recorded for upstreamError.
func (g *Gateway) guardBody(w http.ResponseWriter, r *http.Request, ex *exchange, max int64) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	if r.ContentLength > max {
		// Not worth reading: answer at once and close, rather than
		// wait for (and discard) a body that will be refused.
		w.Header().Set("Connection", "close")
		return reason.New(reason.RequestBodyTooLarge, "the body is %d bytes; route '%s' takes at most %d", r.ContentLength, ex.route.Name, max)
	}
	start := time.Now()
	r.Body = &guardedBody{ReadCloser: http.MaxBytesReader(w, r.Body, max), rc: http.NewResponseController(w), ex: ex,
		idle: g.body.idle, deadline: start.Add(g.body.total), max: max}
	return nil
}

// guardedBody sets the connection's read deadline before each read (the
// idle wait, never past the whole body's deadline) and clears it at the
// end, so a response may stream on.
type guardedBody struct {
	io.ReadCloser
	rc       *http.ResponseController
	ex       *exchange
	idle     time.Duration
	deadline time.Time
	max      int64
}

func (b *guardedBody) Read(p []byte) (int, error) {
	d := time.Now().Add(b.idle)
	if d.After(b.deadline) {
		d = b.deadline
	}
	b.rc.SetReadDeadline(d)
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.rc.SetReadDeadline(time.Time{})
		if !errors.Is(err, io.EOF) && b.ex.bodyErr == nil {
			b.ex.bodyErr = bodyError(err, b.max, b.ex.route.Name)
		}
	}
	return n, err
}

// bodyError is the reason of a failed body read.
func bodyError(err error, max int64, route string) *reason.Error {
	var tooLarge *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &tooLarge):
		return reason.New(reason.RequestBodyTooLarge, "the body is larger than route '%s' takes (%d bytes)", route, max)
	case errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return reason.New(reason.RequestBodyTimeout, "the request body came too slowly")
	}
	return reason.New(reason.RequestBodyMalformed, "the request body could not be read (broken chunked encoding or a cut connection)")
}
