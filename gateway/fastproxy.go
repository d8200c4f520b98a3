package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/net/http/httpguts"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/internal/tracing"
)

// upstream is a route's target: the reverse proxy net/http's engine
// forwards with, and the HostClient of the fast engine. Both send the
// request rewrite makes and clean the answer with upstreamAnswer.
type upstream struct {
	proxy  http.Handler
	fast   *fasthttp.HostClient
	target *url.URL
	route  string
	// forwardAuthorization and preserveHost are the route's settings.
	forwardAuthorization, preserveHost bool
	g                                  *Gateway
}

// newUpstream is the target of route rc at u. HostClients are shared by
// the routes of one upstream host and timeout (clients).
func (g *Gateway) newUpstream(u *url.URL, transport http.RoundTripper, rc *config.Route, clients map[string]*fasthttp.HostClient) *upstream {
	key := u.Scheme + "://" + u.Host + "|" + rc.UpstreamTimeout.String()
	if clients[key] == nil {
		clients[key] = newHostClient(u, rc.UpstreamTimeout)
	}
	return &upstream{
		proxy:                g.newProxy(u, transport, rc.ForwardAuthorization, rc.PreserveHost),
		fast:                 clients[key],
		target:               u,
		route:                rc.Name,
		forwardAuthorization: rc.ForwardAuthorization,
		preserveHost:         rc.PreserveHost,
		g:                    g,
	}
}

// newHostClient is the fast engine's client of one upstream host. It
// retries only what net/http's transport retries: a request without a
// body whose method is safe, when a kept-alive connection turned out
// closed before any answer. fasthttp cannot tell that a pooled
// connection died while idle (net/http's transport notices at once), so
// the first one found dead drops the idle pool — after an upstream
// restart they all are — and idle connections are not kept past 4 s
// (Node's servers close theirs after 5). A connection that brought a
// malformed answer is closed, never reused. The answer's head is read
// into a buffer of maxUpstreamHead, so a larger one fails (502), as on
// net/http. timeout bounds the wait for the answer's head, as on
// net/http: ServeHTTP lifts the read deadline once the head is in
// (headRead), so a stream may go on.
func newHostClient(u *url.URL, timeout time.Duration) *fasthttp.HostClient {
	addr := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		addr = net.JoinHostPort(u.Hostname(), port)
	}
	hc := &fasthttp.HostClient{
		Addr:                          addr,
		IsTLS:                         u.Scheme == "https",
		NoDefaultUserAgentHeader:      true,
		DisableHeaderNamesNormalizing: true,
		DisablePathNormalizing:        true,
		StreamResponseBody:            true,
		MaxConns:                      1024,
		MaxIdleConnDuration:           4 * time.Second,
		MaxConnWaitTimeout:            timeout,
		ReadTimeout:                   timeout,
		ReadBufferSize:                maxUpstreamHead,
		WriteBufferSize:               4 << 10,
		MaxIdemponentCallAttempts:     3,
		Dial: func(addr string) (net.Conn, error) {
			c, err := fasthttp.DialTimeout(addr, 5*time.Second)
			if err != nil {
				return nil, err
			}
			return upstreamConn{Conn: c, local: &connAddr{Addr: c.LocalAddr(), conn: c}}, nil
		},
	}
	hc.RetryIfErr = func(req *fasthttp.Request, attempts int, err error) (bool, bool) {
		m := string(req.Header.Method())
		safe := m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
		// The connection ended before any answer (fasthttp names that
		// io.EOF here, ErrConnectionClosed to the caller).
		closed := errors.Is(err, io.EOF) || errors.Is(err, fasthttp.ErrConnectionClosed)
		if closed {
			hc.CloseIdleConnections()
		}
		return false, safe && req.BodyStream() == nil && len(req.Body()) == 0 && closed
	}
	return hc
}

