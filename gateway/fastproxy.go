package gateway

import (
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
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

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
			return upstreamConn{c}, nil
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
		u.proxy.ServeHTTP(w, r)
		return
	}
	g := u.g
	out := upstreamRequest(r)
	removeHopByHop(out.Header)
	g.rewrite(&httputil.ProxyRequest{In: r, Out: out}, u.target, u.forwardAuthorization, u.preserveHost)
	if tracer := g.state.tracer; tracer != nil {
		ctx, span := tracing.StartClientSpan(r.Context(), tracer, "upstream", out.Method, u.target.Hostname(), out.Header)
		status, err := u.forward(w, fw, r, out)
		tracing.EndClientSpan(ctx, span, status, err)
		return
	}
	u.forward(w, fw, r, out)
}

// forward sends out, the upstream request of r, through the HostClient
// and writes the answer to w; it returns the upstream's status, or the
// error that stood for an answer.
func (u *upstream) forward(w http.ResponseWriter, fw *fastWriter, r, out *http.Request) (int, error) {
	g := u.g
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	req.Header.DisableSpecialHeader()
	req.Header.SetMethod(out.Method)
	req.SetRequestURI(out.URL.RequestURI())
	host := out.Host
	if host == "" {
		host = out.URL.Host
	}
	req.Header.Set("Host", host)
	for name, values := range out.Header {
		if name == "Content-Length" || name == "Host" {
			continue
		}
		for _, v := range values {
			req.Header.Add(name, v)
		}
	}
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		if r.ContentLength > 0 {
			req.Header.Set("Content-Length", strconv.FormatInt(r.ContentLength, 10))
		} else {
			req.Header.Set("Transfer-Encoding", "chunked")
		}
		req.SetBodyStream(r.Body, int(r.ContentLength))
	}

	resp := fasthttp.AcquireResponse()
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
	observeUpstream(g.state.Metrics.upstream, u.route, start, resp.StatusCode(), nil)
	answer := make(http.Header, 8)
	for k, v := range resp.Header.All() {
		key := headerName(k)
		answer[key] = append(answer[key], string(v))
	}
	removeHopByHop(answer)
	g.upstreamAnswer(answer, ex)
	h := w.Header()
	for name, values := range answer {
		h[name] = append(h[name], values...)
	}
	status := resp.StatusCode()
	w.WriteHeader(status)
	if body := resp.BodyStream(); body != nil {
		headRead(resp)
		fw.stream(upstreamBody{resp}, resp.Header.ContentLength())
		return status, nil
	}
	fw.ctx.Response.SetBody(resp.Body())
	fasthttp.ReleaseResponse(resp)
	return status, nil
}

// upstreamConn is a connection to an upstream. fasthttp tells a response
// nothing of its connection but the addresses, so the local address
// carries the connection (connAddr) for headRead.
type upstreamConn struct{ net.Conn }

func (c upstreamConn) LocalAddr() net.Addr { return connAddr{Addr: c.Conn.LocalAddr(), conn: c.Conn} }

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
	if a, ok := resp.LocalAddr().(connAddr); ok {
		a.conn.SetReadDeadline(time.Time{})
	}
}

// upstreamHeaders is how many headers rewrite adds to a request (claim
// headers aside): the
// X-Forwarded-* three, Request-Id, the four identity headers and the
// identity token.
const upstreamHeaders = 9

// upstreamRequest is the copy of r that rewrite turns into the upstream
// request: its own URL and header map (sized for what rewrite adds, so
// that adding costs no growth), the header values shared with r, which
// rewrite and removeHopByHop replace or delete but never change in place.
// r itself stays as the client sent it.
func upstreamRequest(r *http.Request) *http.Request {
	out := new(http.Request)
	*out = *r
	u := *r.URL
	out.URL = &u
	out.Header = make(http.Header, len(r.Header)+upstreamHeaders)
	maps.Copy(out.Header, r.Header)
	return out
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

// hopHeaders are the hop-by-hop headers (RFC 9110 §7.6.1), as
// httputil.ReverseProxy removes them.
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// removeHopByHop removes the hop-by-hop headers from h, and the headers
// a Connection field names, keeping "Te: trailers" as net/http's proxy
// does.
func removeHopByHop(h http.Header) {
	for _, v := range h["Connection"] {
		for _, name := range strings.Split(v, ",") {
			if name = textproto.TrimString(name); name != "" {
				h.Del(name)
			}
		}
	}
	trailers := false
	for _, v := range h["Te"] {
		trailers = trailers || strings.EqualFold(textproto.TrimString(v), "trailers")
	}
	for _, name := range hopHeaders {
		delete(h, name)
	}
	if trailers {
		h["Te"] = []string{"trailers"}
	}
}
