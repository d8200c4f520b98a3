package gateway

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/authgate/authgate/reason"
)

func newTransport(timeout time.Duration) *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
	}
}

// newProxy returns the reverse proxy of one route. Identity headers are
// set in Rewrite, which runs after hop-by-hop headers (and any header a
// Connection field names) are removed, so nothing a client sends can
// remove or spoof them.
func (g *Gateway) newProxy(target *url.URL, transport http.RoundTripper, forwardAuthorization bool) http.Handler {
	return &httputil.ReverseProxy{
		Transport:  transport,
		BufferPool: copyBuffers,
		Rewrite: func(pr *httputil.ProxyRequest) {
			ex := exchangeOf(pr.In)
			pr.SetURL(target)
			pr.SetXForwarded()
			out := pr.Out.Header
			for name := range out {
				if strings.HasPrefix(name, g.idPrefix) {
					delete(out, name)
				}
			}
			if !forwardAuthorization {
				out.Del("Authorization")
			}
			out.Set("Request-Id", ex.requestID)
			if ex.authed {
				id := &ex.identity
				out.Set(g.idPrefix+"Subject", headerSafe(id.Subject))
				if id.Issuer != "" {
					out.Set(g.idPrefix+"Issuer", headerSafe(id.Issuer))
				}
				out.Set(g.idPrefix+"Scopes", headerSafe(strings.Join(id.Scopes, " ")))
				out.Set(g.idPrefix+"Credential", id.Kind+":"+id.Fingerprint)
			}
		},
		ModifyResponse: func(resp *http.Response) error {
			resp.Header.Set("Request-Id", exchangeOf(resp.Request).requestID)
			return nil
		},
		ErrorHandler: g.upstreamError,
	}
}

// upstreamError answers a failed proxy attempt: 504 on timeout, 502
// otherwise; never 401, since the credentials were good.
func (g *Gateway) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	ex := exchangeOf(r)
	ex.upErr = err
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
	if strings.IndexFunc(s, isCtl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isCtl(r) {
			return -1
		}
		return r
	}, s)
}

func isCtl(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }
