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
// to be refused: expectFirst adds an expectation of its own, which the
// request seen by the chain does not carry, and whose 100 Continue the
// connection holds back (fastConn.quiet). So is an HTTP/1.0 request with
// such a body, which fasthttp would read first whatever it carries (it
// reads no expectation of HTTP/1.0): it is presented to fasthttp as
// HTTP/1.1 until judgeFirst gives it its version back, and gets no 100.
// fasthttp reads the Expect header only under that name, as
// DisableHeaderNamesNormalizing leaves names as sent: a client's
// "expect: 100-continue" is given a line fasthttp reads too.

// The values of the Expect header expectFirst adds: each a spelling of
// 100-continue (fasthttp reads the value without regard to case) that
// says what judgeFirst is to do. A client's own value spelled as one of
// them is respelled.
const (
	// quietContinue: the client asked for no 100; it is held back.
	quietContinue = "100-CONTINUE"
	// askedContinue: the client asked for one under another spelling of
	// the name (expect, EXPECT); it is sent.
	askedContinue = "100-Continue"
	// http10Continue: an HTTP/1.0 request, presented as HTTP/1.1; no 100.
	http10Continue = "100-CONTINUe"
)

// expectMark reports whether v is one of the values expectFirst adds.
func expectMark(v []byte) bool {
	switch string(v) {
	case quietContinue, askedContinue, http10Continue:
		return true
	}
	return false
}

// expectName is the name of the Expect header, as fasthttp reads it.
var expectName = []byte("Expect")

// expectFirst makes fasthttp call ExpectHandler before it reads the body
// of h's request: always when the client asked for 100 Continue, and
// also when it did not if unasked (a body of known length). The client
// asked when 100-continue is a token of its Expect value, as net/http
// reads it (asksContinue), where fasthttp wants the whole value. A request
// that carries an Expect line of another value fasthttp reads is left to
// it (after an HTTP/1.0 one, which fasthttp does not read, the body's
// first byte is still read before the handler).
func expectFirst(h *fasthttp.RequestHeader, unasked bool) {
	var first []byte             // the value of the first Expect line, in any spelling
	found, named := false, false // named: a line spelled Expect, which fasthttp reads
	for k, v := range h.All() {
		if bytes.EqualFold(k, expectName) {
			if !found {
				first, found = v, true
			}
			named = named || bytes.Equal(k, expectName)
		}
	}
	switch {
	case named && h.IsHTTP11():
		// Respelled as fasthttp reads it: a value spelled as a mark,
		// or one that lists 100-continue among others; another value
		// is judged first too, and refused (expectationFailed).
		switch v := h.Peek("Expect"); {
		case expectMark(v) || asksContinue(v):
			h.Set("Expect", "100-continue")
		case unasked:
			h.Set("Expect", quietContinue)
		}
	case !h.IsHTTP11():
		if unasked && string(h.Protocol()) == "HTTP/1.0" {
			h.SetProtocol("HTTP/1.1")
			h.Set("Expect", http10Continue)
		}
	case asksContinue(first):
		h.Set("Expect", askedContinue)
	case unasked:
		h.Set("Expect", quietContinue)
	}
}

// asksContinue reports whether an Expect value asks for 100 Continue as
// net/http's server reads it: 100-continue, in any case, is one of its
// tokens (separated by spaces, tabs or commas).
func asksContinue(v []byte) bool {
	for _, token := range bytes.FieldsFunc(v, func(c rune) bool { return c == ' ' || c == '\t' || c == ',' }) {
		if bytes.EqualFold(token, []byte("100-continue")) {
			return true
		}
	}
	return false
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
	quiet := false
	switch string(ctx.Request.Header.Peek("Expect")) {
	case http10Continue:
		ctx.Request.Header.SetProtocol("HTTP/1.0")
		quiet = true
	case quietContinue:
		quiet = true
	}
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
	c.quiet = quiet
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

// fastConn is a connection the fast engine serves; one goroutine at a
// time uses the fields: the serving one, or the chain it waits for
// (judgeFirst).
type fastConn struct {
	net.Conn
	// pending is the chain of the request whose body fasthttp is
	// reading (judgeFirst), until resume hands it over.
	pending *pendingChain
	// quiet: the next 100 Continue written is held back (a client that
	// did not ask for one, expectFirst); held is what was written
	// since that may begin it.
	quiet bool
	held  []byte
	// largeHead is what the connection needs to go on with the server of
	// large heads (fasthead.go).
	largeHead
	// remote is the peer's address as RemoteAddr spells it, made at the
	// connection's first request and kept for the others.
	remote string
}

// continueLine is the interim answer fasthttp writes when ExpectHandler
// lets a body come.
var continueLine = []byte("HTTP/1.1 100 Continue\r\n\r\n")

// Write writes p, without the 100 Continue held back when quiet. A
// failure while a chain waits for its body ends the connection with
// neither the handler nor the error handler called, so the chain gets
// the failure as its body here, and is waited for.
func (c *fastConn) Write(p []byte) (int, error) {
	if c.handedOver {
		return len(p), nil
	}
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
