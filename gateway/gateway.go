// Package gateway is authgate's request path and nothing else: request
// id, header and path hygiene, route match, authentication (a chain of
// credential.Authenticators), authorization, then the reverse proxy or the
// decision answer, with one responder for every rejection and one access
// log line per request. The admin API, the store and the assembly of it
// all live elsewhere (admin, store, internal/app).
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/apikey"
	"github.com/authgate/authgate/credential/basic"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/limit"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/reason"
	"github.com/authgate/authgate/store"
)

// Gateway is a configured pipeline. Create it with New, call Start to
// begin background work, and serve Handler.
type Gateway struct {
	router *policy.Router
	// api judges the API's routes; admin judges the admin API (admin
	// keys, and JWTs of admin.issuers).
	api, admin authSet
	// adminRoute is what admin requests must satisfy.
	adminRoute *policy.Route
	tokens     *jwt.Verifier
	keys       *apikey.Verifier
	adminKeys  *apikey.Verifier
	basic      *basic.Verifier
	// remoteByIssuer names each JWKS source by its issuer's name.
	remoteByIssuer map[string]*jwt.RemoteKeys
	state          *State
	// ownsState is set when New made the State (Options.State was nil):
	// the gateway's end is then the State's, and its key sets stop.
	ownsState   bool
	store       store.Store
	fingerprint *credential.Fingerprinter
	respond     *responder
	log         *slog.Logger
	idPrefix    string
	// idHeaders are the identity headers under the configured prefix.
	idHeaders []identityHeader
	// claimHeaders send token claims upstream (claim_headers).
	claimHeaders []claimHeader
	// identity signs the identity token (identity_token; nil: off).
	identity *identitySigner
	handler  http.Handler

	apiKeyHeaders []string
	// sampleAllowed is the share of allowed requests logged.
	sampleAllowed float64
	// keepRecent: the ring of recent requests keeps some
	// (console.recent_requests > 0); else no record is built.
	keepRecent   bool
	quotaPolicy  quotaPolicy
	maxBody      int64
	echo         bool
	resource     resourceMetadata
	decisionPath string
	// convention is how the proxy describes the original request to
	// the decision endpoint (decision_proxy).
	convention api.ProxyConvention
	// conventionHeaders are the convention's headers (Headers), made once.
	conventionHeaders []string
	// credentialHeaders are Authorization and the API-key headers: never
	// forwarded in any spelling unless a route says so.
	credentialHeaders []string
	maxHeaders        int
	trusted           trustedProxies
	// clientCert is where a trusted proxy passes the client certificate
	// (client_certificate; Header "": nowhere).
	clientCert config.ClientCertificate
}

// Options carry what does not come from the configuration file.
type Options struct {
	// Logger receives access and event logs (JSON recommended).
	Logger *slog.Logger
	// Now is the token verifier's clock (tests); default time.Now.
	Now func() time.Time
	// Store holds API keys and users; required when a route accepts
	// a scheme whose credentials live in the store.
	Store store.Store
	// State is what outlives this gateway across reloads (metrics, the
	// failure feed, lockouts, caches, key sets); nil starts afresh.
	State *State
	// CheckOnly builds the pipeline to validate a configuration; it may
	// not serve (no store is needed).
	CheckOnly bool
}

// New builds a Gateway from a loaded configuration. It does no network
// I/O; Start does.
func New(cfg *config.Config, opts Options) (*Gateway, error) {
	ownsState := opts.State == nil
	opts = opts.withDefaults()
	if cfg.RoutesNeedStore() && opts.Store == nil && !opts.CheckOnly {
		return nil, errors.New("routes accept API keys or Basic, but no store was given")
	}
	g, err := newGateway(cfg, opts)
	if err != nil {
		return nil, err
	}
	g.ownsState = ownsState
	g.nameIdentityHeaders(cfg)
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	g.identity = newIdentitySigner(cfg, g.idPrefix, now)
	g.configureState(cfg)
	if err := g.buildAuthenticators(cfg, opts); err != nil {
		return nil, err
	}
	if g.router, err = g.buildRoutes(cfg); err != nil {
		return nil, err
	}
	g.handler = g.requestChain()
	return g, nil
}

