package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/net/http/httpguts"

	"github.com/authgate/authgate/config"
)

// The fast engine serves a plain-HTTP/1.1 listener with fasthttp instead
// of net/http. It is an adapter at the edge, not a second request path:
// each request is turned into the *http.Request the chain reads (every
// value copied out of fasthttp's reused buffers), the chain runs as it
// does on net/http, and its answer is written back into the RequestCtx.
// Only forwarding differs: a route's upstream is reached through a
// fasthttp.HostClient (fastUpstream) instead of httputil.ReverseProxy,
// with the same rewrite of the request and the same cleaning of the
// answer.

// fastPreread is what fasthttp reads of a request body before the
// handler runs (it reads at least a byte of a body of known length): the
// rest streams to the handler, bounded there by the route's
// max_body_bytes and GuardBodies' waits, like on net/http.
const fastPreread = 1

// NewFastServer returns a fasthttp server for h with the configuration's
// limits, each set explicitly: the request head (request line, headers
// and the blank line) is at most max_header_bytes, to the byte, as on
// net/http (a connection holds a buffer of fastHeadBuffer for it, and
// one whose head is larger goes on with a server of large heads:
// fasthead.go); header names reach hygiene as the client spelled them;
// bodies past fastPreread stream; read_header_timeout bounds the head,
// idle_timeout keep-alives, GuardBodies the body; at most
// server.max_connections are served at once (per-client caps are the
// listener's, internal/app). Parse failures are answered like net/http
// answers them: a bare status and a closed connection. A request is
// judged before its body is read (judgeFirst); where fasthttp still
// reads a body's first byte before the handler (expectFirst says when),
// it waits for it at most body_idle_timeout (a 408 after).
func NewFastServer(cfg *config.Config, h http.Handler, log *slog.Logger) *FastServer {
	s := &FastServer{none: &noConns{closed: make(chan struct{})}}
	s.srv = newFastHTTP(cfg, h, log, fastHeadBuffer, s.serveLargeHead)
	s.large = newFastHTTP(cfg, h, log, cfg.MaxHeaderBytes, nil)
	return s
}

// newFastHTTP is a fasthttp server of NewFastServer's, whose connections
// read request heads into buffers of readBuffer bytes; large, when set,
// is asked to serve a connection whose head did not fit (it reports
// whether it did).
func newFastHTTP(cfg *config.Config, h http.Handler, log *slog.Logger, readBuffer int, large func(*fasthttp.RequestCtx, error) bool) *fasthttp.Server {
	firstByte := fasthttp.RequestConfig{ReadTimeout: min(cfg.Server.BodyIdleTimeout, cfg.Server.ReadHeaderTimeout)}
	guarded := GuardBodies(h, cfg.Server.BodyIdleTimeout, cfg.Server.BodyTimeout)
	return &fasthttp.Server{
		HeaderReceived: func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
			if p := h.Protocol(); p[5] == '1' && p[7] > '1' {
				// net/http serves HTTP/1.2 to 1.9 as HTTP/1.1 (keep-alive,
				// 100 Continue); fasthttp would take it for HTTP/1.0.
				h.SetProtocol("HTTP/1.1")
				if !asksClose(h) {
					h.ResetConnectionClose()
				}
			}
			switch n := h.ContentLength(); {
			case n > 0:
				expectFirst(h, true)
				return firstByte
			case n == -1:
				expectFirst(h, false)
			case len(h.Peek("Expect")) > 0:
				// No body to wait for: net/http sends no 100 Continue, and
				// fasthttp, which would judge the request first and then
				// close the connection, is not to see the expectation (the
				// chain still does: copyHeader reads the head as sent).
				h.Del("Expect")
			}
			return fasthttp.RequestConfig{}
		},
		ExpectHandler: func(ctx *fasthttp.RequestCtx) int { return judgeFirst(guarded, ctx) },
		Handler:       fastHandler(guarded),
		ErrorHandler: func(ctx *fasthttp.RequestCtx, err error) {
			if !resume(ctx, err) && (large == nil || !large(ctx, err)) {
				fastParseError(ctx, err)
			}
		},
		ReadBufferSize:                readBuffer,
		WriteBufferSize:               4 << 10,
		ReadTimeout:                   cfg.Server.ReadHeaderTimeout,
		IdleTimeout:                   cfg.Server.IdleTimeout,
		MaxRequestBodySize:            fastPreread,
		StreamRequestBody:             true,
		DisableHeaderNamesNormalizing: true,
		DisablePreParseMultipartForm:  true,
		ReduceMemoryUsage:             true,
		NoDefaultServerHeader:         true,
		NoDefaultContentType:          true,
		Concurrency:                   cfg.Server.MaxConnections,
		CloseOnShutdown:               true,
		SecureErrorLogMessage:         true,
		Logger:                        fastLogger{log},
	}
}

