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
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/authgate/authgate/admin"
	"github.com/authgate/authgate/admin/console"
	"github.com/authgate/authgate/config"
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
	client := redisClient(cfg)
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
	}
	if cfg.NeedsStore() {
		st, err := OpenStore(context.Background(), cfg)
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
	a.activate(cfg, gw)
	a.state.Metrics.Reloaded(true, time.Now())
	if a.store != nil {
		a.watchStore = make(chan struct{})
		go a.watchStoreProblems(a.watchStore)
	}
	return a, nil
}

// watchStoreProblems logs at ERROR when the store gets a problem (its file
// deleted or replaced, a full disk, PostgreSQL's change stream lost) and
// at INFO when it is gone, until
// stop closes. Readiness and the authgate_store_healthy metric say the
// same.
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

// failureStreamLen is about how many failures the fleet's stream keeps.
const failureStreamLen = 10000

// redisClient is the Redis of rate_limits.backend redis (nil for local).
// Redis need not answer at start: until it does, failure limits are
// counted per instance, quotas follow quota_on_error, and the failure
// feed shows this instance's refusals. One dial attempt per connection
// and one retry per command: a call that meets a gone Redis fails in
// about a dial's time rather than go-redis's default 1.8 s of attempts
// (and the limiter then leaves Redis to its background probe).
func redisClient(cfg *config.Config) redis.UniversalClient {
	if cfg.RateLimits.Backend != config.BackendRedis {
		return nil
	}
	r := cfg.RateLimits.Redis
	return redis.NewClient(&redis.Options{Addr: r.Addr, Password: r.Password, DB: r.DB,
		DialTimeout: time.Second, ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond,
		DialerRetries: 1, MaxRetries: 1})
}

// OpenStore opens the store the configuration names: SQLite in data_dir,
// or PostgreSQL. It is the one place that does (the CLI's direct store
// commands come here too).
func OpenStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	if cfg.Store.Driver == config.DriverPostgres {
		return postgres.Open(ctx, cfg.Store.DSN, postgres.Options{MaxConns: int32(cfg.Store.MaxConns),
			QueryTimeout: cfg.Store.QueryTimeout, Heartbeat: cfg.Store.Heartbeat})
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
// restart can change (listen, admin.listen, tls, data_dir, store, rate_limits, server) keep
// their running values, and a WARN line names each one changed. A bad
// configuration is refused and the running one stays.
func (a *App) Reload(next *config.Config) error {
	running := a.Config()
	for _, changed := range restartOnly(running, next) {
		a.log.Warn("reload: this setting changes only at restart; the running value stays", "setting", changed)
	}
	next.Listen, next.TLS, next.DataDir, next.Server, next.Store = running.Listen, running.TLS, running.DataDir, running.Server, running.Store
	next.Admin.Listen, next.RateLimits = running.Admin.Listen, running.RateLimits
	gw, err := a.build(next)
	if err != nil {
		a.state.Metrics.Reloaded(false, time.Now())
		return err
	}
	a.public.Swap(gw.Handler())
	a.admin.Swap(a.adminHandler(next, gw))
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
	if old.RateLimits != next.RateLimits {
		out = append(out, "rate_limits")
	}
	if old.Server != next.Server {
		out = append(out, "server")
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
