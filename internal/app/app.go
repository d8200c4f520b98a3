// Package app is authgate's composition root: from a configuration it
// opens the store (the one place that does, besides the CLI's direct store
// commands), builds the long-lived state, the gateway and the admin API,
// owns the listeners, and reloads. What outlives a reload — metrics, the
// failure feed and its subscribers, lockouts, the token cache, JWKS key
// sets, the fingerprint key — lives here or in gateway.State.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/authgate/authgate/admin"
	"github.com/authgate/authgate/admin/console"
	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/credential/dpop"
	"github.com/authgate/authgate/extauthz"
	"github.com/authgate/authgate/failures"
	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/internal/tracing"
	"github.com/authgate/authgate/limit"
	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/store/postgres"
	"github.com/authgate/authgate/store/sqlite"
)

// storeWatchEvery is how often the store's problems are looked at for the
// log (sqlite checks its file every 2 s).
var storeWatchEvery = time.Second

// Options carry what does not come from the configuration file.
type Options struct {
	// Logger receives access and event logs; default: discard.
	Logger *slog.Logger
	// Now is the clock of the token verifier and of the console's
	// sessions (tests); default time.Now.
	Now func() time.Time
}

// App is a running authgate: one store, one State, the current gateway
// and admin handler behind switches that a reload swaps.
type App struct {
	log   *slog.Logger
	opts  Options
	store store.Store
	state *gateway.State
	// sessions are the web console's sign-ins; they outlive reloads.
	sessions *console.Sessions

	public, admin *gateway.Switch
	// extAuthz answers Envoy's gRPC Checks with the current gateway; nil
	// when ext_authz_grpc is off.
	extAuthz *extauthz.Server

	// tracing exports spans; nil when tracing is off.
	tracing *sdktrace.TracerProvider
	// redis is the shared limiter (its client serves the failure feed
	// too); nil with the local backend.
	redis *limit.Redis
	// watchStore stops watchStoreProblems; stopBG the fleet's feed.
	watchStore chan struct{}
	stopBG     context.CancelFunc

	mu      sync.Mutex
	cfg     *config.Config
	gw      *gateway.Gateway
	stopGW  func()
	closeMu sync.Once
}

// New opens what cfg needs and builds the first gateway; it starts no
// listener (see Serve) but starts the gateway's background work.
func New(cfg *config.Config, opts Options) (*App, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	bg, stopBG := context.WithCancel(context.Background())
	client, err := redisClient(cfg)
	if err != nil {
		stopBG()
		return nil, err
	}
	var shared limit.Limiter
	var redisLimiter *limit.Redis
	if client != nil {
		limit.LogRedisTo(opts.Logger)
		redisLimiter = limit.NewRedis(client, cfg.RateLimits.Redis.Prefix)
		shared = redisLimiter
	}
	a := &App{log: opts.Logger, opts: opts, state: gateway.NewState(shared), sessions: console.NewSessions(opts.Now), stopBG: stopBG, redis: redisLimiter}
	tp, err := tracing.Start(bg, cfg.Tracing, opts.Logger)
	if err != nil {
		stopBG()
		return nil, fmt.Errorf("tracing: %w", err)
	}
	if tp != nil {
		a.tracing = tp
		a.state.UseTracing(tp)
	}
	a.state.Failures.Instance = cfg.Instance
	if client != nil {
		// The failure feed shows the whole fleet.
		stream := failures.NewRedisStream(client, cfg.RateLimits.Redis.Prefix+"failures", failureStreamLen)
		go stream.Send(bg)
		a.state.Failures.Share(bg, stream)
		// A DPoP proof used at one instance is refused at every other.
		a.state.UseReplayCache(dpop.NewRedis(client, cfg.RateLimits.Redis.Prefix+"dpop:"))
	}
	if cfg.NeedsStore() {
		st, err := openStore(context.Background(), cfg, a.storeStream)
		if err != nil {
			stopBG()
			return nil, err
		}
		a.store = st
	}
	gw, err := a.build(cfg)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.public = gateway.NewSwitch(gw.Handler())
	a.admin = gateway.NewSwitch(a.adminHandler(cfg, gw))
	if cfg.ExtAuthzGRPC.Listen != "" {
		a.extAuthz = extauthz.New(cfg, gw.Handler(), a.log)
	}
	a.activate(cfg, gw)
	a.state.Metrics.Reloaded(true, time.Now())
	if _, tells := a.store.(*postgres.Store); a.store != nil && !tells {
		a.watchStore = make(chan struct{})
		go a.watchStoreProblems(a.watchStore)
	}
	return a, nil
}