// asksClose reports whether a Connection line of h, as the client sent
// it, lists close.
func asksClose(h *fasthttp.RequestHeader) bool {
	for k, v := range h.AllInOrder() {
		if strings.EqualFold(string(k), "Connection") && httpguts.HeaderValuesContainsToken([]string{string(v)}, "close") {
			return true
		}
	}
	return false
}

// FastServer is the fast engine's server: fasthttp's, serving each
// connection through a fastConn, and the one a connection goes on with
// after a head larger than fastHeadBuffer (large), which serves from
// none, a listener that accepts nothing: fasthttp shuts a server's
// connections down only when it has a listener to close.
type FastServer struct {
	srv, large *fasthttp.Server
	none       *noConns
}

// Serve serves the connections ln accepts until Shutdown.
func (s *FastServer) Serve(ln net.Listener) error {
	go s.large.Serve(s.none)
	return s.srv.Serve(fastListener{ln})
}

// Shutdown stops accepting connections and waits for those open to end.
func (s *FastServer) Shutdown() error { return s.ShutdownWithContext(context.Background()) }

// ShutdownWithContext is Shutdown, bounded by ctx. Both servers shut down
// at once: a connection the large one serves stays open on the other
// until then.
func (s *FastServer) ShutdownWithContext(ctx context.Context) error {
	large := make(chan error, 1)
	go func() { large <- s.large.ShutdownWithContext(ctx) }()
	err := s.srv.ShutdownWithContext(ctx)
	s.none.Close()
	return errors.Join(err, <-large)
}

// noConns is a listener that accepts nothing until it is closed.
type noConns struct {
	once   sync.Once
	closed chan struct{}
}

func (l *noConns) Accept() (net.Conn, error) {
	<-l.closed
	return nil, net.ErrClosed
}

func (l *noConns) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *noConns) Addr() net.Addr { return &net.TCPAddr{} }

// fastListener accepts fastConns.
type fastListener struct{ net.Listener }

func (l fastListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &fastConn{Conn: c, largeHead: largeHead{recent: lastBytes{size: fastHeadBuffer}}}, nil
}

// errHTTPVersion is a request of an HTTP version other than 1.x, which
// both engines answer with 505.
var errHTTPVersion = errors.New("unsupported protocol version")

// fastParseError answers a request fasthttp could not read: 431 for a
// head past max_header_bytes, 408 for one that came too slowly, 505 for
// an HTTP version other than 1.x, 501 for
// an HTTP/1.1 Transfer-Encoding other than chunked, 400 otherwise (duplicate Content-Length, a bad Transfer-Encoding, a
// malformed line) — the statuses net/http answers with, and never the
// request's own bytes.
func fastParseError(ctx *fasthttp.RequestCtx, err error) {
	status := http.StatusBadRequest
	var small *fasthttp.ErrSmallBuffer
	switch {
	case errors.As(err, &small):
		status = http.StatusRequestHeaderFieldsTooLarge
	case errors.Is(err, errHTTPVersion):
		status = http.StatusHTTPVersionNotSupported
	case isTimeout(err):
		status = http.StatusRequestTimeout
	case errors.Is(err, fasthttp.ErrUnsupportedTransferEncoding) && ctx.Request.Header.IsHTTP11():
		status = http.StatusNotImplemented // a coding it does not know (RFC 9112 §6.1)
	}
	ctx.Response.Reset()
	ctx.SetStatusCode(status)
	ctx.SetContentType("text/plain; charset=utf-8")
	ctx.SetBodyString(strconv.Itoa(status) + " " + http.StatusText(status))
	ctx.SetConnectionClose()
}

