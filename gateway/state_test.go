package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/internal/eventually"
	"github.com/authgate/authgate/internal/tokentest"
)

// TestFingerprinterKeptAcrossReloads: gateways built on one State share
// its fingerprinter while fingerprint_key stays the same — also when it is
// empty (a random key, drawn once) — so fingerprints, and the verified-token
// cache keyed by the same digests, survive a reload; a new key gives new
// digests.
func TestFingerprinterKeptAcrossReloads(t *testing.T) {
	s := NewState(nil)
	for _, key := range []string{"", "k1"} {
		first, reloaded := s.fingerprinter(key).Digest("secret"), s.fingerprinter(key).Digest("secret")
		if first != reloaded {
			t.Errorf("fingerprint_key %q: the digest changed at a reload", key)
		}
	}
	if s.fingerprinter("k1").Digest("secret") == s.fingerprinter("k2").Digest("secret") {
		t.Error("a new fingerprint_key kept the old digests")
	}
}

// TestStartEndsKeyRefreshes: a gateway that made its own State stops
// refreshing its key sets when Start's context ends. A refresh that
// outlived its gateway would go on calling an address that is by then
// someone else's (a test's next server on a reused port, or an operator's
// reassigned host).
func TestStartEndsKeyRefreshes(t *testing.T) {
	jwks, fetches := tokentest.CountingJWKS(t)
	cfg, err := config.Parse("test.yaml", []byte(fmt.Sprintf(`
issuers:
  - {name: idp, issuer: "https://idp.test", audiences: [api], jwks_url: "%s/jwks", jwks_refresh: 10ms}
routes:
  - {name: api, path: /*, upstream: "http://127.0.0.1:1"}
`, jwks)), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := g.Start(ctx)
	eventually.True(t, patience, "the key set is refreshed every 10ms", func() bool { return fetches.Load() >= 3 })
	cancel()
	<-done
	time.Sleep(50 * time.Millisecond) // a fetch in flight at the end may still land
	ended := fetches.Load()
	time.Sleep(200 * time.Millisecond) // twenty refresh periods
	if n := fetches.Load(); n != ended {
		t.Errorf("the key set was fetched %d more times after the gateway ended", n-ended)
	}
}
