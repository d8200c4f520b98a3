package gateway

import (
	"bytes"
	"io"
	"net"
	"net/http"

	"github.com/valyala/fasthttp"
)

// A request that announces "Expect: 100-continue" is judged before its
// body is asked for, as on net/http (which sends 100 Continue at the
// handler's first read of the body): fasthttp calls ExpectHandler once
// the head is read, and reads the body only when it answers 100. So the
// chain starts there, on a goroutine of its own, with a body that waits
// (awaitedBody). If the chain answers without reading the body — a
// refusal, a 413 for a body declared too large — that is the answer, and
// no 100 is sent. At its first read of the body, ExpectHandler answers
// 100, fasthttp reads the body and calls the handler (or, when the body
// could not be read, the error handler), which hands the body over and
// waits for the chain's answer. The connection's goroutine waits for the
// chain at every step, so the chain writes the RequestCtx only while it
// is its own.

// A request that declares a body of known length and no expectation is
// judged the same way, so that it is not kept waiting for its body's
// first byte (which fasthttp reads before the handler runs) when it is
// to be refused: expectQuietly adds an expectation of its own, which the
// request seen by the chain does not carry, and whose 100 Continue the
// connection holds back (fastConn.quiet).

// quietContinue is the value of the Expect header expectQuietly adds.
// fasthttp reads the value without regard to case; a client's own that
// happens to be spelled so is respelled.
const quietContinue = "100-CONTINUE"

// expectQuietly makes fasthttp call ExpectHandler before it reads the
// body of an HTTP/1.1 request without an expectation (HTTP/1.0 has
// none: fasthttp reads the first byte of its body before the handler).
func expectQuietly(h *fasthttp.RequestHeader) {
	if !h.IsHTTP11() {
		return
	}
	switch v := h.Peek("Expect"); {
	case v == nil:
		h.Set("Expect", quietContinue)
	case string(v) == quietContinue:
		h.Set("Expect", "100-continue")
	}
}

// pendingChain is a request's chain waiting for its body.
type pendingChain struct {
	// want is closed at the chain's first read of the body; body then
	// brings the body, or a reader of the error that stood for it.
	want chan struct{}
	body chan io.Reader
	// done is closed when the chain has answered.
	done chan struct{}
}

// awaitedBody is the body of a request whose chain runs before fasthttp
// reads it.
type awaitedBody struct {
	p *pendingChain
	r io.Reader
}

func (b *awaitedBody) Read(buf []byte) (int, error) {
	if b.r == nil {
		close(b.p.want)
		b.r = <-b.p.body
	}
	return b.r.Read(buf)
}

func (b *awaitedBody) Close() error { return nil }

// errReader is a body whose reading failed with err.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// judgeFirst runs h for ctx's request before its body is read: the
// answer's status when h answered without the body (fasthttp sends it,
// with Connection: close), else 100 Continue, with the chain left on
// ctx's connection for resume.
func judgeFirst(h http.Handler, ctx *fasthttp.RequestCtx) int {
	p := &pendingChain{want: make(chan struct{}), body: make(chan io.Reader, 1), done: make(chan struct{})}
	r, err := fastRequest(ctx, &awaitedBody{p: p})
	if err != nil {
		fastParseError(ctx, err)
		return ctx.Response.StatusCode()
	}
	go func() {
		defer close(p.done)
		serveFast(h, ctx, r)
	}()
	select {
	case <-p.done:
		return ctx.Response.StatusCode()
	case <-p.want:
	}
	c := ctx.Conn().(*fastConn)
	c.pending = p
	c.quiet = string(ctx.Request.Header.Peek("Expect")) == quietContinue
	return fasthttp.StatusContinue
}

// resume hands the chain waiting on ctx's connection its body (a reader
// of err when fasthttp could not read it) and waits for its answer; it
// reports whether a chain was waiting.
func resume(ctx *fasthttp.RequestCtx, err error) bool {
	c, _ := ctx.Conn().(*fastConn)
	if c == nil || c.pending == nil {
		return false
	}
	p := c.pending
	c.pending = nil
	if err != nil {
		p.body <- errReader{err}
	} else {
		p.body <- fastBody(ctx)
	}
	<-p.done
	return true
}

// fastConn is a connection the fast engine serves; only its serving
// goroutine uses the fields.
type fastConn struct {
	net.Conn
	// pending is the chain of the request whose body fasthttp is
	// reading (judgeFirst), until resume hands it over.
	pending *pendingChain
	// quiet: the next 100 Continue written is held back (a client that
	// did not ask for one, expectQuietly); held is what was written
	// since that may begin it.
	quiet bool
	held  []byte
}

// continueLine is the interim answer fasthttp writes when ExpectHandler
// lets a body come.
var continueLine = []byte("HTTP/1.1 100 Continue\r\n\r\n")

// Write writes p, without the 100 Continue held back when quiet. A
// failure while a chain waits for its body ends the connection with
// neither the handler nor the error handler called, so the chain gets
// the failure as its body here, and is waited for.
func (c *fastConn) Write(p []byte) (int, error) {
	out := p
	if c.quiet {
		out = append(c.held, p...)
		c.held = nil
		if bytes.HasSuffix(out, continueLine) {
			out, c.quiet = out[:len(out)-len(continueLine)], false
		} else {
			// Hold back an end that may begin the 100 Continue.
			k := min(len(out), len(continueLine)-1)
			for ; k > 0 && !bytes.HasSuffix(out, continueLine[:k]); k-- {
			}
			out, c.held = out[:len(out)-k], bytes.Clone(out[len(out)-k:])
		}
	}
	if len(out) == 0 {
		return len(p), nil
	}
	if _, err := c.Conn.Write(out); err != nil {
		if pending := c.pending; pending != nil {
			c.pending = nil
			pending.body <- errReader{err}
			<-pending.done
		}
		return 0, err
	}
	return len(p), nil
}
