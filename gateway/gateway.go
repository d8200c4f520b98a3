// Package gateway is authgate's request pipeline: request id, header and
// path hygiene, route match, authentication, authorization, then the
// reverse proxy, with one responder for every rejection and one access
// log line per request.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/apikey"
	"github.com/authgate/authgate/credential/basic"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/reason"
	"github.com/authgate/authgate/store"
)

// Gateway is a configured pipeline. Create it with New, call Start to
// begin fetching keys, and serve Handler.
type Gateway struct {
	router   *policy.Router
	verifier *jwt.Verifier
	remote   []*jwt.RemoteKeys
	// remoteByIssuer names each JWKS source by its issuer's name.
	remoteByIssuer map[string]*jwt.RemoteKeys
	metrics        *metrics
	failures       *failureFeed
	store          store.Store
	fingerprint    *credential.Fingerprinter
	respond        *responder
	log            *slog.Logger
	idPrefix       string
	handler        http.Handler

	apiKeyHeaders []string
	echo          bool
	decisionPath  string
	maxHeaders    int
	trusted       trustedProxies
	keys          *apikey.Verifier
	basic         *basic.Verifier
	limiter       *failureLimiter
}

// Options carry what does not come from the configuration file.
type Options struct {
	// Logger receives access and event logs (JSON recommended).
	Logger *slog.Logger
	// Now is the verifier's clock (tests); default time.Now.
	Now func() time.Time
	// Store holds API keys and users; required when a route accepts
	// apikey or basic.
	Store store.Store
	// CheckOnly builds the pipeline to validate a configuration; it may
	// not serve (no store is needed).
	CheckOnly bool
}

// New builds a Gateway from a loaded configuration. It does no network
// I/O; Start does.
func New(cfg *config.Config, opts Options) (*Gateway, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	g := &Gateway{
		fingerprint:  credential.NewFingerprinter([]byte(cfg.FingerprintKey)),
		respond:      &responder{realm: cfg.Realm, detail: cfg.Detail},
		log:          opts.Logger,
		idPrefix:     http.CanonicalHeaderKey(cfg.IdentityHeaderPrefix),
		echo:         cfg.Echo,
		decisionPath: cfg.DecisionPath,
		maxHeaders:   cfg.MaxHeaderCount,
		limiter:      newFailureLimiter(cfg.FailureLimit.PerCredential, cfg.FailureLimit.PerClient, cfg.FailureLimit.Window),
	}
	g.remoteByIssuer = map[string]*jwt.RemoteKeys{}
	g.metrics = newMetrics(g)
	g.failures = newFailureFeed(1000)
	g.apiKeyHeaders = append(g.apiKeyHeaders, cfg.APIKeyHeaders...)
	trusted, err := parseTrusted(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	g.trusted = trusted
	if len(g.apiKeyHeaders) > 0 {
		g.respond.apiKeyHeader = g.apiKeyHeaders[0]
	}
	if cfg.RoutesNeedStore() && !opts.CheckOnly {
		if opts.Store == nil {
			return nil, errors.New("routes accept API keys or Basic, but no store was given")
		}
	}
	if opts.Store != nil {
		g.store = opts.Store
		opts.Store = timedStore{Store: opts.Store, latency: g.metrics.storeLatency}
		g.keys = apikey.NewVerifier(opts.Store, cfg.Environment, opts.Logger)
		bv, err := basic.NewVerifier(opts.Store, basic.Options{CacheTTL: cfg.Basic.CacheTTL,
			MaxConcurrent: cfg.Basic.MaxConcurrent, Logger: opts.Logger})
		if err != nil {
			return nil, err
		}
		g.basic = bv
	}
	var issuers []*jwt.Issuer
	for _, ic := range cfg.Issuers {
		is := &jwt.Issuer{Name: ic.Name, Issuer: ic.Issuer, Audiences: ic.Audiences, Algorithms: ic.Algorithms,
			RequiredType: ic.RequiredType, RequireExp: !ic.AllowMissingExp, Leeway: *ic.Leeway,
			Environment: ic.Environment, EnvironmentClaim: ic.EnvironmentClaim}
		if ic.JWKSURL != "" {
			rk := &jwt.RemoteKeys{URL: ic.JWKSURL, RefreshEvery: ic.JWKSRefresh, MinRefetch: ic.JWKSMinRefetch, Logger: opts.Logger}
			g.remote = append(g.remote, rk)
			g.remoteByIssuer[ic.Name] = rk
			is.Keys = rk
		} else {
			is.Keys = jwt.NewStaticKeys(ic.Keys)
		}
		issuers = append(issuers, is)
	}
	v, err := jwt.New(issuers, jwt.Options{MaxTokenBytes: cfg.MaxTokenBytes, CacheSize: cfg.TokenCacheSize, Now: opts.Now,
		Environment: cfg.Environment})
	if err != nil {
		return nil, err
	}
	g.verifier = v
	routes := make([]*policy.Route, 0, len(cfg.Routes))
	transports := map[string]*http.Transport{}
	for _, rc := range cfg.Routes {
		pat, err := policy.CompilePattern(rc.Path)
		if err != nil {
			return nil, err
		}
		u, err := url.Parse(rc.Upstream)
		if err != nil {
			return nil, err
		}
		key := fmt.Sprintf("%s|%s", u.Host, rc.UpstreamTimeout)
		if transports[key] == nil {
			transports[key] = newTransport(rc.UpstreamTimeout)
		}
		rt := &policy.Route{Name: rc.Name, Methods: rc.Methods, Path: pat, Public: rc.Public,
			ScopesAll: rc.ScopesAll, ScopesAny: rc.ScopesAny, APIKeyQuery: rc.APIKeyQuery}
		if c := rc.CORS; c != nil {
			rt.CORS = policy.NewCORS(c.AllowedOrigins, c.AllowedMethods, c.AllowedHeaders, c.AllowCredentials, c.MaxAge)
		}
		for _, s := range rc.Schemes {
			rt.Schemes = append(rt.Schemes, policy.Scheme(s))
		}
		rt.Target = g.newProxy(u, transports[key], rc.ForwardAuthorization)
		routes = append(routes, rt)
	}
	g.router = policy.NewRouter(routes)
	g.handler = chain(http.HandlerFunc(g.forward),
		g.withExchange,
		g.withHygiene,
		g.withRoute,
		g.withAuthentication,
		g.withAuthorization,
	)
	return g, nil
}

// Start fetches every issuer's JWKS once and keeps them fresh until ctx
// ends. A JWKS that cannot be fetched is logged; its tokens get 503.
func (g *Gateway) Start(ctx context.Context) {
	for _, rk := range g.remote {
		rk.Start(ctx)
	}
	if g.keys != nil {
		go g.keys.Run(ctx, 5*time.Second)
	}
}

// Health endpoints, on the main and the admin listener.
const (
	HealthzPath = "/.authgate/healthz"
	ReadyzPath  = "/.authgate/readyz"
)

// Handler returns the pipeline.
func (g *Gateway) Handler() http.Handler { return g.handler }

// NewServer returns an http.Server for h with the configuration's limits
// and timeouts. Requests are never given a body-wide timeout: streaming
// responses stay possible, and upstream_timeout bounds the wait for headers.
func NewServer(cfg *config.Config, h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.Server.ReadHeaderTimeout,
		IdleTimeout:       cfg.Server.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
	}
}