// fastLogger passes fasthttp's own messages (connection-level failures,
// SecureErrorLogMessage: without request contents) to the log, bounded.
type fastLogger struct{ log *slog.Logger }

func (l fastLogger) Printf(format string, args ...any) {
	if l.log != nil {
		l.log.Debug("fasthttp", "message", fmt.Sprintf("%.512s", fmt.Sprintf(format, args...)))
	}
}

// fastHandler adapts h to fasthttp. A request judged before its body
// was read (judgeFirst) resumes instead.
func fastHandler(h http.Handler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		if resume(ctx, nil) {
			return
		}
		r, err := fastRequest(ctx, nil)
		if err != nil {
			fastParseError(ctx, err)
			return
		}
		serveFast(h, ctx, r)
	}
}

// serveFast serves r, ctx's request, with h, answering into ctx; an
// "OPTIONS *", and an Expect value without 100-continue, are answered as
// net/http's server answers them, without h.
func serveFast(h http.Handler, ctx *fasthttp.RequestCtx, r *http.Request) {
	switch {
	case r.RequestURI == "*" && r.Method == http.MethodOptions:
		h = asteriskOptions
	case len(r.Header["Expect"]) > 0 && !asksContinue([]byte(r.Header["Expect"][0])):
		h = expectationFailed
	}
	w := &fastWriter{ctx: ctx, header: make(http.Header, 8)}
	h.ServeHTTP(w, r)
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
}

// asteriskOptions answers "OPTIONS *", a question about the server, as
// net/http's server does before any handler (its globalOptionsHandler):
// 200 without a body, the request's body read up to 4 KiB, and the
// connection closed when the body is longer or could not be read (on
// net/http MaxBytesReader closes it; fasthttp would read the rest and go
// on with the next request).
var asteriskOptions = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Length", "0")
	if r.ContentLength != 0 {
		if _, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, 4<<10)); err != nil {
			w.Header().Set("Connection", "close")
		}
	}
})

// expectationFailed answers a request whose expectation net/http's
// server does not know (its Expect, the first line, has no 100-continue
// token) as it does before any handler: 417, and the connection closed.
var expectationFailed = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Connection", "close")
	w.WriteHeader(http.StatusExpectationFailed)
})

// fastRequest is the *http.Request of ctx, as net/http would build it
// from the same bytes: header names canonicalised the same way
// (textproto, which keeps '_' spellings apart), one entry per header
// line in the order received, Host taken out of the headers, a chunked
// body announced by TransferEncoding. Every string is a copy: nothing in
// it points into fasthttp's buffers, which the next request on the
// connection reuses. The body is read in place while the handler runs
// (a short body is copied; fastBody), or is awaited when the request is
// judged before fasthttp reads it (judgeFirst).
func fastRequest(ctx *fasthttp.RequestCtx, awaited io.ReadCloser) (*http.Request, error) {
	head := &ctx.Request.Header
	uri := string(head.RequestURI())
	u, err := requestURL(uri)
	if err != nil {
		return nil, err
	}
	r := &http.Request{ // on the stack: the request is WithContext's copy
		Method:     methodOf(head.Method()),
		URL:        u,
		RequestURI: uri,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:     make(http.Header, head.Len()+1), // and the Request-Id the chain adds
		RemoteAddr: remoteAddr(ctx),
		Body:       http.NoBody,
	}
	if !head.IsHTTP11() {
		// fasthttp reads any well-formed HTTP/d.d; net/http serves
		// only HTTP/1.x (HeaderReceived made 1.2 to 1.9 HTTP/1.1).
		if string(head.Protocol()) != "HTTP/1.0" {
			return nil, errHTTPVersion
		}
		r.Proto, r.ProtoMinor = "HTTP/1.0", 0
	}
	if !copyHeader(r.Header, head) {
		return nil, errors.New("a malformed header field name") // as net/http refuses it
	}
	switch hosts := r.Header["Host"]; {
	case len(hosts) > 1:
		return nil, errors.New("several Host headers")
	case len(hosts) == 1 && !httpguts.ValidHostHeader(hosts[0]):
		return nil, errors.New("a malformed Host header") // as net/http refuses it
	case len(hosts) == 0 && u.Host == "" && r.ProtoMinor == 1:
		// fasthttp checks this for HTTP/1.1 only, not for 1.2 to 1.9,
		// which HeaderReceived made HTTP/1.1 after.
		return nil, errors.New("missing required Host header")
	case u.Host != "":
		r.Host = u.Host
	case len(hosts) == 1:
		r.Host = hosts[0]
	}
	delete(r.Header, "Host")
	if _, coded := r.Header["Transfer-Encoding"]; coded {
		if head.ContentLength() != -1 {
			// fasthttp takes "identity" for no coding, and the body
			// for the next request; net/http answers 501.
			return nil, fasthttp.ErrUnsupportedTransferEncoding
		}
		delete(r.Header, "Transfer-Encoding")
		r.TransferEncoding = []string{"chunked"}
		r.Trailer = declaredTrailer(r.Header)
	}
	if n := head.ContentLength(); n == -1 || n > 0 {
		r.ContentLength = int64(n)
		r.Body = awaited
		if awaited == nil {
			r.Body = io.NopCloser(fastBody(ctx))
		}
	}
	return r.WithContext(preparedContext()), nil
}

