// Package middleware runs authgate's checks inside a Go service's own
// net/http handlers: the same extraction, verification (JWTs with JWKS,
// discovery or introspection; API keys; Basic users), failure limits,
// authorization rules and RFC-correct answers as the gateway — one request
// path, not a copy — without an extra hop, an upstream or a routes table:
// the service's own mux routes, and each handler says what it needs.
//
//	m, err := middleware.New(middleware.Config{Gateway: cfg})
//	mux.Handle("GET /v1/data", m.Require("read")(dataHandler))
//
// A refused request gets the gateway's answer (401 with one challenge per
// accepted scheme, 403 insufficient_scope, 429, 503 for the middleware's
// own faults, a problem+json body with a stable reason code); an accepted
// one reaches the handler with the caller's identity in its context
// (IdentityFrom), never the credential.
package middleware

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/store"
)

// Config is what a service gives the middleware.
type Config struct {
	// Gateway is authgate's configuration — issuers, API keys, Basic,
	// failure limits, detail, realm — as the YAML file's sections (Load
	// reads one) or built in code from config.Default(). It has no
	// routes: each handler's rule is given in code.
	Gateway *config.Config
	// Store holds API keys and Basic users; nil: Bearer tokens only.
	Store store.Store
	// Logger receives the access log line of each request (the gateway's
	// fields: request_id, status, reason, fingerprint, never a
	// credential); default slog.Default().
	Logger *slog.Logger
	// Registerer, when set, gets the request-path metrics
	// (authgate_requests_total and the rest).
	Registerer prometheus.Registerer
}

// Load reads a configuration file for the middleware: the gateway's
// format, without routes (a routes section is refused).
func Load(path string) (*config.Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return config.ParseService(path, data, os.LookupEnv)
}

// Middleware protects handlers. Close stops its background work.
type Middleware struct {
	g       *gateway.Gateway
	schemes []string
	// stop ends the background work, waits for it and stops the key
	// sets' refreshes.
	stop func()
}

// New builds the middleware and starts its background work (key-set
// fetches, API-key last-used times).
func New(cfg Config) (*Middleware, error) {
	if cfg.Gateway == nil {
		return nil, errors.New("middleware: Config.Gateway is required (config.Default() or Load)")
	}
	if len(cfg.Gateway.Routes) > 0 {
		return nil, errors.New("middleware: the configuration has routes; a service routes its own requests (give each handler its Rule)")
	}
	state := gateway.NewState(nil)
	if cfg.Registerer != nil {
		if err := state.Metrics.Register(cfg.Registerer); err != nil {
			return nil, err
		}
	}
	// A service has no console to look requests up in: recording them
	// would cost every request a record and its copy for no reader.
	gcfg := *cfg.Gateway
	gcfg.Console.RecentRequests = 0
	g, err := gateway.New(&gcfg, gateway.Options{Logger: cfg.Logger, Store: cfg.Store, State: state})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := g.Start(ctx)
	m := &Middleware{g: g, stop: func() { cancel(); <-done; state.Close() }}
	for _, s := range g.Schemes() {
		// A scheme whose credentials live in the store needs one; Bearer
		// needs an issuer.
		if info, _ := credential.LookupScheme(s); info.UsesStore && cfg.Store == nil || s == jwt.SchemeName && len(cfg.Gateway.Issuers) == 0 {
			continue
		}
		m.schemes = append(m.schemes, s)
	}
	if len(m.schemes) == 0 {
		m.stop()
		return nil, errors.New("middleware: nothing could authenticate a request: configure issuers, or give a Store for API keys and Basic users")
	}
	return m, nil
}

// Close stops the background work and waits for it (pending API-key
// last-used times are written; key sets are no longer refreshed).
func (m *Middleware) Close() error {
	m.stop()
	return nil
}