// chain wraps h in steps, the first outermost.
func chain(h http.Handler, steps ...func(http.Handler) http.Handler) http.Handler {
	for i := len(steps) - 1; i >= 0; i-- {
		h = steps[i](h)
	}
	return h
}

// exchange is the state of one request as it moves through the chain.
type exchange struct {
	start     time.Time
	requestID string
	path      string
	// method is the method routes see: the request's own, or in a
	// decision request the original request's.
	method   string
	decision bool
	client   string
	route    *policy.Route
	identity credential.Identity
	authed   bool
	scheme   policy.Scheme
	fp       string
	err      *reason.Error
	status   int
	upErr    error
}

type exchangeKey struct{}

func exchangeOf(r *http.Request) *exchange { return r.Context().Value(exchangeKey{}).(*exchange) }

// fail rejects the request with err's reason.
func (g *Gateway) fail(w http.ResponseWriter, ex *exchange, err error) {
	ex.err = reason.From(err)
	g.respond.reject(w, ex.requestID, ex.route, ex.scheme, ex.err)
}

// withExchange assigns the request id, records the status and writes the
// access log line.
func (g *Gateway) withExchange(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex := &exchange{start: time.Now(), requestID: r.Header.Get("Request-Id"), method: r.Method, client: g.trusted.clientOf(r)}
		if !validRequestID(ex.requestID) || len(r.Header.Values("Request-Id")) > 1 {
			ex.requestID = newRequestID()
		}
		r.Header.Set("Request-Id", ex.requestID)
		w.Header().Set("Request-Id", ex.requestID)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), exchangeKey{}, ex)))
		if ex.status == 0 {
			ex.status = sw.status
		}
		g.logAccess(r, ex)
		g.metrics.observe(ex)
		if ex.err != nil {
			g.failures.add(ex)
		}
	})
}

