package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/dpop"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/failures"
	"github.com/authgate/authgate/internal/tracing"
	"github.com/authgate/authgate/limit"
	"github.com/authgate/authgate/recent"
)

// failureFeedSize is how many failures the feed keeps.
const failureFeedSize = 1000

// State is what outlives one configuration: the metrics, the failure feed
// and its subscribers, the failure limiter's lockouts, the verified-token
// cache and the JWKS key sets. Per-configuration objects (routes,
// verifiers) are rebuilt at every reload; they borrow these (Caddy's
// UsagePool idea). Build it once per process with NewState.
type State struct {
	Metrics  *Metrics
	Failures *failures.Feed
	// Recent is this instance's latest requests, for Request-Id lookups
	// (console.recent_requests).
	Recent  *recent.Ring
	limiter *failureLimiter
	// quotas counts route quotas (shared across the fleet with Redis).
	quotas limit.Limiter
	// limitLogged is when a limiter failure was last logged (Unix ns).
	limitLogged atomic.Int64
	// current is the gateway whose caches and key sets metrics report.
	current atomic.Pointer[Gateway]

	// tracer records spans; nil when tracing is off.
	tracer trace.Tracer

	mu     sync.Mutex
	tokens *jwt.TokenCache
	// tokensSize is the size tokens was made with (0 default, <0 off).
	tokensSize int
	// fingerprints digest credentials under fingerprintKey (the
	// configured fingerprint_key; "" drew a random key once).
	fingerprints   *credential.Fingerprinter
	fingerprintKey string
	jwks           map[string]*remoteEntry
	// replay remembers the DPoP proofs used (in this process, or in
	// Redis across the fleet: UseReplayCache).
	replay dpop.ReplayCache
}

// remoteEntry is a shared JWKS source and how to stop its refreshes.
type remoteEntry struct {
	keys    *jwt.RemoteKeys
	started bool
	stop    context.CancelFunc
}

// NewState returns empty long-lived state. Failure limits and quotas are
// counted by shared (Redis, across the fleet), or in this process when it
// is nil.
func NewState(shared limit.Limiter) *State {
	local := limit.NewLocal()
	if shared == nil {
		shared = local
	}
	s := &State{Failures: failures.New(failureFeedSize), Recent: recent.New(0), quotas: shared, jwks: map[string]*remoteEntry{}, replay: dpop.NewMemory()}
	s.Metrics = newMetrics(s)
	s.limiter = newFailureLimiter(shared, local, s.limitFailed)
	return s
}

// UseReplayCache makes gateways remember used DPoP proofs in c (Redis,
// shared by a fleet) instead of this process's memory. Call it before
// building the first gateway.
func (s *State) UseReplayCache(c dpop.ReplayCache) { s.replay = c }

// UseTracing makes gateways record spans with tp: one per request, with
// child spans for store calls, key-set fetches and the upstream. Call it
// before building the first gateway; without it nothing is traced.
func (s *State) UseTracing(tp trace.TracerProvider) {
	s.tracer = tp.Tracer("github.com/authgate/authgate/gateway")
}

// tracedClient is the HTTP client of outgoing fetches (key sets): nil
// (http.DefaultClient) unless tracing is on.
func (s *State) tracedClient() *http.Client {
	if s.tracer == nil {
		return nil
	}
	return &http.Client{Transport: &tracing.Transport{Base: http.DefaultTransport, Tracer: s.tracer, Peer: "jwks"}}
}

// limitFailed counts a shared limiter (Redis) that did not answer, and
// logs it at most every 10 seconds.
func (s *State) limitFailed(err error) {
	s.Metrics.rateLimitErrors.Inc()
	now := time.Now().UnixNano()
	last := s.limitLogged.Load()
	if now-last < int64(10*time.Second) || !s.limitLogged.CompareAndSwap(last, now) {
		return
	}
	if g := s.current.Load(); g != nil {
		g.log.Warn("the shared rate limiter did not answer: failure limits count per instance, quotas follow quota_on_error",
			"error", err.Error())
	}
}

// Activate makes g the gateway that metrics describe and stops the key
// sets that g no longer uses. Call it after g replaced the old gateway.
func (s *State) Activate(g *Gateway) {
	s.current.Store(g)
	used := map[*jwt.RemoteKeys]bool{}
	for _, rk := range g.remoteByIssuer {
		used[rk] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, e := range s.jwks {
		if !used[e.keys] {
			if e.stop != nil {
				e.stop()
			}
			delete(s.jwks, id)
		}
	}
}

// Close stops every key set's refreshes.
func (s *State) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, e := range s.jwks {
		if e.stop != nil {
			e.stop()
		}
		delete(s.jwks, id)
	}
}

// remoteKeys returns the key source of a JWKS URL (or of the issuer whose
// discovery names it) with these settings:
// the one already held — with its keys, even during an outage — or a new
// one.
func (s *State) remoteKeys(url, discover string, refresh, minRefetch time.Duration, log *slog.Logger) *jwt.RemoteKeys {
	id := fmt.Sprintf("%s|%s|%s|%s", url, discover, refresh, minRefetch)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.jwks[id]; ok {
		return e.keys
	}
	rk := &jwt.RemoteKeys{URL: url, Discover: discover, RefreshEvery: refresh, MinRefetch: minRefetch, Logger: log, Client: s.tracedClient()}
	s.jwks[id] = &remoteEntry{keys: rk}
	return rk
}

// startKeys starts the refreshes of the key sets not started yet. Their
// lifetime is the State's, not a gateway's: a reload keeps them running.
func (s *State) startKeys(sources map[string]*jwt.RemoteKeys) {
	type starting struct {
		keys *jwt.RemoteKeys
		ctx  context.Context
	}
	var start []starting
	s.mu.Lock()
	for _, e := range s.jwks {
		for _, rk := range sources {
			if e.keys == rk && !e.started {
				ctx, cancel := context.WithCancel(context.Background())
				e.started, e.stop = true, cancel
				start = append(start, starting{e.keys, ctx})
			}
		}
	}
	s.mu.Unlock()
	for _, st := range start {
		st.keys.Start(st.ctx)
	}
}

// fingerprinter digests credentials under key: the fingerprinter of the
// previous configuration while the key stays the same (an empty key
// draws a random one once per process), so that the verified-token cache,
// which knows tokens by these digests, keeps its entries across reloads.
func (s *State) fingerprinter(key string) *credential.Fingerprinter {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fingerprints == nil || s.fingerprintKey != key {
		s.fingerprints, s.fingerprintKey = credential.NewFingerprinter([]byte(key)), key
	}
	return s.fingerprints
}

// tokenCache returns the verified-token cache of the configured size
// (0: default, <0: none), kept across reloads while the size is unchanged.
func (s *State) tokenCache(size int) *jwt.TokenCache {
	s.mu.Lock()
	defer s.mu.Unlock()
	if size < 0 {
		return nil
	}
	if s.tokens == nil || s.tokensSize != size {
		s.tokens, s.tokensSize = jwt.NewTokenCache(size), size
	}
	return s.tokens
}