// declaredTrailer takes the Trailer lines out of h, a chunked request's
// header, and gives the names they declare, without values, as
// net/http's server makes a request's Trailer (fasthttp's parser refused
// the names a trailer cannot carry); nil when none are declared.
func declaredTrailer(h http.Header) http.Header {
	lines, ok := h["Trailer"]
	if !ok {
		return nil
	}
	delete(h, "Trailer")
	var trailer http.Header
	for _, line := range lines {
		for name := range strings.SplitSeq(line, ",") {
			if name = textproto.TrimString(name); name != "" {
				if trailer == nil {
					trailer = http.Header{}
				}
				trailer[textproto.CanonicalMIMEHeaderKey(name)] = nil
			}
		}
	}
	return trailer
}

// preparedContext is the context of a request an engine's adapter makes:
// a background context holding an unused exchange, which withExchange
// fills in instead of copying the request to add one.
func preparedContext() context.Context {
	return context.WithValue(context.Background(), exchangeKey{}, new(exchange))
}

// requestURL is url.ParseRequestURI(uri), without the parse for the
// target most requests have: a path that starts with '/' and holds only
// characters that need no escaping, then perhaps a query without control
// characters. Anything else is parsed by net/url.
func requestURL(uri string) (*url.URL, error) {
	path, query, hasQuery := strings.Cut(uri, "?")
	if path == "" || path[0] != '/' || strings.ContainsFunc(path, needsParse) || strings.ContainsFunc(query, isCTL) {
		return url.ParseRequestURI(uri)
	}
	return &url.URL{Path: path, RawQuery: query, ForceQuery: hasQuery && query == ""}, nil
}

// needsParse reports whether a path holding c needs net/url's parse:
// c is neither unreserved nor a reserved character that stays unescaped
// in a path.
func needsParse(c rune) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return false
	}
	switch c {
	case '-', '_', '.', '~', '$', '&', '+', ',', '/', ':', ';', '=', '@':
		return false
	}
	return true
}

// isCTL reports whether c is a control character, which net/url refuses.
func isCTL(c rune) bool { return c < 0x20 || c == 0x7f }

// remoteAddr is the address of ctx's peer, as net/http's RemoteAddr
// gives it, made once a connection.
func remoteAddr(ctx *fasthttp.RequestCtx) string {
	c, ok := ctx.Conn().(*fastConn)
	if !ok {
		return ctx.RemoteAddr().String()
	}
	if c.remote == "" {
		c.remote = ctx.RemoteAddr().String()
	}
	return c.remote
}