// watchStoreProblems logs at ERROR when SQLite's store gets a problem
// (its file deleted or replaced, a full disk) and at INFO when it is
// gone, until stop closes. Readiness and the authgate_store_healthy
// metric say the same. PostgreSQL's store tells each loss and recovery of
// its change stream itself (storeStream).
func (a *App) watchStoreProblems(stop chan struct{}) {
	t := time.NewTicker(storeWatchEvery)
	defer t.Stop()
	var last string
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		now := ""
		if err := a.store.Problem(); err != nil {
			now = err.Error()
		}
		switch {
		case now != "" && now != last:
			a.log.Error("store problem: authgate cannot rely on its store", "problem", now)
		case now == "" && last != "":
			a.log.Info("store problem gone")
		}
		last = now
	}
}

// storeStream logs a loss of PostgreSQL's change stream at ERROR (problem)
// and its recovery at INFO (nil): once each, however short the outage.
func (a *App) storeStream(problem error) {
	if problem != nil {
		a.log.Error("store problem: authgate cannot rely on its store", "problem", problem.Error())
		return
	}
	a.log.Info("store problem gone", "problem", "the change stream from PostgreSQL is back; caches start empty")
}

// failureStreamLen is about how many failures the fleet's stream keeps.
const failureStreamLen = 10000

// redisClient is the Redis of rate_limits.backend redis (nil for local).
// Redis need not answer at start: until it does, failure limits are
// counted per instance, quotas follow quota_on_error, and the failure
// feed shows this instance's refusals. One dial attempt per connection
// and one retry per command: a call that meets a gone Redis fails in
// about a dial's time rather than go-redis's default 1.8 s of attempts
// (and the limiter then leaves Redis to its background probe).
//
// The client is go-redis's universal one: a single server, a cluster
// (rate_limits.redis.cluster) or the primary the sentinels name, over TLS
// and as an ACL user when configured.
func redisClient(cfg *config.Config) (redis.UniversalClient, error) {
	if cfg.RateLimits.Backend != config.BackendRedis {
		return nil, nil
	}
	r := cfg.RateLimits.Redis
	tlsConfig, err := r.TLSConfig()
	if err != nil {
		return nil, fmt.Errorf("rate_limits.redis.tls: %w", err)
	}
	opts := &redis.UniversalOptions{Addrs: r.Addrs, Username: r.Username, Password: r.Password, DB: r.DB,
		TLSConfig: tlsConfig, IsClusterMode: r.Cluster,
		DialTimeout: time.Second, ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond,
		DialerRetries: 1, MaxRetries: 1}
	if r.Addr != "" {
		opts.Addrs = []string{r.Addr}
	}
	if s := r.Sentinel; s != nil {
		opts.MasterName, opts.Addrs = s.Master, s.Addrs
		opts.SentinelUsername, opts.SentinelPassword = s.Username, s.Password
	}
	return redis.NewUniversalClient(opts), nil
}

// OpenStore opens the store the configuration names: SQLite in data_dir,
// or PostgreSQL. It is the one place that does (the CLI's direct store
// commands come here too).
func OpenStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	return openStore(ctx, cfg, nil)
}

// openStore is OpenStore; onStream hears PostgreSQL's change stream lost
// and back. PostgreSQL's connections carry the instance name as
// application_name (unless the DSN names them).
func openStore(ctx context.Context, cfg *config.Config, onStream func(error)) (store.Store, error) {
	if cfg.Store.Driver == config.DriverPostgres {
		return postgres.Open(ctx, cfg.Store.DSN, postgres.Options{MaxConns: int32(cfg.Store.MaxConns),
			QueryTimeout: cfg.Store.QueryTimeout, Heartbeat: cfg.Store.Heartbeat, ApplicationName: cfg.Instance,
			NoMigrate: cfg.Store.Migrate == config.MigrateNever, OnStream: onStream})
	}
	return sqlite.Open(ctx, cfg.DataDir)
}

// storeOrNil is the store: nil when none is open.
func (a *App) storeOrNil() store.Store { return a.store }