// withDefaults fills in what opts leaves out: the default logger and a
// fresh State.
func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.State == nil {
		o.State = NewState(nil)
	}
	return o
}

// newGateway is a Gateway with the settings it reads from the
// configuration as they are; New builds the rest.
func newGateway(cfg *config.Config, opts Options) (*Gateway, error) {
	trusted, err := policy.ParseNetworks(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	resource, convention := newResourceMetadata(cfg), conventionOf(cfg.DecisionProxy)
	return &Gateway{
		state:             opts.State,
		store:             opts.Store,
		fingerprint:       opts.State.fingerprinter(cfg.FingerprintKey),
		respond:           &responder{realm: cfg.Realm, detail: cfg.Detail, resourceMetadata: resource.url},
		resource:          resource,
		log:               opts.Logger,
		idPrefix:          http.CanonicalHeaderKey(cfg.IdentityHeaderPrefix),
		echo:              cfg.Echo,
		decisionPath:      cfg.DecisionPath,
		convention:        convention,
		conventionHeaders: convention.Headers(),
		maxHeaders:        cfg.MaxHeaderCount,
		maxBody:           cfg.MaxBodyBytes,
		sampleAllowed:     cfg.AccessLog.SampleAllowed,
		keepRecent:        cfg.Console.RecentRequests > 0,
		quotaPolicy:       quotaPolicy{failClosed: cfg.RateLimits.QuotaOnError == config.FailClosed},
		trusted:           trustedProxies{trusted},
		apiKeyHeaders:     append([]string(nil), cfg.APIKeyHeaders...),
		credentialHeaders: append([]string{"Authorization"}, cfg.APIKeyHeaders...),
		remoteByIssuer:    map[string]*jwt.RemoteKeys{},
		clientCert:        cfg.ClientCertificate,
	}, nil
}

// nameIdentityHeaders names the headers the upstream gets the identity
// in: Subject, Issuer, Scopes and Credential, and one per claim_headers
// entry (sorted by name), all under identity_header_prefix.
func (g *Gateway) nameIdentityHeaders(cfg *config.Config) {
	for _, f := range identityFields {
		g.idHeaders = append(g.idHeaders, identityHeader{http.CanonicalHeaderKey(g.idPrefix + f.name), f.value})
	}
	for suffix, claim := range cfg.ClaimHeaders {
		g.claimHeaders = append(g.claimHeaders, claimHeader{http.CanonicalHeaderKey(g.idPrefix + "Claim-" + suffix), claim})
	}
	slices.SortFunc(g.claimHeaders, func(a, b claimHeader) int { return strings.Compare(a.header, b.header) })
}

// configureState applies the configuration to what outlives this
// gateway: the failure limits and the console's recent requests.
func (g *Gateway) configureState(cfg *config.Config) {
	fl := cfg.FailureLimit
	g.state.limiter.configure(fl.PerCredential, fl.PerClient, fl.PerAccount, fl.Window)
	g.state.Recent.Configure(cfg.Console.RecentRequests, cfg.Console.SampleAllowed)
}

// requestChain is the API listener's request path, outermost step first.
func (g *Gateway) requestChain() http.Handler {
	return chain(http.HandlerFunc(g.forward),
		g.withExchange,
		g.withHygiene,
		g.withRoute,
		g.withAuthentication,
		g.withAuthorization,
	)
}

// authSet is a chain of authenticators in the order they are asked to
// claim a credential, and the same by the scheme name routes use.
type authSet struct {
	list     []credential.Authenticator
	byScheme map[string]credential.Authenticator
}

func newAuthSet(list ...credential.Authenticator) authSet {
	s := authSet{byScheme: map[string]credential.Authenticator{}}
	for _, a := range list {
		if a != nil {
			s.list = append(s.list, a)
			s.byScheme[a.Scheme()] = a
		}
	}
	return s
}

// buildAuthenticators makes one authenticator per scheme, in the order
// they claim credentials: API keys first (they may come as Bearer too),
// then JWTs, then Basic. A new scheme is one more line here. The admin
// API has its own: admin keys, and JWTs of the issuers admin.issuers
// names.
func (g *Gateway) buildAuthenticators(cfg *config.Config, opts Options) error {
	var st store.Store
	if opts.Store != nil {
		st = timedStore{Store: opts.Store, latency: g.state.Metrics.storeLatency, tracer: g.state.tracer}
	}
	g.keys = apikey.NewVerifier(st, cfg.Environment, opts.Logger).WithHeaders(g.apiKeyHeaders...)
	g.adminKeys = apikey.NewVerifier(st, cfg.Environment, opts.Logger).WithHeaders(g.apiKeyHeaders...).ForAdmin()
	basicOpts := cfg.Basic
	basicOpts.Logger = opts.Logger
	g.basic = basic.NewVerifier(st, basicOpts)
	issuers := make([]*jwt.Issuer, 0, len(cfg.Issuers))
	var adminIssuers []*jwt.Issuer
	for _, ic := range cfg.Issuers {
		is := ic.Runtime()
		if ic.Fetched() {
			discover := ""
			if ic.Discovers() {
				discover = ic.Issuer
			}
			rk := g.state.remoteKeys(ic.JWKSURL, discover, ic.JWKSRefresh, ic.JWKSMinRefetch, opts.Logger)
			g.remoteByIssuer[ic.Name] = rk
			is.Keys = rk
		}
		issuers = append(issuers, is)
		if slices.Contains(cfg.Admin.Issuers, ic.Name) {
			adminIssuers = append(adminIssuers, is)
		}
	}
	jwtOpts := jwt.Options{MaxTokenBytes: cfg.MaxTokenBytes, Now: opts.Now, Environment: cfg.Environment, Client: g.state.tracedClient(),
		Cache: g.state.tokenCache(cfg.TokenCacheSize), Digests: g.fingerprint}
	if pv := newProofVerifier(cfg, g.state, opts.Now); pv != nil {
		jwtOpts.Proofs = pv
	}
	var err error
	if g.tokens, err = jwt.New(issuers, jwtOpts); err != nil {
		return err
	}
	g.api = newAuthSet(g.keys, g.tokens, g.basic)
	g.adminRoute = &policy.Route{Name: RouteAdmin, Schemes: []string{apikey.SchemeName}, ScopesAny: []string{api.AdminScope, api.AdminReadScope}}
	var adminTokens *jwt.Verifier
	if len(adminIssuers) > 0 {
		if adminTokens, err = jwt.New(adminIssuers, jwtOpts); err != nil {
			return err
		}
		g.adminRoute.Schemes = append(g.adminRoute.Schemes, jwt.SchemeName)
	}
	g.admin = newAuthSet(g.adminKeys, adminTokens)
	return nil
}

// Start begins the gateway's background work until ctx ends: key sets
// start fetching (a set shared with an earlier gateway keeps its keys),
// and API-key last-used times are written in batches. The channel closes
// when the work has stopped (pending last-used times written; the key
// sets stopped too when New made the State).
func (g *Gateway) Start(ctx context.Context) <-chan struct{} {
	g.state.startKeys(g.remoteByIssuer)
	done := make(chan struct{})
	go g.adminKeys.Run(ctx, 5*time.Second)
	go func() {
		defer close(done)
		g.keys.Run(ctx, 5*time.Second)
		g.keys.Close()
		g.adminKeys.Close()
		g.basic.Close()
		if g.ownsState {
			g.state.Close()
		}
	}()
	return done
}

// Handler returns the pipeline.
func (g *Gateway) Handler() http.Handler { return g.handler }

// NewServer returns an http.Server for h with the configuration's limits
// and timeouts; request bodies are bounded by GuardBodies. Requests are
// never given a request-wide timeout: streaming responses stay possible,
// and upstream_timeout bounds the wait for headers.
func NewServer(cfg *config.Config, h http.Handler) *http.Server {
	return &http.Server{
		Handler:           GuardBodies(h, cfg.Server.BodyIdleTimeout, cfg.Server.BodyTimeout),
		ReadHeaderTimeout: cfg.Server.ReadHeaderTimeout,
		IdleTimeout:       cfg.Server.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes - goHeaderSlack,
		TLSConfig:         clientAuthTLS(cfg.TLS),
	}
}

// goHeaderSlack is what Go's HTTP/1 server reads past MaxHeaderBytes
// before it refuses a request head (431): it allows MaxHeaderBytes + 4096
// bytes from the request line to the blank line after the headers, both
// included. NewServer subtracts it, so that the configured
// max_header_bytes (at least 8 KiB, config checks) is the limit in force
// to the byte.
const goHeaderSlack = 4096

// chain wraps h in steps, the first outermost.
func chain(h http.Handler, steps ...func(http.Handler) http.Handler) http.Handler {
	for i := len(steps) - 1; i >= 0; i-- {
		h = steps[i](h)
	}
	return h
}

// Route labels of requests that reach no configured route.
const (
	// RouteInternal labels authgate's own endpoints (health, echo).
	RouteInternal = "_internal"
	// RouteUnmatched labels requests refused before a route matched
	// (404, a malformed path, too many headers).
	RouteUnmatched = "_unmatched"
	// RouteAdmin labels the admin listener's requests (admin API,
	// console sign-in). No configured route can take a name starting
	// with "_" (config checks), so none is counted with these.
	RouteAdmin = "_admin"
)

// exchange is the state of one request as it moves through the chain.
type exchange struct {
	start     time.Time
	requestID string
	path      string
	// host is the request's host name (lower case, no port): routes may
	// serve only some hosts.
	host string
	// method is the method routes see: the request's own, or in a
	// decision request the original request's.
	method   string
	decision bool
	// origin is the original request a decision describes, as the
	// proxy's headers gave it (host with its port); empty with Envoy's
	// path suffix.
	origin original
	// statusOnly: a decision whose refusal the proxy will ask for again
	// in full (api.DecisionModeHeader); it is answered bare and not
	// counted, so one refused request counts once.
	statusOnly bool
	internal   bool
	client     string
	// viaProxy: the peer is a trusted proxy, whose forwarding headers
	// (and decision requests) are believed.
	viaProxy  bool
	route     *policy.Route
	presented credential.Presented
	identity  credential.Identity
	authed    bool
	// principal is identity's Principal, once subjectOf made it.
	principal string
	// identityToken is the signed identity for the upstream
	// (identity_token), set just before forwarding.
	identityToken string
	scheme        string
	fp            string
	err           *reason.Error
	status        int
	upErr         error
	// trace records the checks for explain; nil on the request path.
	trace *credential.Trace
	// auth is the authenticator chain that judges this request.
	auth *authSet
	// bodyErr is what went wrong reading the request body, if anything.
	bodyErr *reason.Error
	// traceID is the request's trace, when tracing is on.
	traceID string
	// problem is the body of a rejection, as the client got it.
	problem *api.Problem
	// writer records the status the next steps write, and budgets holds
	// the failure budgets of the request (each one allocation with the
	// exchange).
	writer  statusWriter
	budgets [3]limit.Budget
	// idValue is the Request-Id header's value, for the request's and
	// the response's headers (no allocation of its own).
	idValue [1]string
}

// routeLabel names the route for logs and metrics.
func (ex *exchange) routeLabel() string {
	switch {
	case ex.route != nil:
		return ex.route.Name
	case ex.internal:
		return RouteInternal
	}
	return RouteUnmatched
}

type exchangeKey struct{}

func exchangeOf(r *http.Request) *exchange { return r.Context().Value(exchangeKey{}).(*exchange) }

// fail rejects the request with err's reason.
func (g *Gateway) fail(w http.ResponseWriter, ex *exchange, err error) {
	ex.err = reason.From(err)
	if ex.statusOnly {
		g.forgetProof(ex)
	}
	g.respond.reject(w, ex, ex.auth.byScheme)
}

// withExchange assigns the request id, records the status and writes the
// access log line. The exchange is the one an engine's adapter put into
// the request's context unused (preparedContext: no copy of the request
// to add it), or a new one.
func (g *Gateway) withExchange(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex, prepared := r.Context().Value(exchangeKey{}).(*exchange)
		if !prepared || !ex.start.IsZero() {
			ex, prepared = new(exchange), false
		}
		// Cleared in place and filled field by field: a composite literal
		// would be built in this frame first, and every request's stack
		// would be the larger for it.
		*ex = exchange{}
		ex.start, ex.requestID, ex.method, ex.auth = time.Now(), r.Header.Get(api.RequestIDHeader), r.Method, &g.api
		ex.client, ex.viaProxy = g.trusted.clientOf(r)
		if !validRequestID(ex.requestID) || len(r.Header.Values(api.RequestIDHeader)) > 1 {
			ex.requestID = newRequestID()
		}
		// One value for both directions, held by the exchange; Set and
		// Add replace or grow either copy without touching the other
		// (capacity 1).
		ex.idValue[0] = ex.requestID
		id := ex.idValue[:]
		r.Header[api.RequestIDHeader], w.Header()[api.RequestIDHeader] = id, id[:1:1]
		ex.writer.ResponseWriter = w
		sw := &ex.writer
		ctx := r.Context()
		if !prepared {
			ctx = context.WithValue(ctx, exchangeKey{}, ex)
		}
		var span trace.Span
		if g.state.tracer != nil {
			ctx, span = g.startSpan(ctx, r, ex)
		}
		if ctx != r.Context() {
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(sw, r)
		if ex.status == 0 {
			ex.status = sw.status
		}
		if span != nil {
			endSpan(span, ex)
		}
		if ex.statusOnly && ex.err != nil {
			return // the proxy's follow-up request records this refusal
		}
		g.logAccess(ex)
		if g.keepRecent {
			g.state.Recent.Add(recordOf(ex))
		}
		g.state.Metrics.observe(ex)
		if ex.err != nil {
			g.state.Failures.Add(failureOf(ex, sw.Header().Values("WWW-Authenticate")))
		}
	})
}