// withHygiene refuses non-canonical paths and removes every client-sent
// header in the identity namespace.
func (g *Gateway) withHygiene(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex := exchangeOf(r)
		if n := headerLines(r.Header); n > g.maxHeaders {
			g.fail(w, ex, reason.New(reason.HeadersTooMany, "%d header lines; the limit is %d", n, g.maxHeaders))
			return
		}
		raw := r.RequestURI
		if !strings.HasPrefix(raw, "/") {
			raw = r.URL.EscapedPath()
		}
		raw, _, _ = strings.Cut(raw, "?")
		path, err := policy.Canonical(raw)
		if err != nil {
			g.fail(w, ex, err)
			return
		}
		ex.path = path
		switch {
		case g.echo && strings.HasSuffix(path, EchoPath):
			g.serveEcho(w, r, path)
			return
		case path == HealthzPath:
			g.serveHealthz(w, r)
			return
		case path == ReadyzPath:
			g.serveReadyz(w, r)
			return
		}
		if g.decisionPath != "" && (path == g.decisionPath || strings.HasPrefix(path, g.decisionPath+"/")) {
			if err := g.decision(r, ex, raw); err != nil {
				g.fail(w, ex, err)
				return
			}
		}
		for name := range r.Header {
			if strings.HasPrefix(name, g.idPrefix) {
				delete(r.Header, name)
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (g *Gateway) withRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex := exchangeOf(r)
		if isPreflight(r, ex.method) {
			if err := g.preflight(w, r, ex); err != nil {
				g.fail(w, ex, err)
			}
			return
		}
		route, err := g.router.Match(ex.method, ex.path)
		if err != nil {
			g.fail(w, ex, err)
			return
		}
		ex.route = route
		corsHeaders(w, r, route)
		next.ServeHTTP(w, r)
	})
}

func (g *Gateway) withAuthentication(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex := exchangeOf(r)
		if ex.route.Public {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		err := g.authenticate(r, ex)
		g.metrics.authLatency.WithLabelValues(string(ex.scheme)).Observe(time.Since(start).Seconds())
		if err != nil {
			g.fail(w, ex, err)
			return
		}
		ex.authed = true
		next.ServeHTTP(w, r)
	})
}

func (g *Gateway) withAuthorization(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex := exchangeOf(r)
		if ex.authed {
			if err := ex.route.Authorize(&ex.identity); err != nil {
				g.fail(w, ex, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// forward hands an allowed request to the route's upstream, or — for a
// decision request — answers 200 with the identity headers for the proxy
// to copy upstream.
func (g *Gateway) forward(w http.ResponseWriter, r *http.Request) {
	ex := exchangeOf(r)
	if ex.decision {
		g.identityHeaders(w.Header(), ex, true)
		w.WriteHeader(http.StatusOK)
		return
	}
	ex.route.Target.(http.Handler).ServeHTTP(w, r)
}

func headerLines(h http.Header) int {
	n := 0
	for _, vs := range h {
		n += len(vs)
	}
	return n
}

// statusWriter records the status code written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logAccess writes the one access line of a request. It names the
// credential only by fingerprint, never by value.
func (g *Gateway) logAccess(r *http.Request, ex *exchange) {
	attrs := make([]slog.Attr, 0, 14)
	attrs = append(attrs,
		slog.String("request_id", ex.requestID),
		slog.String("method", ex.method),
		slog.String("path", ex.path),
		slog.Int("status", ex.status),
		slog.String("client", ex.client),
		slog.Float64("latency_ms", float64(time.Since(ex.start).Microseconds())/1000),
	)
	if ex.route != nil {
		attrs = append(attrs, slog.String("route", ex.route.Name))
	}
	if ex.scheme != "" {
		attrs = append(attrs, slog.String("scheme", string(ex.scheme)))
	}
	if ex.fp != "" {
		attrs = append(attrs, slog.String("fingerprint", ex.fp))
	}
	if ex.authed {
		attrs = append(attrs, slog.String("subject", ex.identity.Subject), slog.String("issuer", ex.identity.Issuer))
	}
	if ex.err != nil {
		attrs = append(attrs, slog.String("reason", string(ex.err.Code)), slog.String("detail", ex.err.Detail))
		if ex.err.Err != nil && ex.err.Code == reason.AuthUnavailable {
			attrs = append(attrs, slog.String("error", ex.err.Err.Error()))
		}
	}
	if ex.upErr != nil {
		attrs = append(attrs, slog.String("upstream_error", ex.upErr.Error()))
	}
	g.log.LogAttrs(context.Background(), slog.LevelInfo, "request", attrs...)
}

// errClientGone marks a request whose client left before the upstream answered.
var errClientGone = errors.New("client closed the request")