// ServeHTTP forwards r: through the HostClient when the fast engine
// serves it, else through the reverse proxy. With tracing on, the
// upstream request has its client span and traceparent on either path
// (tracing.Transport on the reverse proxy's).
func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fw := fastWriterOf(w)
	if fw == nil {
		u.proxy.ServeHTTP(&keptHeader{ResponseWriter: w, own: w.Header().Clone()}, r)
		return
	}
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	u.upstreamRequest(req, r)
	if u.g.state.tracer != nil {
		ctx, span := u.startSpan(r, &req.Header)
		status, err := u.forward(w, fw, r, req)
		tracing.EndClientSpan(ctx, span, status, err)
		return
	}
	u.forward(w, fw, r, req)
}

// upstreamRequest makes req, the fasthttp request sent upstream for r:
// the client's header lines that are not hop-by-hop and that forwards
// keeps, copied as they are,
// then rewrite's URL, Host and lines — the rules the reverse proxy
// applies, from the same code, without an http.Header of its own.
func (u *upstream) upstreamRequest(req *fasthttp.Request, r *http.Request) {
	g := u.g
	head := &req.Header
	head.DisableSpecialHeader()
	head.DisableNormalizing() // the names are canonical already
	head.SetMethod(r.Method)
	connection := r.Header["Connection"]
	for name, values := range r.Header {
		if name == "Content-Length" || hopByHop(name, connection) || !g.forwards(name, r, u.forwardAuthorization) {
			continue
		}
		if name == "User-Agent" {
			// net/http's client writes the first one, if not empty.
			values = values[:1]
			if values[0] == "" {
				continue
			}
		}
		for _, v := range values {
			head.Add(name, v)
		}
	}
	if keepsTrailers(r.Header) {
		head.Add("Te", "trailers") // as net/http's proxy does
	}
	target := *r.URL
	target.RawQuery = cleanQuery(target.RawQuery)
	out := &http.Request{URL: &target}
	g.rewrite(&httputil.ProxyRequest{In: r, Out: out}, fastHeader{head}, u.target, u.forwardAuthorization, u.preserveHost)
	req.SetRequestURI(target.RequestURI())
	host := out.Host
	if host == "" {
		host = target.Host
	}
	head.Set("Host", host)
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		if r.ContentLength > 0 {
			head.Set("Content-Length", strconv.FormatInt(r.ContentLength, 10))
		} else {
			head.Set("Transfer-Encoding", "chunked")
			if len(r.Trailer) > 0 {
				// Announced as net/http's client announces them; their
				// values do not reach the upstream from either engine
				// (the proxy's copy of the request has none).
				head.Set("Trailer", strings.Join(slices.Sorted(maps.Keys(r.Trailer)), ","))
			}
		}
		req.SetBodyStream(r.Body, int(r.ContentLength))
	}
}

// cleanQuery is the query httputil.ReverseProxy sends upstream for the
// client's raw query (its cleanQueryParams): as it came, unless net/url
// could read it otherwise than an upstream would (a ';', a '%' not
// followed by two hex digits, more than maxQueryParams pairs); then
// re-encoded from the pairs that parse, in key order. A pair the gateway
// could not read, such as an API key after a ';', never reaches the
// upstream.
func cleanQuery(raw string) string {
	if strings.Count(raw, "&") >= maxQueryParams {
		return reencodeQuery(raw)
	}
	for i := 0; i < len(raw); {
		switch raw[i] {
		case ';':
			return reencodeQuery(raw)
		case '%':
			if i+2 >= len(raw) || !isHex(raw[i+1]) || !isHex(raw[i+2]) {
				return reencodeQuery(raw)
			}
			i += 3
		default:
			i++
		}
	}
	return raw
}

// maxQueryParams is net/url's default limit on the pairs of a query.
const maxQueryParams = 10000

// reencodeQuery is raw's pairs that parse, encoded again.
func reencodeQuery(raw string) string {
	v, _ := url.ParseQuery(raw)
	return v.Encode()
}