// build makes a gateway for cfg over the App's store and State.
func (a *App) build(cfg *config.Config) (*gateway.Gateway, error) {
	if cfg.FingerprintKey == "" {
		key, err := a.fingerprintKey(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		cfg.FingerprintKey = key
	}
	if it := &cfg.IdentityToken; it.Enabled && it.Key == nil {
		if err := a.identityKey(cfg.DataDir, it); err != nil {
			return nil, err
		}
	}
	if cfg.RoutesNeedStore() && a.store == nil {
		return nil, errors.New("routes now need the store (apikey, basic), which is not open: restart to open it")
	}
	return gateway.New(cfg, gateway.Options{Logger: a.log, Now: a.opts.Now, Store: a.storeOrNil(), State: a.state})
}

// activate makes gw the serving gateway and starts its background work;
// the previous gateway's background work stops.
func (a *App) activate(cfg *config.Config, gw *gateway.Gateway) {
	ctx, cancel := context.WithCancel(context.Background())
	done := gw.Start(ctx)
	a.mu.Lock()
	stop := a.stopGW
	a.cfg, a.gw = cfg, gw
	a.stopGW = func() { cancel(); <-done }
	a.mu.Unlock()
	a.state.Activate(gw)
	if stop != nil {
		stop()
	}
}

// Handler serves the public listener (the current gateway).
func (a *App) Handler() http.Handler { return a.public }

// AdminHandler serves the admin listener (the current admin API).
func (a *App) AdminHandler() http.Handler { return a.admin }

// ExtAuthz is the server of Envoy's gRPC Checks (ext_authz_grpc), or nil
// when it is off.
func (a *App) ExtAuthz() *extauthz.Server { return a.extAuthz }

// Store is the open store, or nil.
func (a *App) Store() store.Store { return a.storeOrNil() }

// State is the long-lived state.
func (a *App) State() *gateway.State { return a.state }

// Gateway is the current gateway.
func (a *App) Gateway() *gateway.Gateway {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.gw
}

// Config is the configuration in force.
func (a *App) Config() *config.Config {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cfg
}

// Reload builds a gateway from next and swaps it in; requests in flight
// finish on the old one, and State carries over. Settings that only a
// restart can change (listen, admin.listen, tls, data_dir, store, rate_limits, server,
// ext_authz_grpc) keep
// their running values, and a WARN line names each one changed. A bad
// configuration is refused and the running one stays.
func (a *App) Reload(next *config.Config) error {
	running := a.Config()
	for _, changed := range restartOnly(running, next) {
		a.log.Warn("reload: this setting changes only at restart; the running value stays", "setting", changed)
	}
	next.Listen, next.TLS, next.DataDir, next.Server, next.Store = running.Listen, running.TLS, running.DataDir, running.Server, running.Store
	next.Admin.Listen, next.RateLimits, next.ExtAuthzGRPC = running.Admin.Listen, running.RateLimits, running.ExtAuthzGRPC
	if running.ServesFast() && !next.ServesFast() {
		a.state.Metrics.Reloaded(false, time.Now())
		return errors.New("reload: a route with websocket or upstream_h2c needs the standard engine, and the fast one serves (server.engine: fast, the default); set server.engine: standard and restart to change engines")
	}
	gw, err := a.build(next)
	if err != nil {
		a.state.Metrics.Reloaded(false, time.Now())
		return err
	}
	a.public.Swap(gw.Handler())
	a.admin.Swap(a.adminHandler(next, gw))
	if a.extAuthz != nil {
		a.extAuthz.Use(next, gw.Handler())
	}
	a.activate(next, gw)
	a.state.Metrics.Reloaded(true, time.Now())
	return nil
}

// adminHandler is the admin listener's handler for cfg: the admin API,
// metrics and health, and the profiler when admin.pprof is on.
func (a *App) adminHandler(cfg *config.Config, gw *gateway.Gateway) http.Handler {
	var sessions *console.Sessions
	if cfg.Admin.ConsoleOn() {
		sessions = a.sessions
	}
	h := admin.Handler(gw, a.storeOrNil(), a.state, sessions, cfg, a.log)
	if cfg.Admin.PProf {
		h = admin.WithPProf(h)
	}
	return h
}

// restartOnly names the restart-only settings that differ.
func restartOnly(old, next *config.Config) []string {
	var out []string
	if old.Listen != next.Listen {
		out = append(out, "listen")
	}
	if old.Admin.Listen != next.Admin.Listen {
		out = append(out, "admin.listen")
	}
	if (old.TLS == nil) != (next.TLS == nil) || old.TLS != nil && *old.TLS != *next.TLS {
		out = append(out, "tls")
	}
	if old.DataDir != next.DataDir {
		out = append(out, "data_dir")
	}
	if old.Store != next.Store {
		out = append(out, "store")
	}
	if !reflect.DeepEqual(old.RateLimits, next.RateLimits) {
		out = append(out, "rate_limits")
	}
	if old.Server != next.Server {
		out = append(out, "server")
	} else if !old.ServesFast() && next.ServesFast() {
		// The last websocket or upstream_h2c route is gone: the fast
		// engine would serve now, but the listener stays as it is.
		out = append(out, "server.engine")
	}
	if !old.ExtAuthzGRPC.Same(next.ExtAuthzGRPC) {
		out = append(out, "ext_authz_grpc")
	}
	if old.Tracing != next.Tracing {
		out = append(out, "tracing")
	}
	return out
}

// Close stops background work (writing what is pending) and closes the
// store.
func (a *App) Close() error {
	var err error
	a.closeMu.Do(func() {
		a.mu.Lock()
		if a.stopGW != nil {
			a.stopGW()
		}
		a.mu.Unlock()
		a.state.Close()
		a.stopBG()
		if a.redis != nil {
			a.redis.Close()
		}
		if a.watchStore != nil {
			close(a.watchStore)
		}
		if a.store != nil {
			err = a.store.Close()
		}
		if a.tracing != nil {
			// Send the spans still batched, but do not hang a shutdown on
			// an absent receiver.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if terr := a.tracing.Shutdown(ctx); terr != nil {
				a.log.Warn("tracing: spans not sent at shutdown", "error", terr.Error())
			}
		}
	})
	return err
}