// copyHeader adds the header lines of head to h, in the order received.
// They are the lines the client sent (AllInOrder reads the head as it
// came), so an Expect line expectFirst put in or respelled is never one
// of them. head is scanned once; the values are copied into one string,
// and each header's first value is a slice of one array: two
// allocations, not two a line. It reports false, copying nothing, when a
// name is no token (fasthttp's parser lets a space inside one by), which
// net/http refuses.
func copyHeader(h http.Header, head *fasthttp.RequestHeader) bool {
	var room [16]headerLine // most requests: no allocation for the lines
	lines, size := room[:0], 0
	for k, v := range head.AllInOrder() {
		if !isToken(k) {
			return false
		}
		lines = append(lines, headerLine{k, v})
		size += len(v)
	}
	var b strings.Builder
	b.Grow(size)
	for _, l := range lines {
		b.Write(l.value)
	}
	all, first := b.String(), make([]string, len(lines))
	for _, l := range lines {
		value := all[:len(l.value)]
		all = all[len(l.value):]
		key := headerName(l.name)
		if values, ok := h[key]; ok {
			h[key] = append(values, value)
			continue
		}
		first[0] = value
		h[key], first = first[:1:1], first[1:]
	}
	return true
}

// isToken reports whether b is an RFC 9110 token, as a header field name
// must be (httpguts.ValidHeaderFieldName, without a string).
func isToken(b []byte) bool {
	for _, c := range b {
		if !httpguts.IsTokenRune(rune(c)) {
			return false
		}
	}
	return len(b) > 0
}

// headerLine is a header line as fasthttp holds it (its buffers: valid
// while the request is read).
type headerLine struct{ name, value []byte }

// methodOf is the method m as a string; the common ones cost no
// allocation.
func methodOf(m []byte) string {
	for _, known := range commonMethods {
		if string(m) == known {
			return known
		}
	}
	return string(m)
}

// commonMethods are the methods requests carry most.
var commonMethods = []string{http.MethodGet, http.MethodPost, http.MethodHead, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions}

// fastBody is the body of ctx's request as fasthttp has read it: the
// stream, or a copy of a short body read whole.
func fastBody(ctx *fasthttp.RequestCtx) io.Reader {
	if stream := ctx.RequestBodyStream(); stream != nil {
		return stream
	}
	return bytes.NewReader(bytes.Clone(ctx.Request.Body()))
}

// headerName is the canonical name of a received header name (a copy),
// of a request or an answer, as net/http's textproto makes it; common
// names spelled canonically cost no allocation.
func headerName(k []byte) string {
	if name, ok := commonHeaders[string(k)]; ok {
		return name
	}
	return textproto.CanonicalMIMEHeaderKey(string(k))
}

// commonHeaders are header names clients send on most requests, and
// upstreams on most answers, in canonical spelling.
var commonHeaders = func() map[string]string {
	m := map[string]string{}
	for _, name := range []string{"Accept", "Accept-Encoding", "Accept-Language", "Authorization", "Cache-Control",
		"Connection", "Content-Length", "Content-Type", "Cookie", "Host", "Origin", "Referer", "Request-Id",
		"Traceparent", "User-Agent", "X-Api-Key", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host",
		"X-Original-Method", "X-Original-Uri", "X-Real-Ip",
		"Content-Encoding", "Date", "Etag", "Expires", "Keep-Alive", "Last-Modified", "Location", "Server",
		"Set-Cookie", "Vary"} {
		m[name] = name
	}
	return m
}()

// fastWriter is the http.ResponseWriter of a RequestCtx. The answer is
// buffered in the RequestCtx and written when the handler returns; a
// proxied answer's body is streamed from the upstream (stream).
type fastWriter struct {
	ctx    *fasthttp.RequestCtx
	header http.Header
	wrote  bool
	// typed: the answer's Content-Type is set (the first one given).
	typed bool
}

func (w *fastWriter) Header() http.Header { return w.header }

