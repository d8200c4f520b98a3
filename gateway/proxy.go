package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/internal/tracing"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/reason"
)

// maxUpstreamHead bounds an upstream answer's head (status line and
// headers), on both engines: the fast engine reads it into a buffer of
// this size, held while the answer is read, so it is what each upstream
// request in flight costs. nginx's proxy_buffer_size is 4 or 8 KiB.
const maxUpstreamHead = 8 << 10

// newTransport is the transport to one upstream host; with h2c it speaks
// HTTP/2 without TLS (prior knowledge) and nothing else. An answer whose
// head is larger than maxUpstreamHead fails (502).
func newTransport(timeout time.Duration, h2c bool) *http.Transport {
	t := &http.Transport{
		Proxy:             nil,
		DialContext:       (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2: true,
		// Enough idle connections for every client connection's request
		// to find one: a proxy that closes them churns upstream
		// connections (and ports) under load.
		MaxIdleConns:        4096,
		MaxIdleConnsPerHost: 1024,
		// A proxy passes bodies through as they are: no gzip of its own.
		DisableCompression:     true,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    5 * time.Second,
		ResponseHeaderTimeout:  timeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: maxUpstreamHead,
	}
	if h2c {
		t.Protocols = new(http.Protocols)
		t.Protocols.SetUnencryptedHTTP2(true)
	}
	return t
}

// measuredTransport counts the upstream requests of one route by status
// class and time to the response headers (and traces them, when tracing
// is on, through next).
type measuredTransport struct {
	next   http.RoundTripper
	route  string
	timing *prometheus.HistogramVec
}

// RoundTrip implements http.RoundTripper.
func (t measuredTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	status := 0
	if err == nil {
		status = resp.StatusCode
	}
	observeUpstream(t.timing, t.route, start, status, err)
	return resp, err
}

// observeUpstream records one upstream request of route: the time from
// start to the answer's headers, by status class ("error" when none came).
func observeUpstream(timing *prometheus.HistogramVec, route string, start time.Time, status int, err error) {
	class := "error"
	if err == nil {
		class = statusClass(status)
	}
	timing.WithLabelValues(route, class).Observe(time.Since(start).Seconds())
}

// statusClass is "2xx" for 200 to 299, and so on.
func statusClass(code int) string {
	if code < 100 || code > 599 {
		return "other"
	}
	return statusClasses[code/100-1]
}

var statusClasses = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

// upstreamTransport is what a route's proxy sends through: measured,
// traced when tracing is on, and with h2c its failures say so.
func (g *Gateway) upstreamTransport(base http.RoundTripper, route string, h2c bool) http.RoundTripper {
	if h2c {
		base = h2cTransport{base}
	}
	if g.state.tracer != nil {
		base = &tracing.Transport{Base: base, Tracer: g.state.tracer, Peer: "upstream"}
	}
	return measuredTransport{next: base, route: route, timing: g.state.Metrics.upstream}
}

// h2cTransport names upstream_h2c in its failures: an upstream that
// speaks only HTTP/1.1 answers HTTP/2's preface with garbage, and the
// operator should not have to guess why.
type h2cTransport struct{ next http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (t h2cTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		err = fmt.Errorf("over HTTP/2 without TLS (upstream_h2c: true; does the upstream speak it?): %w", err)
	}
	return resp, err
}

// newProxy returns the reverse proxy of one route. Identity headers are
// set in Rewrite, which runs after hop-by-hop headers (and any header a
// Connection field names) are removed, so nothing a client sends can
// remove or spoof them.
func (g *Gateway) newProxy(target *url.URL, transport http.RoundTripper, forwardAuthorization, preserveHost bool) http.Handler {
	return &httputil.ReverseProxy{
		Transport:  transport,
		BufferPool: copyBuffers,
		Rewrite: func(pr *httputil.ProxyRequest) {
			// Hop-by-hop lines are gone already (the proxy's own rule,
			// which hopByHop follows on the fast engine); Te: trailers
			// and a WebSocket upgrade are set again.
			for name := range pr.Out.Header {
				if !g.forwards(name, pr.In, forwardAuthorization) {
					delete(pr.Out.Header, name)
				}
			}
			out := &stdHeader{h: pr.Out.Header}
			g.rewrite(pr, out, target, forwardAuthorization, preserveHost)
		},
		ModifyResponse: func(resp *http.Response) error {
			ex := exchangeOf(resp.Request)
			for name := range resp.Header {
				if !g.answerKeeps(name, ex) {
					delete(resp.Header, name)
				}
			}
			if _, typed := resp.Header["Content-Type"]; !typed && (resp.ContentLength < 0 || resp.ContentLength > smallAnswer) {
				// An untyped answer that streams goes out untyped, as on
				// the fast engine: net/http would type it by its first
				// bytes only when they are at hand before the proxy
				// flushes its head, a race. A nil Content-Type stops it.
				ex.writer.Header()["Content-Type"] = nil
			}
			return nil
		},
		ErrorHandler: g.upstreamError,
	}
}

// headerOut is where the rules that write header lines (rewrite,
// identityHeaders) write them, whichever engine carries the message:
// net/http's header map (stdHeader) or the fast engine's upstream
// request (fastHeader). Set replaces every line named name, a canonical
// name, with one line.
type headerOut interface{ Set(name, value string) }

// stdHeader is a headerOut on an http.Header. The first values it sets
// are held in its own array (room): the lines a request or an answer gets
// cost the one allocation of the stdHeader.
type stdHeader struct {
	h    http.Header
	room [stdRoom]string
	used int
}

// stdRoom is how many values a stdHeader holds itself: the X-Forwarded-*
// three, Request-Id and the four identity headers.
const stdRoom = 8

// Set implements headerOut.
func (s *stdHeader) Set(name, value string) {
	if s.used == len(s.room) {
		s.h[name] = []string{value}
		return
	}
	s.room[s.used] = value
	s.h[name] = s.room[s.used : s.used+1 : s.used+1]
	s.used++
}

// forwards reports whether a line named name (canonical, not hop-by-hop)
// of the client's request in goes to the upstream, on either engine: not
// Forwarded (the gateway sets X-Forwarded-* instead, forwarded); not
// Expect from an HTTP/1.0 client, which has no expectations (RFC 9110
// §10.1.1): the upstream is not asked for a 100 Continue, which the
// reverse proxy would pass on to a client that must never get one
// (§15.2); and, unless the route forwards credentials, no spelling of a
// credential header (Authorization and the API-key headers: an upstream
// may read X_API_Key as X-API-Key). The upstream learns who called from
// the identity headers.
func (g *Gateway) forwards(name string, in *http.Request, forwardAuthorization bool) bool {
	switch {
	case name == "Forwarded":
		return false
	case name == "Expect" && !in.ProtoAtLeast(1, 1):
		return false
	}
	return forwardAuthorization || !spellingOf(name, g.credentialHeaders)
}

// rewrite makes the upstream request of pr.In, whose header lines the
// engine's forwarder has already kept only where forwards says so: the
// URL and Host of pr.Out, and in out the lines the gateway sets
// (X-Forwarded-*, Request-Id, the identity headers). Both engines'
// forwarders call it.
func (g *Gateway) rewrite(pr *httputil.ProxyRequest, out headerOut, target *url.URL, forwardAuthorization, preserveHost bool) {
	ex := exchangeOf(pr.In)
	pr.SetURL(target)
	// A bare "?" (an empty query) is not passed on: fasthttp's client
	// cannot send one, so neither engine does.
	pr.Out.URL.ForceQuery = false
	if preserveHost {
		pr.Out.Host = pr.In.Host // the upstream serves several names
	}
	g.forwarded(pr.In, out)
	if q := ex.route.APIKeyQuery; !forwardAuthorization && q != "" && pr.Out.URL.RawQuery != "" {
		// The rest of the query is kept byte for byte.
		pr.Out.URL.RawQuery = withoutQueryParam(pr.Out.URL.RawQuery, q)
	}
	// Client-sent identity headers were removed on the way in
	// (withHygiene); the ones set here are the only ones.
	out.Set(api.RequestIDHeader, ex.requestID)
	g.identityHeaders(out, ex, false)
}

// answerKeeps reports whether a line of the upstream's answer named name
// (canonical) goes to the client, on either engine: not what the
// gateway's own headers already say. The answer carries the gateway's
// Request-Id (set when the request came in), one, never the upstream's
// too; and on a route with a CORS policy, which is the gateway's, not
// the upstream's own Access-Control-* headers, which would duplicate or
// contradict it.
func (g *Gateway) answerKeeps(name string, ex *exchange) bool {
	return name != api.RequestIDHeader && (ex.route.CORS == nil || !strings.HasPrefix(name, "Access-Control-"))
}

// identityHeader is one identity header and the value it carries.
type identityHeader struct {
	name  string
	value func(ex *exchange) string
}

// identityFields are the identity headers (under the prefix) and what
// each carries; an unauthenticated exchange carries none of them.
var identityFields = []identityHeader{
	{api.IdentitySubject, subjectOf},
	{api.IdentityIssuer, func(ex *exchange) string { return ex.identity.Issuer }},
	{api.IdentityScopes, func(ex *exchange) string { return strings.Join(ex.identity.Scopes, " ") }},
	{api.IdentityCredential, func(ex *exchange) string { return ex.identity.Kind + ":" + ex.identity.Fingerprint }},
}

// identityHeaders sets the identity of an authenticated request. With
// always (decision answers), every identity header is set, empty when
// there is no identity: the proxy then overwrites whatever a client sent,
// even proxies that copy only headers present in the answer.
func (g *Gateway) identityHeaders(out headerOut, ex *exchange, always bool) {
	if !ex.authed && !always {
		return
	}
	for _, idh := range g.idHeaders {
		value := ""
		if ex.authed {
			value = idh.value(ex)
		}
		if value != "" || always {
			out.Set(idh.name, headerSafe(value))
		}
	}
	for _, ch := range g.claimHeaders {
		value, _ := policy.ClaimText(ex.identity.Claims, ch.claim)
		if len(value) > maxClaimHeaderBytes {
			value = "" // too long for a header: sent empty, never cut
		}
		if value != "" || always {
			out.Set(ch.header, headerSafe(value))
		}
	}
	if g.identity != nil && (ex.identityToken != "" || always) {
		out.Set(g.identity.header, ex.identityToken)
	}
}

// claimHeader sends one token claim upstream.
type claimHeader struct{ header, claim string }

// maxClaimHeaderBytes bounds a claim sent as a header; a longer one is
// sent empty rather than cut, so the upstream never reads half a value.
const maxClaimHeaderBytes = 1024

// forwarded sets X-Forwarded-For/-Host/-Proto for the upstream request
// of in: the chain a trusted proxy sent is extended; anything an
// untrusted client sent is replaced by what the gateway saw.
func (g *Gateway) forwarded(in *http.Request, out headerOut) {
	p := peer(in)
	proto := "http"
	if in.TLS != nil {
		proto = "https"
	}
	xff := p
	if exchangeOf(in).viaProxy {
		if prior := strings.Join(in.Header.Values("X-Forwarded-For"), ", "); prior != "" {
			xff = prior + ", " + p
		}
		if v := in.Header.Get("X-Forwarded-Proto"); v == "http" || v == "https" {
			proto = v
		}
	}
	out.Set("X-Forwarded-For", xff)
	out.Set("X-Forwarded-Proto", proto)
	out.Set("X-Forwarded-Host", in.Host)
}

// upstreamError answers a failed proxy attempt: 504 on timeout, 502
// otherwise; never 401, since the credentials were good.
func (g *Gateway) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	ex := exchangeOf(r)
	ex.upErr = err
	if ex.bodyErr != nil {
		// The client's body failed, not the upstream: its fault, a 4xx.
		g.fail(w, ex, ex.bodyErr)
		return
	}
	if r.Context().Err() != nil {
		ex.upErr = errors.Join(errClientGone, err)
		ex.status = 499
		return
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		g.fail(w, ex, reason.New(reason.UpstreamTimeout, "the upstream of route '%s' did not answer in time", ex.route.Name))
		return
	}
	g.fail(w, ex, reason.New(reason.UpstreamUnreachable, "the upstream of route '%s' could not be reached", ex.route.Name))
}

// copyBuffers recycles the proxy's 32 KiB body-copy buffers.
var copyBuffers = &bufferPool{pool: sync.Pool{New: func() any { return new([32 << 10]byte) }}}

type bufferPool struct{ pool sync.Pool }

func (p *bufferPool) Get() []byte  { return p.pool.Get().(*[32 << 10]byte)[:] }
func (p *bufferPool) Put(b []byte) { p.pool.Put((*[32 << 10]byte)(b)) }

// headerSafe drops control characters, which a header value cannot hold.
func headerSafe(s string) string {
	if credential.IndexControl(s) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if credential.IsControl(r) {
			return -1
		}
		return r
	}, s)
}
