package gateway

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/internal/buildinfo"
	"github.com/authgate/authgate/store"
)

// Metrics are authgate's Prometheus series. They belong to State, so a
// reload keeps every counter. Labels are bounded: route names and reason
// codes come from the configuration and the catalogue; no subject,
// fingerprint or raw path is ever a label.
type Metrics struct {
	registry     *prometheus.Registry
	requests     *prometheus.CounterVec
	authLatency  *prometheus.HistogramVec
	storeLatency *prometheus.HistogramVec
	clockSkew    *prometheus.HistogramVec
	upstream     *prometheus.HistogramVec
	reloadOK     prometheus.Gauge
	reloadAt     prometheus.Gauge
	// rateLimitErrors counts calls the shared rate limiter (Redis) did not
	// answer.
	rateLimitErrors prometheus.Counter
	// service are the collectors Register adds to a service's registry.
	service []prometheus.Collector
	// traffic is the last hour of the requests counter, minute by minute.
	traffic traffic
}

func newMetrics(s *State) *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "authgate_requests_total", Help: "Requests by route, outcome (allowed, denied, fault) and reason code.",
	}, []string{"route", "outcome", "reason"})
	m.authLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "authgate_authentication_duration_seconds", Help: "Time to authenticate a request, by scheme.",
		Buckets: []float64{1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.05, 0.1},
	}, []string{"scheme"})
	m.storeLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "authgate_store_duration_seconds", Help: "Store operations on the request path (cache misses), by operation.",
		Buckets: []float64{1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 1e-3, 0.01, 0.1},
	}, []string{"op"})
	m.clockSkew = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "authgate_token_clock_skew_seconds",
		Help:    "How far the iat of accepted tokens is from the gateway's clock (absolute), by direction: ahead (iat in the future) or behind.",
		Buckets: []float64{1, 2, 5, 10, 30, 60, 120, 300},
	}, []string{"direction"})
	m.upstream = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "authgate_upstream_request_duration_seconds",
		Help:    "Time from sending a request upstream to its response headers, by route and status class (2xx…5xx, or error when no answer came).",
		Buckets: []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
	}, []string{"route", "code_class"})
	build := buildinfo.Read()
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "authgate_build_info", Help: "Always 1; the labels name the running build.",
		ConstLabels: prometheus.Labels{"version": build.Version, "revision": build.Revision, "goversion": build.GoVersion},
	})
	buildInfo.Set(1)
	m.reloadOK = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "authgate_config_last_reload_successful", Help: "1 when the last configuration load or reload succeeded, else 0.",
	})
	m.reloadAt = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "authgate_config_last_reload_success_timestamp_seconds", Help: "When the configuration was last loaded successfully (Unix time).",
	})
	m.rateLimitErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "authgate_rate_limit_errors_total", Help: "Failure-limit and quota counts the shared limiter (Redis) did not answer: failure limits fell back to this instance's counts, quotas followed rate_limits.quota_on_error.",
	})
	m.registry.MustRegister(m.requests, m.authLatency, m.storeLatency, m.clockSkew, m.upstream, buildInfo, m.reloadOK, m.reloadAt, m.rateLimitErrors, &stateCollector{s: s},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.service = []prometheus.Collector{m.requests, m.authLatency, m.storeLatency, m.clockSkew, m.rateLimitErrors, &stateCollector{s: s}}
	return m
}