// isHex reports whether c is a hexadecimal digit.
func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// fastHeader is a headerOut on the fast engine's upstream request.
type fastHeader struct{ h *fasthttp.RequestHeader }

// Set implements headerOut.
func (f fastHeader) Set(name, value string) {
	f.h.Del(name)
	f.h.Add(name, value)
}

// startSpan starts the client span of the upstream request of r, whose
// header is head: StartClientSpan writes the trace context into a header
// map holding the request's trace fields, which then replace head's.
func (u *upstream) startSpan(r *http.Request, head *fasthttp.RequestHeader) (context.Context, trace.Span) {
	fields := tracing.Propagator.Fields()
	carried := make(http.Header, len(fields))
	for _, f := range fields {
		f = textproto.CanonicalMIMEHeaderKey(f)
		if v, ok := r.Header[f]; ok {
			carried[f] = v
		}
	}
	ctx, span := tracing.StartClientSpan(r.Context(), u.g.state.tracer, "upstream", r.Method, u.target.Hostname(), carried)
	for _, f := range fields {
		f = textproto.CanonicalMIMEHeaderKey(f)
		head.Del(f)
		for _, v := range carried[f] {
			head.Add(f, v)
		}
	}
	return ctx, span
}

// forward sends req, the upstream request of r, through the HostClient
// and writes the answer to w; it returns the upstream's status, or the
// error that stood for an answer.
func (u *upstream) forward(w http.ResponseWriter, fw *fastWriter, r *http.Request, req *fasthttp.Request) (int, error) {
	g := u.g
	resp := fasthttp.AcquireResponse()
	resp.Header.SetNoDefaultContentType(true) // only a Content-Type the upstream sent
	start := time.Now()
	err := u.fast.Do(req, resp)
	ex := exchangeOf(r)
	if err != nil {
		fasthttp.ReleaseResponse(resp)
		if errors.Is(err, fasthttp.ErrTimeout) {
			// Named as net/http's timeouts are, for upstreamError's 504.
			err = fmt.Errorf("no answer within upstream_timeout: %w", os.ErrDeadlineExceeded)
		}
		observeUpstream(g.state.Metrics.upstream, u.route, start, 0, err)
		g.upstreamError(w, r, err)
		return 0, err
	}
	status := resp.StatusCode()
	if status == http.StatusSwitchingProtocols {
		// An upgrade the request did not ask for (the fast engine
		// serves no upgrade), which net/http's proxy refuses (502).
		fasthttp.ReleaseResponse(resp)
		err := errors.New("the upstream switched protocols unasked")
		observeUpstream(g.state.Metrics.upstream, u.route, start, 0, err)
		g.upstreamError(w, r, err)
		return 0, err
	}
	observeUpstream(g.state.Metrics.upstream, u.route, start, status, nil)
	var connection []string
	for k, v := range resp.Header.All() {
		if headerName(k) == "Connection" {
			connection = append(connection, string(v))
		}
	}
	// The gateway's own headers first (WriteHeader), then the answer's
	// lines the rules keep, as net/http's proxy adds them.
	w.WriteHeader(status)
	for k, v := range resp.Header.All() {
		if name := headerName(k); !hopByHop(name, connection) && g.answerKeeps(name, ex) {
			fw.add(name, string(v))
		}
	}
	if body := resp.BodyStream(); body != nil {
		headRead(resp)
		if n := resp.Header.ContentLength(); n >= 0 && n <= smallAnswer {
			fw.whole(upstreamBody{resp}, n)
			return status, nil
		}
		// Chunked when its length is unknown, whether chunked or
		// delimited by the upstream's close (-2, which fasthttp would
		// answer by closing the client's connection too), as net/http
		// answers it.
		fw.stream(upstreamBody{resp}, max(resp.Header.ContentLength(), -1))
		return status, nil
	}
	if r.Method == http.MethodHead {
		// The length of the answer a GET would have had, as the
		// upstream declared it.
		if n := resp.Header.ContentLength(); n >= 0 {
			fw.ctx.Response.Header.SetContentLength(n)
		}
		fw.ctx.Response.SkipBody = true
	} else {
		fw.ctx.Response.SetBody(resp.Body())
	}
	fasthttp.ReleaseResponse(resp)
	return status, nil
}

