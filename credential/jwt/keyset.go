package jwt

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authgate/authgate/internal/outbound"
	"github.com/authgate/authgate/reason"
)

// KeySource gives the keys that may have signed a token with key id kid.
// An error is a *reason.Error: token_key_unknown when the source knows the
// kid is not there, auth_unavailable when it cannot tell.
type KeySource interface {
	Keys(ctx context.Context, kid string) ([]Key, error)
}

// keySet is an immutable set of keys indexed by kid.
type keySet struct {
	all       []Key
	byID      map[string][]Key
	noID      []Key
	fetchedAt time.Time
}

func newKeySet(keys []Key, at time.Time) *keySet {
	s := &keySet{all: keys, byID: map[string][]Key{}, fetchedAt: at}
	for _, k := range keys {
		if k.ID == "" {
			s.noID = append(s.noID, k)
		} else {
			s.byID[k.ID] = append(s.byID[k.ID], k)
		}
	}
	return s
}

// find returns the keys that may carry kid: those with that id, else the
// keys without an id; a token without kid may be signed by any key.
func (s *keySet) find(kid string) []Key {
	if kid == "" {
		return s.all
	}
	if ks := s.byID[kid]; len(ks) > 0 {
		return ks
	}
	return s.noID
}

// StaticKeys is a KeySource of fixed keys (PEM or JWK files, HMAC secrets).
type StaticKeys struct{ set *keySet }

// NewStaticKeys returns a KeySource holding keys.
func NewStaticKeys(keys []Key) *StaticKeys {
	return &StaticKeys{set: newKeySet(keys, time.Now())}
}

// Keys implements KeySource.
func (s *StaticKeys) Keys(_ context.Context, kid string) ([]Key, error) {
	if ks := s.set.find(kid); len(ks) > 0 {
		return ks, nil
	}
	return nil, reason.New(reason.TokenKeyUnknown, "kid %s is not one of the issuer's configured keys", quoteKid(kid))
}

// MaxJWKSBytes bounds a JWKS response.
const MaxJWKSBytes = 1 << 20

// RemoteKeys is a KeySource that fetches a JWKS URL: at start, every
// RefreshEvery, and when a token names an unknown kid (at most once per
// MinRefetch; scheduled fetches do not count, so a key published just
// after one is found on first sight). The last good key set stays in use
// when a refresh fails.
type RemoteKeys struct {
	URL string
	// Discover, when URL is empty, is an issuer whose OpenID discovery
	// document (or RFC 8414 metadata) names the key set, read again at
	// every refresh; the document's issuer must be exactly this one.
	Discover     string
	RefreshEvery time.Duration
	MinRefetch   time.Duration
	Client       *http.Client
	Logger       *slog.Logger

	set atomic.Pointer[keySet]

	mu sync.Mutex // serialises fetches and guards lastOnDemand and lastEnded
	// lastOnDemand is when the latest fetch for an unknown kid (or for no
	// keys yet) began.
	lastOnDemand time.Time
	// lastEnded is when the latest fetch ended: a request that waited for
	// it takes its failure rather than fetching again, so it waits for one
	// failing fetch (5 s at most), not two.
	lastEnded time.Time
	// lastErr is the error of the latest fetch (nil when it succeeded),
	// readable without waiting for a fetch in flight: health and metrics
	// never block on I/O.
	lastErr atomic.Pointer[error]

	refreshOK, refreshFailed atomic.Uint64
	// found is the jwks_uri discovery found last; introspection the
	// introspection_endpoint it named, if any.
	found         atomic.Pointer[string]
	introspection atomic.Pointer[string]
}

// location names the key set's URL for messages: the configured one, the
// one discovery found, or the discovery document's.
func (r *RemoteKeys) location() string {
	switch p := r.found.Load(); {
	case r.URL != "":
		return r.URL
	case p != nil:
		return *p
	}
	return strings.TrimSuffix(r.Discover, "/") + "/.well-known/openid-configuration"
}

// IntrospectionEndpoint is the introspection_endpoint discovery found
// ("" when none, or before the first discovery).
func (r *RemoteKeys) IntrospectionEndpoint() string {
	if p := r.introspection.Load(); p != nil {
		return *p
	}
	return ""
}

// maxDiscoveryBytes bounds a discovery document.
const maxDiscoveryBytes = 64 << 10

// discover reads the issuer's metadata — OpenID discovery, else RFC 8414
// authorization server metadata — and returns its jwks_uri, after
// checking that the document speaks for exactly this issuer (mix-up
// defence).
func (r *RemoteKeys) discover(ctx context.Context) (string, error) {
	iss, err := url.Parse(r.Discover)
	if err != nil {
		return "", err
	}
	oidc := strings.TrimSuffix(r.Discover, "/") + "/.well-known/openid-configuration"
	rfc8414 := iss.Scheme + "://" + iss.Host + "/.well-known/oauth-authorization-server" + strings.TrimSuffix(iss.Path, "/")
	var lastErr error
	for _, u := range []string{oidc, rfc8414} {
		body, err := r.get(ctx, u, maxDiscoveryBytes)
		if err != nil {
			lastErr = err
			continue
		}
		var doc struct {
			Issuer        string `json:"issuer"`
			JWKSURI       string `json:"jwks_uri"`
			Introspection string `json:"introspection_endpoint"`
		}
		switch {
		case json.Unmarshal(body, &doc) != nil:
			return "", fmt.Errorf("GET %s: not a JSON metadata document", u)
		case doc.Issuer != r.Discover:
			return "", fmt.Errorf("GET %s: the document is for issuer %q, not %q (a mix-up: it is not used)", u, sanitize(doc.Issuer, 200), r.Discover)
		case CheckFetchURL(doc.JWKSURI) != nil:
			return "", fmt.Errorf("GET %s: jwks_uri %q is not a usable https URL", u, sanitize(doc.JWKSURI, 200))
		}
		r.found.Store(&doc.JWKSURI)
		if CheckFetchURL(doc.Introspection) == nil {
			r.introspection.Store(&doc.Introspection)
		}
		return doc.JWKSURI, nil
	}
	return "", lastErr
}

