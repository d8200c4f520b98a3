package gateway

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

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
	clockSkew    prometheus.Histogram
	reloadOK     prometheus.Gauge
	reloadAt     prometheus.Gauge
	// rateLimitErrors counts calls the shared rate limiter (Redis) did not
	// answer.
	rateLimitErrors prometheus.Counter
}

func newMetrics(s *State) *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "authgate_requests_total", Help: "Requests by route, outcome (allowed, denied, fault) and reason code.",
	}, []string{"route", "outcome", "reason"})
	m.authLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "authgate_authentication_seconds", Help: "Time to authenticate a request, by scheme.",
		Buckets: []float64{1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.05, 0.1},
	}, []string{"scheme"})
	m.storeLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "authgate_store_seconds", Help: "Store operations on the request path, by operation.",
		Buckets: []float64{1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 1e-3, 0.01, 0.1},
	}, []string{"op"})
	m.clockSkew = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "authgate_token_clock_skew_seconds",
		Help:    "iat of accepted tokens minus the gateway's clock: a skewed issuer or client fleet shows up here.",
		Buckets: []float64{-300, -120, -60, -30, -10, -2, 0, 2, 10, 30, 60, 120, 300},
	})
	m.reloadOK = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "authgate_config_last_reload_successful", Help: "1 when the last configuration load or reload succeeded, else 0.",
	})
	m.reloadAt = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "authgate_config_last_reload_success_timestamp_seconds", Help: "When the configuration was last loaded successfully (Unix time).",
	})
	m.rateLimitErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "authgate_rate_limit_errors_total", Help: "Failure-limit and quota counts the shared limiter (Redis) did not answer: failure limits fell back to this instance's counts, quotas followed rate_limits.quota_on_error.",
	})
	m.registry.MustRegister(m.requests, m.authLatency, m.storeLatency, m.clockSkew, m.reloadOK, m.reloadAt, m.rateLimitErrors, &stateCollector{s: s},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
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

// observe records one finished request.
func (m *Metrics) observe(ex *exchange) {
	outcome, code := "allowed", ""
	if ex.err != nil {
		code = string(ex.err.Code)
		outcome = "denied"
		if ex.err.Entry().Status >= 500 {
			outcome = "fault"
		}
	} else if ex.status >= 500 {
		outcome = "fault"
	}
	m.requests.WithLabelValues(ex.routeLabel(), outcome, code).Inc()
	if ex.authed && !ex.identity.IssuedAt.IsZero() {
		m.clockSkew.Observe(ex.identity.IssuedAt.Sub(ex.start).Seconds())
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
	storeDesc   = prometheus.NewDesc("authgate_store_healthy", "1 while the store has no known problem (its file deleted or replaced, a full disk), else 0.", nil, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- cacheDesc
	ch <- refreshDesc
	ch <- keysDesc
	ch <- ageDesc
	ch <- storeDesc
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
type timedStore struct {
	store.Store
	latency *prometheus.HistogramVec
}

func (s timedStore) since(op string, start time.Time) {
	s.latency.WithLabelValues(op).Observe(time.Since(start).Seconds())
}

func (s timedStore) KeyByHash(ctx context.Context, hash []byte) (store.Key, error) {
	defer s.since("key_by_hash", time.Now())
	return s.Store.KeyByHash(ctx, hash)
}

func (s timedStore) User(ctx context.Context, name string) (store.User, error) {
	defer s.since("user", time.Now())
	return s.Store.User(ctx, name)
}