// smallAnswer is the largest upstream answer body, of a length the
// answer declares, that the fast engine reads whole before it answers,
// instead of streaming it: most API answers. Like a streamed body, and
// as on net/http, it is not bounded by upstream_timeout, which bounds
// the wait for the head; a longer body streams.
const smallAnswer = 4 << 10

// upstreamConn is a connection to an upstream. fasthttp tells a response
// nothing of its connection but the addresses, so the local address
// carries the connection (connAddr) for headRead; it is made once, at
// the dial, as fasthttp asks for it with every answer.
type upstreamConn struct {
	net.Conn
	local *connAddr
}

func (c upstreamConn) LocalAddr() net.Addr { return c.local }

// connAddr is the local address of an upstreamConn, and the connection.
type connAddr struct {
	net.Addr
	conn net.Conn
}

// headRead lifts the read deadline (upstream_timeout) of the connection
// whose answer's head resp holds, while its body streams: the connection
// is resp's until the stream is closed, and fasthttp sets the deadline
// again before the next answer it reads there.
func headRead(resp *fasthttp.Response) {
	if a, ok := resp.LocalAddr().(*connAddr); ok {
		a.conn.SetReadDeadline(time.Time{})
	}
}

// upstreamBody is a streamed upstream answer's body; closing it gives
// the response (and its connection) back.
type upstreamBody struct{ resp *fasthttp.Response }

func (b upstreamBody) Read(p []byte) (int, error) { return b.resp.BodyStream().Read(p) }

func (b upstreamBody) Close() error {
	err := b.resp.CloseBodyStream()
	fasthttp.ReleaseResponse(b.resp)
	return err
}

// keptHeader is the ResponseWriter of net/http's reverse proxy: the
// lines the gateway set before forwarding (own: Request-Id, RateLimit,
// DPoP-Nonce) are set again, where missing, on the final answer.
// httputil.ReverseProxy clears the whole header after it passes on an
// interim answer (the upstream's 100 Continue to a forwarded Expect, a
// 103), and the final answer lost them; the fast engine's keeps them.
type keptHeader struct {
	http.ResponseWriter
	own http.Header
}

func (k *keptHeader) WriteHeader(code int) {
	if code >= http.StatusOK {
		h := k.Header()
		for name, values := range k.own {
			if _, ok := h[name]; !ok {
				h[name] = values
			}
		}
	}
	k.ResponseWriter.WriteHeader(code)
}

// Unwrap gives http.ResponseController the writer underneath.
func (k *keptHeader) Unwrap() http.ResponseWriter { return k.ResponseWriter }

// hopHeaders are the hop-by-hop headers (RFC 9110 §7.6.1), as
// httputil.ReverseProxy removes them.
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// hopByHop reports whether a header line named name (canonical) is
// hop-by-hop: one of hopHeaders, or a name the message's Connection
// field (its values, connection) lists, as httputil.ReverseProxy removes
// them.
func hopByHop(name string, connection []string) bool {
	if slices.Contains(hopHeaders, name) {
		return true
	}
	for _, v := range connection {
		for listed := range strings.SplitSeq(v, ",") {
			listed = textproto.TrimString(listed)
			// Canonicalised (an allocation) only when it may be name.
			if strings.EqualFold(listed, name) && textproto.CanonicalMIMEHeaderKey(listed) == name {
				return true
			}
		}
	}
	return false
}

// keepsTrailers reports whether a request's Te field lists trailers (a
// token of it, in any case), the one Te value a proxy passes on, as
// net/http's does.
func keepsTrailers(h http.Header) bool {
	return httpguts.HeaderValuesContainsToken(h["Te"], "trailers")
}