// Register adds the request-path metrics (requests, authentication and
// store latency, clock skew, limiter errors, the state gauges) to a
// service's own registry (package middleware); the process and Go
// collectors, upstream timing and reloads stay the gateway's.
func (m *Metrics) Register(reg prometheus.Registerer) error {
	for _, c := range m.service {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Handler serves the exposition.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Reloaded records a configuration load: ok, and when it succeeded.
func (m *Metrics) Reloaded(ok bool, at time.Time) {
	if !ok {
		m.reloadOK.Set(0)
		return
	}
	m.reloadOK.Set(1)
	m.reloadAt.Set(float64(at.UnixNano()) / 1e9)
}

// outcome is allowed, denied or fault (a 5xx, the gateway's or the
// upstream's).
func outcome(ex *exchange) string {
	switch {
	case ex.err != nil && ex.err.Entry().Status >= 500, ex.err == nil && ex.status >= 500:
		return api.OutcomeFault
	case ex.err != nil:
		return api.OutcomeDenied
	}
	return api.OutcomeAllowed
}

// observe records one finished request.
func (m *Metrics) observe(ex *exchange) {
	code, o := "none", outcome(ex)
	if ex.err != nil {
		code = string(ex.err.Code)
	}
	m.requests.WithLabelValues(ex.routeLabel(), o, code).Inc()
	m.traffic.add(ex.start, o, ex.err)
	if ex.authed && !ex.identity.IssuedAt.IsZero() {
		skew, direction := ex.identity.IssuedAt.Sub(ex.start).Seconds(), "ahead"
		if skew < 0 {
			skew, direction = -skew, "behind"
		}
		m.clockSkew.WithLabelValues(direction).Observe(skew)
	}
}

// stateCollector reads what other packages count (caches, JWKS) of the
// active gateway.
type stateCollector struct{ s *State }

var (
	cacheDesc   = prometheus.NewDesc("authgate_token_cache_lookups_total", "Verified-token cache lookups by result.", []string{"result"}, nil)
	refreshDesc = prometheus.NewDesc("authgate_jwks_refreshes_total", "JWKS fetches by issuer and result.", []string{"issuer", "result"}, nil)
	keysDesc    = prometheus.NewDesc("authgate_jwks_keys", "Keys held per issuer.", []string{"issuer"}, nil)
	ageDesc     = prometheus.NewDesc("authgate_jwks_age_seconds", "Age of the key set held per issuer.", []string{"issuer"}, nil)
	storeDesc   = prometheus.NewDesc("authgate_store_healthy", "1 while the store has no known problem (its file deleted or replaced, a full disk, its change stream lost), else 0.", nil, nil)
	streamDesc  = prometheus.NewDesc("authgate_store_change_stream_reconnects_total", "Times PostgreSQL's change stream came back after a loss (the first connection is not counted).", nil, nil)
)

// reconnecter is a store whose change stream runs over a connection that
// can be lost and regained (PostgreSQL's).
type reconnecter interface{ Reconnects() uint64 }

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- cacheDesc
	ch <- refreshDesc
	ch <- keysDesc
	ch <- ageDesc
	ch <- storeDesc
	ch <- streamDesc
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	g := c.s.current.Load()
	if g == nil {
		return
	}
	hits, misses := g.tokens.CacheStats()
	ch <- prometheus.MustNewConstMetric(cacheDesc, prometheus.CounterValue, float64(hits), "hit")
	ch <- prometheus.MustNewConstMetric(cacheDesc, prometheus.CounterValue, float64(misses), "miss")
	if g.store != nil {
		healthy := 1.0
		if g.store.Problem() != nil {
			healthy = 0
		}
		ch <- prometheus.MustNewConstMetric(storeDesc, prometheus.GaugeValue, healthy)
		if r, ok := g.store.(reconnecter); ok {
			ch <- prometheus.MustNewConstMetric(streamDesc, prometheus.CounterValue, float64(r.Reconnects()))
		}
	}
	for name, rk := range g.remoteByIssuer {
		ok, failed, keys, at, _ := rk.Stats()
		ch <- prometheus.MustNewConstMetric(refreshDesc, prometheus.CounterValue, float64(ok), name, "ok")
		ch <- prometheus.MustNewConstMetric(refreshDesc, prometheus.CounterValue, float64(failed), name, "error")
		ch <- prometheus.MustNewConstMetric(keysDesc, prometheus.GaugeValue, float64(keys), name)
		if !at.IsZero() {
			ch <- prometheus.MustNewConstMetric(ageDesc, prometheus.GaugeValue, time.Since(at).Seconds(), name)
		}
	}
}

// timedStore measures the store calls made on the request path.
// (and traces them when tracer is set).
type timedStore struct {
	store.Store
	latency *prometheus.HistogramVec
	tracer  trace.Tracer
}

// begin starts timing op; the function it returns records it.
func (s timedStore) begin(ctx context.Context, op string) (context.Context, func(error)) {
	start := time.Now()
	var span trace.Span
	if s.tracer != nil {
		ctx, span = s.tracer.Start(ctx, "store "+op, trace.WithAttributes(attribute.String("db.operation.name", op)))
	}
	return ctx, func(err error) {
		s.latency.WithLabelValues(op).Observe(time.Since(start).Seconds())
		if span != nil {
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				span.SetStatus(codes.Error, "store error")
			}
			span.End()
		}
	}
}

func (s timedStore) KeyByHash(ctx context.Context, hash []byte) (store.Key, error) {
	ctx, done := s.begin(ctx, "key_by_hash")
	k, err := s.Store.KeyByHash(ctx, hash)
	done(err)
	return k, err
}

func (s timedStore) User(ctx context.Context, name string) (store.User, error) {
	ctx, done := s.begin(ctx, "user")
	u, err := s.Store.User(ctx, name)
	done(err)
	return u, err
}