func (g *Gateway) withRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex := exchangeOf(r)
		if isPreflight(r, ex.method) {
			if err := g.preflightRequest(r, ex); err != nil {
				g.fail(w, ex, err)
				return
			}
			if err := g.preflight(w, r, ex); err != nil {
				g.fail(w, ex, err)
			}
			return
		}
		route, err := g.route(r, ex)
		if ex.route != nil {
			// Before any refusal of the matched route (its request rules,
			// client networks, body limits, credentials): a browser reads
			// none of them without the CORS headers.
			corsHeaders(w, r, ex.route)
		}
		if err != nil {
			ex.trace.Fail("route", err)
			g.fail(w, ex, err)
			return
		}
		ex.trace.Pass("route", route.Name)
		if len(route.Allow) > 0 || len(route.Deny) > 0 {
			// Before any credential is judged: a refused network costs
			// no verification and no failure budget.
			if err := ex.trace.Check("client network", route.AdmitsClient(ex.client)); err != nil {
				g.fail(w, ex, err)
				return
			}
		}
		if !ex.decision {
			if err := g.guardBody(w, r, ex, route.MaxBodyBytes); err != nil {
				g.fail(w, ex, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// route matches the request's route and applies its request rules: a
// protocol upgrade only where allowed, and method-override headers only
// where the route takes them — then the route is the one of the
// overridden method. Elsewhere override headers are removed (in a
// decision, which cannot remove them from what the proxy forwards, they
// are refused).
func (g *Gateway) route(r *http.Request, ex *exchange) (*policy.Route, error) {
	route, err := g.router.Match(ex.method, ex.host, ex.path)
	if err != nil {
		return nil, err
	}
	ex.route = route
	// In a decision too: the proxy forwards the upgrade to the upstream.
	if err := checkUpgrade(r, route.WebSocket); err != nil {
		return nil, err
	}
	override, err := overriddenMethod(r.Header)
	switch {
	case err != nil:
		return nil, err
	case override == "":
		return route, nil
	case route.MethodOverride:
		if route, err = g.router.Match(override, ex.host, ex.path); err != nil {
			return nil, err
		}
		if !route.MethodOverride {
			return nil, reason.New(reason.MethodMalformed, "route '%s' does not take method overrides", route.Name)
		}
		ex.method, ex.route = override, route
		return route, nil
	case ex.decision:
		return nil, reason.New(reason.MethodMalformed,
			"the request carries a method-override header, which route '%s' does not take (set method_override on the route, or remove the header at the proxy)", route.Name)
	}
	deleteSpellings(r.Header, overrideHeaders)
	return route, nil
}

func (g *Gateway) withAuthentication(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex := exchangeOf(r)
		if ex.route.Public {
			ex.trace.Pass("public route: no credential needed", "")
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		err := g.authenticate(r, ex)
		scheme := ex.scheme
		if scheme == "" {
			scheme = "none" // no credential could be read
		}
		g.state.Metrics.authLatency.WithLabelValues(scheme).Observe(time.Since(start).Seconds())
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
			check := ex.route.AuthorizationCheck()
			if err := ex.route.Authorize(&ex.identity); err != nil {
				ex.trace.Fail(check, err)
				g.fail(w, ex, err)
				return
			}
			if ex.trace != nil { // the summary is built for explain only
				ex.trace.Pass(check, ex.route.ScopeSummary())
			}
			if !ex.trace.DryRun() {
				if err := g.takeQuotas(r.Context(), w.Header(), ex); err != nil {
					g.fail(w, ex, err)
					return
				}
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
	if g.identity != nil && ex.authed {
		token, err := g.identity.token(ex.route.Name, &ex.identity)
		if err != nil {
			// The gateway's own fault: 503, and nothing forwarded without it.
			g.fail(w, ex, &reason.Error{Code: reason.AuthUnavailable, Err: err, Detail: "the gateway could not sign the identity token for the upstream"})
			return
		}
		ex.identityToken = token
	}
	if ex.decision {
		g.identityHeaders(&stdHeader{h: w.Header()}, ex, true)
		w.WriteHeader(http.StatusOK)
		return
	}
	ex.route.Target.(http.Handler).ServeHTTP(w, r)
}

// Guard protects h (the admin API) with the gateway's own steps: the
// request id, authentication by admin and viewer keys (and JWTs with
// scope admin or admin:read of the issuers admin.issuers names), the
// access log line, metrics and the failure feed. API keys never pass,
// whatever their scopes. A credential without scope admin is read-only:
// h refuses its changes.
func (g *Gateway) Guard(h http.Handler) http.Handler {
	return g.protect(h, g.adminRoute, &g.admin)
}

// Service protects next, a handler of the Go service the gateway runs
// inside (package middleware), with the request path's own steps: the
// request id, authentication by the API's schemes and its failure limits,
// authorization by rule (scopes, claims), quotas, the one responder, the
// access log line, metrics and the failure feed. There is no hygiene,
// routing or upstream: the service's mux routes, and next runs with the
// caller's identity in the request's context (CallerFrom). rule is built
// once, not per request.
func (g *Gateway) Service(next http.Handler, rule *policy.Route) http.Handler {
	return g.protect(next, rule, &g.api)
}

// protect runs h behind the gateway's steps for one fixed route.
func (g *Gateway) protect(h http.Handler, route *policy.Route, auth *authSet) http.Handler {
	fixed := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ex := exchangeOf(r)
			ex.path, ex.route, ex.auth = r.URL.Path, route, auth
			next.ServeHTTP(w, r)
		})
	}
	return chain(h, g.withExchange, fixed, g.withAuthentication, g.withAuthorization)
}

// Schemes are the schemes the API's authenticators serve, in the order
// they claim credentials (apikey, bearer, basic).
func (g *Gateway) Schemes() []string {
	out := make([]string, len(g.api.list))
	for i, a := range g.api.list {
		out[i] = a.Scheme()
	}
	return out
}

// APIKeyHeader is the first header the gateway reads API keys from (the
// one explain and the console's sign-in send a key in).
func (g *Gateway) APIKeyHeader() string {
	if len(g.apiKeyHeaders) > 0 {
		return g.apiKeyHeaders[0]
	}
	return api.DefaultAPIKeyHeader
}

// Caller is the identity of the authenticated request r (inside Guard
// or Service).
func Caller(r *http.Request) (credential.Identity, bool) { return CallerFrom(r.Context()) }

// CallerFrom is the identity of the authenticated request whose context
// is ctx (inside Guard or Service).
func CallerFrom(ctx context.Context) (credential.Identity, bool) {
	if ex, ok := ctx.Value(exchangeKey{}).(*exchange); ok && ex.authed {
		return ex.identity, true
	}
	return credential.Identity{}, false
}

// Subject is the subject of the authenticated request r (inside Guard).
func Subject(r *http.Request) string {
	if ex, ok := r.Context().Value(exchangeKey{}).(*exchange); ok && ex.authed {
		return ex.identity.Subject
	}
	return ""
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

// logAccess writes the one access line of a request: rejections always
// (INFO), upstream faults at WARN, the gateway's own faults at ERROR, and
// a sample (access_log.sample_allowed) of allowed requests. It names the
// credential only by fingerprint, never by value.
func (g *Gateway) logAccess(ex *exchange) {
	level := slog.LevelInfo
	switch {
	case ex.err != nil && ex.err.Code == reason.AuthUnavailable:
		level = slog.LevelError
	case ex.status >= 500:
		level = slog.LevelWarn
	case ex.err == nil && g.sampleAllowed < 1 && rand.Float64() >= g.sampleAllowed:
		return
	}
	attrs := make([]slog.Attr, 0, 14)
	attrs = append(attrs,
		slog.String("request_id", ex.requestID),
		slog.String("method", ex.method),
		slog.String("path", ex.path),
		slog.Int("status", ex.status),
		slog.String("client", ex.client),
		slog.Float64("latency_ms", float64(time.Since(ex.start).Microseconds())/1000),
		slog.String("route", ex.routeLabel()),
	)
	if ex.scheme != "" {
		attrs = append(attrs, slog.String("scheme", ex.scheme))
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
		// Bounded: transport errors may quote what the upstream sent.
		attrs = append(attrs, slog.String("upstream_error", fmt.Sprintf("%.512s", ex.upErr.Error())))
	}
	if ex.traceID != "" {
		attrs = append(attrs, slog.String("trace_id", ex.traceID))
	}
	g.log.LogAttrs(context.Background(), level, "request", attrs...)
}

// failureOf is the failure feed's record of a refused request.
func failureOf(ex *exchange, challenges []string) api.Failure {
	return api.Failure{Time: ex.start.UTC(), RequestID: ex.requestID, Method: ex.method, Path: ex.path, Route: ex.routeLabel(),
		Status: ex.err.Entry().Status, Reason: string(ex.err.Code), Detail: ex.err.Detail, Scheme: ex.scheme,
		Fingerprint: ex.fp, Subject: subjectOf(ex), Client: ex.client, Checks: decisionChecks(ex), Challenges: challenges, Problem: ex.problem}
}

// decisionChecks are the steps of a refused request as the request path
// knows them without a trace (which costs allocations on every request):
// what passed, then the step that failed with its reason. Explain runs the
// same steps with every check recorded.
func decisionChecks(ex *exchange) []api.Check {
	failed := api.Check{Result: api.CheckFail, Detail: string(ex.err.Code) + ": " + ex.err.Detail}
	checks := make([]api.Check, 0, 4)
	if ex.route == nil {
		failed.Check = "route"
		if ex.path == "" {
			failed.Check = "request"
		}
		return append(checks, failed)
	}
	checks = append(checks, api.Check{Check: "route", Result: api.CheckPass,
		Detail: fmt.Sprintf("route %s accepts %s", ex.route.Name, schemesText(ex.route.Schemes))})
	switch p := ex.presented; {
	case ex.authed:
		checks = append(checks, api.Check{Check: "authentication", Result: api.CheckPass,
			Detail: fmt.Sprintf("%s credential %s of %s", ex.scheme, ex.fp, ex.identity.Subject)})
		failed.Check = "authorization"
	case p.Header == "" && p.Query == "":
		failed.Check = "credential"
	default:
		where := p.Header
		if where == "" {
			where = "query parameter " + p.Query
		}
		checks = append(checks, api.Check{Check: "credential", Result: api.CheckPass, Detail: "found in " + where + ", fingerprint " + ex.fp})
		failed.Check = "authentication"
	}
	return append(checks, failed)
}

// schemesText names a route's schemes, or says it takes none.
func schemesText(schemes []string) string {
	if len(schemes) == 0 {
		return "no credential (public)"
	}
	return strings.Join(schemes, ", ")
}

// errClientGone marks a request whose client left before the upstream answered.
var errClientGone = errors.New("client closed the request")