// Rule is what a handler needs of a caller.
type Rule struct {
	// Name labels the handler in logs and metrics (default "service").
	Name string
	// Schemes the handler accepts ("apikey", "bearer", "basic"); default
	// every scheme the middleware can verify. One challenge per scheme.
	Schemes []string
	// ScopesAll must all be held; one of ScopesAny must be held.
	ScopesAll, ScopesAny []string
	// ClaimsAll must all hold; one of ClaimsAny must hold (token claims).
	ClaimsAll, ClaimsAny []policy.ClaimRule
}

// Handler lets through any caller the middleware authenticates, with no
// scope or claim required.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return m.Protect(Rule{})(next)
}

// Require lets through callers that hold every one of scopes.
func (m *Middleware) Require(scopes ...string) func(http.Handler) http.Handler {
	return m.Protect(Rule{Name: "require " + strings.Join(scopes, " "), ScopesAll: scopes})
}

// Protect lets through callers that satisfy rule. It panics on a rule that
// cannot hold (an unknown scheme): a programming error, found at start.
func (m *Middleware) Protect(rule Rule) func(http.Handler) http.Handler {
	route, err := m.route(rule)
	if err != nil {
		panic("middleware: " + err.Error())
	}
	return func(next http.Handler) http.Handler { return m.g.Service(next, route) }
}

// Explain runs the middleware's checks for rule on the request in as a
// dry run and reports each check (the admin API's explain, for a
// handler): nothing is counted, cached or logged.
func (m *Middleware) Explain(ctx context.Context, rule Rule, in api.ExplainRequest) (*api.Explanation, error) {
	route, err := m.route(rule)
	if err != nil {
		return nil, err
	}
	return m.g.ExplainService(ctx, in, route)
}

// route compiles rule into the gateway's route type.
func (m *Middleware) route(rule Rule) (*policy.Route, error) {
	name := rule.Name
	if name == "" {
		name = "service"
	}
	schemes := rule.Schemes
	if len(schemes) == 0 {
		schemes = m.schemes
	}
	for _, s := range schemes {
		if !slices.Contains(m.schemes, s) {
			return nil, errors.New("rule " + name + ": scheme " + s + " cannot be verified here (verifiable: " + strings.Join(m.schemes, ", ") + ")")
		}
	}
	route, err := policy.NewRoute(name, nil, "/*", false, schemes, rule.ScopesAll, rule.ScopesAny, "")
	if err != nil {
		return nil, err
	}
	route.ClaimsAll, route.ClaimsAny = rule.ClaimsAll, rule.ClaimsAny
	return route, nil
}

// Identity is who called: what the credential proved, never the
// credential itself.
type Identity struct {
	// Kind is the credential's kind: "jwt", "introspection", "apikey",
	// "basic".
	Kind string
	// Principal is unambiguous across kinds and issuers:
	// "apikey:<id>", "basic:<user>", "token:<issuer name>:<sub>".
	Principal string
	// Subject is the credential's own subject (a token's sub, a user
	// name, "apikey:<id>"); Issuer a token's iss.
	Subject, Issuer string
	// KeyID is an API key's id ("" for other kinds).
	KeyID  string
	Scopes []string
	// Claims are a token's claims (nil for other kinds).
	Claims map[string]json.RawMessage
	// ExpiresAt is when the credential stops being valid (zero: never).
	ExpiresAt time.Time
	// Fingerprint stands for the credential in logs.
	Fingerprint string
}

// IdentityFrom is the caller of the request whose context is ctx, inside
// a handler the middleware protects.
func IdentityFrom(ctx context.Context) (Identity, bool) {
	id, ok := gateway.CallerFrom(ctx)
	if !ok {
		return Identity{}, false
	}
	return identityOf(&id), true
}

func identityOf(id *credential.Identity) Identity {
	out := Identity{Kind: id.Kind, Principal: id.Principal(), Subject: id.Subject, Issuer: id.Issuer,
		Scopes: id.Scopes, Claims: id.Claims, ExpiresAt: id.ExpiresAt, Fingerprint: id.Fingerprint}
	if id.Kind == "apikey" {
		out.KeyID = strings.TrimPrefix(id.Subject, "apikey:")
	}
	return out
}