// WriteHeader copies the status and the headers into the RequestCtx.
// Interim (1xx) answers are not sent, as fasthttp cannot.
func (w *fastWriter) WriteHeader(code int) {
	if w.wrote || code < 200 {
		return
	}
	w.wrote = true
	w.ctx.SetStatusCode(code)
	if text := statusText(code); text != fasthttp.StatusMessage(code) {
		w.ctx.Response.Header.SetStatusMessage([]byte(text))
	}
	for name, values := range w.header {
		for _, v := range values {
			w.add(name, v)
		}
	}
	if w.ctx.IsHead() {
		// The length a handler declares on an answer to HEAD without a
		// body (the status-only decision's 0) goes out, as net/http
		// sends it: fasthttp writes none for an empty body it skips. A
		// body written after all the same is fasthttp's to measure.
		if n, err := strconv.Atoi(w.header.Get("Content-Length")); err == nil && n >= 0 {
			w.ctx.Response.Header.SetContentLength(n)
		}
	}
}

// statusText is the reason phrase net/http's server writes after code:
// its own for a status it does not know ("status code 299"), where
// fasthttp writes "Unknown Status Code".
func statusText(code int) string {
	if text := http.StatusText(code); text != "" {
		return text
	}
	return "status code " + strconv.Itoa(code)
}

// add adds a line named name (canonical) to the answer's header, once
// the status is written: the length and the framing are fasthttp's to
// write, Connection only says whether to close.
func (w *fastWriter) add(name, value string) {
	out := &w.ctx.Response.Header
	switch name {
	case "Content-Length", "Transfer-Encoding":
	case "Connection":
		if strings.Contains(strings.ToLower(value), "close") {
			w.ctx.SetConnectionClose()
		}
	case "Content-Type":
		if !w.typed {
			w.typed = true
			out.SetContentType(value)
		}
	default:
		out.Add(name, value)
	}
}

func (w *fastWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ctx.Write(p)
}

// Flush does nothing: the answer goes out when the handler returns (a
// proxied body streams on its own).
func (w *fastWriter) Flush() {}

// SetReadDeadline lets GuardBodies bound the waits for the request body
// (through http.ResponseController).
func (w *fastWriter) SetReadDeadline(t time.Time) error { return w.ctx.SetReadDeadline(t) }

// stream sends body, of size bytes (negative: unknown, sent chunked), as
// the answer's body once the handler has returned; body is closed after.
func (w *fastWriter) stream(body io.Reader, size int) { w.ctx.SetBodyStream(body, size) }

// sniff gives an answer without a Content-Type the one p, its body read
// whole, shows (nothing when p is empty), as net/http does. A streamed
// answer is not sniffed.
func (w *fastWriter) sniff(p []byte) {
	if !w.typed && len(p) > 0 {
		w.typed = true
		w.ctx.SetContentType(http.DetectContentType(p))
	}
}

// whole reads body, of size bytes, into the answer and closes it. When
// the body ends early, what came is sent as a stream of the announced
// size that then fails, as a streamed body would: the client sees the
// connection close, never a shorter answer that looks whole.
func (w *fastWriter) whole(body io.ReadCloser, size int) {
	defer body.Close()
	chunk := chunks.Get().(*[512]byte)
	defer chunks.Put(chunk)
	out := &w.ctx.Response
	for read := 0; read < size; {
		n, err := body.Read(chunk[:min(len(chunk), size-read)])
		out.AppendBody(chunk[:n])
		read += n
		if err != nil && read < size {
			w.sniff(out.Body())
			w.stream(io.MultiReader(bytes.NewReader(bytes.Clone(out.Body())), failedRead{err}), size)
			return
		}
	}
	w.sniff(out.Body())
}

// chunks are whole's buffers.
var chunks = sync.Pool{New: func() any { return new([512]byte) }}

// failedRead is a reader that fails with err.
type failedRead struct{ err error }

func (f failedRead) Read([]byte) (int, error) { return 0, f.err }

// fastWriterOf finds the fastWriter under w's wrappers; nil when w is
// net/http's.
func fastWriterOf(w http.ResponseWriter) *fastWriter {
	for {
		switch v := w.(type) {
		case *fastWriter:
			return v
		case interface{ Unwrap() http.ResponseWriter }:
			w = v.Unwrap()
		default:
			return nil
		}
	}
}
