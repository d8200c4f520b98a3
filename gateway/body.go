package gateway

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/authgate/authgate/reason"
)

// maxDrain bounds the wait, after an answer given while the request body
// was unfinished, for the rest of that body: a client still sending gets
// its answer and a clean close (not a reset that could destroy the
// answer), a client that stopped is closed on.
const maxDrain = time.Second

// GuardBodies bounds the request bodies of every request h serves,
// whatever reads them (the proxy, the decision endpoint, the admin API,
// the console's forms): each read waits at most idle for the next piece
// and never past total from the request's start, and a body that times
// out fails with request_body_timeout. An answer written while the body
// is unfinished (not read to its end) goes out with Connection: close,
// and once h returns such a connection gets at most a short drain
// (body_idle_timeout, at most a second) before the server closes it —
// never the wait for a body that may never come, which Go's server would
// otherwise start (it reads up to 256 KiB of an unread body, without a
// deadline, to reuse the connection). Over HTTP/2 only the deadlines
// apply: an unread stream is reset, not its connection.
func GuardBodies(h http.Handler, idle, total time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			h.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		b := &timedBody{ReadCloser: r.Body, rc: rc, idle: idle, total: total, deadline: time.Now().Add(total)}
		r.Body = b
		if r.ProtoMajor != 1 {
			h.ServeHTTP(w, r)
			return
		}
		cw := &closingWriter{ResponseWriter: w, body: b}
		h.ServeHTTP(cw, r)
		if b.done.Load() {
			return
		}
		if !cw.wrote {
			w.Header().Set("Connection", "close")
		}
		rc.SetReadDeadline(time.Now().Add(min(idle, maxDrain)))
	})
}

// timedBody sets the connection's read deadline before each read (the
// idle wait, never past the whole body's deadline) and clears it at the
// end, so a response may stream on. It records whether the body was read
// to its end.
type timedBody struct {
	io.ReadCloser
	rc          *http.ResponseController
	idle, total time.Duration
	deadline    time.Time
	done        atomic.Bool
}

func (b *timedBody) Read(p []byte) (int, error) {
	d := time.Now().Add(b.idle)
	if d.After(b.deadline) {
		d = b.deadline
	}
	b.rc.SetReadDeadline(d)
	n, err := b.ReadCloser.Read(p)
	switch {
	case err == nil:
	case errors.Is(err, io.EOF):
		b.done.Store(true)
		b.rc.SetReadDeadline(time.Time{})
	case isTimeout(err):
		if time.Now().Before(b.deadline) {
			err = &reason.Error{Code: reason.RequestBodyTimeout, Err: err,
				Detail: "no piece of the request body came for " + b.idle.String() + " (server.body_idle_timeout)"}
		} else {
			err = &reason.Error{Code: reason.RequestBodyTimeout, Err: err,
				Detail: "the request body took longer than " + b.total.String() + " (server.body_timeout)"}
		}
	}
	return n, err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// closingWriter adds Connection: close to an answer whose request body
// is unfinished when the answer's header is written.
type closingWriter struct {
	http.ResponseWriter
	body  *timedBody
	wrote bool
}

func (c *closingWriter) WriteHeader(code int) {
	if !c.wrote && code >= 200 {
		c.wrote = true
		if !c.body.done.Load() {
			c.Header().Set("Connection", "close")
		}
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *closingWriter) Write(p []byte) (int, error) {
	if !c.wrote {
		c.WriteHeader(http.StatusOK)
	}
	return c.ResponseWriter.Write(p)
}

// FlushError flushes the answer (writing its header first, as Go's
// server would).
func (c *closingWriter) FlushError() error {
	if !c.wrote {
		c.WriteHeader(http.StatusOK)
	}
	return http.NewResponseController(c.ResponseWriter).Flush()
}

// Flush is FlushError for callers that look for http.Flusher.
func (c *closingWriter) Flush() { c.FlushError() }

// Unwrap lets http.ResponseController reach the underlying writer.
func (c *closingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// guardBody refuses a body declared larger than max, and wraps one that
// is read later (by the proxy) so that its size is bounded. Whatever goes
// wrong while reading it is the client's fault and is recorded for
// upstreamError. The waits for it are GuardBodies'.
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
	r.Body = &guardedBody{ReadCloser: http.MaxBytesReader(w, r.Body, max), ex: ex, max: max}
	return nil
}

// guardedBody records the reason a body read failed.
type guardedBody struct {
	io.ReadCloser
	ex  *exchange
	max int64
}

func (b *guardedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && b.ex.bodyErr == nil {
		b.ex.bodyErr = bodyError(err, b.max, b.ex.route.Name)
	}
	return n, err
}

// bodyError is the reason of a failed body read.
func bodyError(err error, max int64, route string) *reason.Error {
	var tooLarge *http.MaxBytesError
	var re *reason.Error
	switch {
	case errors.As(err, &tooLarge):
		return reason.New(reason.RequestBodyTooLarge, "the body is larger than route '%s' takes (%d bytes)", route, max)
	case errors.As(err, &re):
		return re
	case isTimeout(err):
		return reason.New(reason.RequestBodyTimeout, "the request body came too slowly")
	}
	return reason.New(reason.RequestBodyMalformed, "the request body could not be read (broken chunked encoding or a cut connection)")
}