// Stats returns the refreshes that succeeded and failed so far, the keys
// held, when they were fetched, and the last error (nil when healthy).
func (r *RemoteKeys) Stats() (ok, failed uint64, keys int, fetchedAt time.Time, lastErr error) {
	keys, fetchedAt = r.KeyCount()
	return r.refreshOK.Load(), r.refreshFailed.Load(), keys, fetchedAt, r.err()
}

// err is the error of the latest fetch.
func (r *RemoteKeys) err() error {
	if p := r.lastErr.Load(); p != nil {
		return *p
	}
	return nil
}

// Start fetches the key set in the background, then refreshes it
// until ctx ends; it does not wait (a gateway may serve its own issuer's
// keys). A request before the first fetch fetches on demand; a failed
// fetch is logged, not fatal: requests get
// auth_unavailable until a fetch succeeds.
func (r *RemoteKeys) Start(ctx context.Context) {
	go func() {
		r.refresh(ctx, true)
		for {
			wait := r.RefreshEvery
			if r.set.Load() == nil || r.failing() {
				wait = min(wait, 5*time.Second)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
				r.refresh(ctx, true)
			}
		}
	}()
}

func (r *RemoteKeys) failing() bool { return r.err() != nil }

// refresh fetches the set. A scheduled refresh always fetches; one on
// demand (an unknown kid, no keys yet) fetches unless another on-demand
// fetch began within MinRefetch, so random kids cost at most one fetch
// per MinRefetch, and one that waited for a fetch in flight that failed
// takes that failure. It reports the error of the latest attempt.
func (r *RemoteKeys) refresh(ctx context.Context, scheduled bool) error {
	waited := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if !scheduled {
		// A fetch that failed while this one waited is its answer too
		// (a silent server is waited for once); one that succeeded may
		// have begun before the kid was published, so it is no answer.
		if r.lastEnded.After(waited) && r.err() != nil || !r.lastOnDemand.IsZero() && now.Sub(r.lastOnDemand) < r.MinRefetch {
			return r.err()
		}
		r.lastOnDemand = now
	}
	keys, err := r.fetch(ctx)
	r.lastEnded = time.Now()
	r.lastErr.Store(&err)
	if err != nil {
		r.refreshFailed.Add(1)
		if r.Logger != nil {
			r.Logger.Warn("jwks refresh failed", "url", r.location(), "error", err.Error(), "keeping_cached_keys", r.set.Load() != nil)
		}
		return err
	}
	r.set.Store(newKeySet(keys, now))
	r.refreshOK.Add(1)
	return nil
}

func (r *RemoteKeys) fetch(ctx context.Context) ([]Key, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	target := r.URL
	if target == "" {
		var err error
		if target, err = r.discover(ctx); err != nil {
			return nil, err
		}
	}
	body, err := r.get(ctx, target, MaxJWKSBytes)
	if err != nil {
		return nil, err
	}
	keys, skipped, err := ParseJWKS(body)
	if err == nil && len(skipped) > 0 && r.Logger != nil {
		r.Logger.Info("jwks keys skipped", "url", target, "skipped", skipped)
	}
	return keys, err
}

// get fetches target, refusing a non-200 answer and a body over limit.
func (r *RemoteKeys) get(ctx context.Context, target string, limit int) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := outbound.NoRedirects(r.Client).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if outbound.IsRedirect(resp) {
		return nil, fmt.Errorf("GET %s: %s", target, outbound.Redirect(resp))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", target, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(body) > limit {
		return nil, fmt.Errorf("GET %s: larger than %d bytes", target, limit)
	}
	return body, nil
}

// Keys implements KeySource.
func (r *RemoteKeys) Keys(ctx context.Context, kid string) ([]Key, error) {
	if set := r.set.Load(); set != nil {
		if ks := set.find(kid); len(ks) > 0 {
			return ks, nil
		}
	}
	// Unknown kid, or no keys yet: refetch, at most once per MinRefetch.
	err := r.refresh(ctx, false)
	set := r.set.Load()
	if set == nil {
		return nil, &reason.Error{Code: reason.AuthUnavailable, RetryAfter: r.MinRefetch + time.Second, Err: err,
			Detail: fmt.Sprintf("no signing keys for this issuer yet: fetching %s failed: %v", r.location(), err)}
	}
	if ks := set.find(kid); len(ks) > 0 {
		return ks, nil
	}
	if err != nil {
		return nil, &reason.Error{Code: reason.AuthUnavailable, RetryAfter: r.MinRefetch + time.Second, Err: err,
			Detail: fmt.Sprintf("kid %s is not in the cached key set and refreshing %s failed: %v", quoteKid(kid), r.location(), err)}
	}
	return nil, reason.New(reason.TokenKeyUnknown, "kid %s is not in the issuer's key set (%d keys, fetched %s ago)",
		quoteKid(kid), len(set.all), time.Since(set.fetchedAt).Round(time.Second))
}

// KeyCount returns the number of keys held, and when they were fetched.
func (r *RemoteKeys) KeyCount() (int, time.Time) {
	if set := r.set.Load(); set != nil {
		return len(set.all), set.fetchedAt
	}
	return 0, time.Time{}
}
