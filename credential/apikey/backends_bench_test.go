package apikey

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/authgate/authgate/credential/apikey/keyformat"
	"github.com/authgate/authgate/internal/pgtest"
	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/store/postgres"
	"github.com/authgate/authgate/store/sqlite"
)

// BenchmarkVerifyBackends compares the stores on the request path: a
// cached verification (the store is not asked: the same on both) and an
// uncached look-up, whose p99 is reported.
//
//	go test ./credential/apikey -run '^$' -bench VerifyBackends
func BenchmarkVerifyBackends(b *testing.B) {
	ctx := context.Background()
	stores := map[string]func(b *testing.B) store.Store{
		"sqlite": func(b *testing.B) store.Store {
			s, err := sqlite.Open(ctx, b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
		"postgres": func(b *testing.B) store.Store {
			s, err := postgres.Open(ctx, pgtest.DSN(b), postgres.Options{})
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		s := stores[name](b)
		key, id, _ := keyformat.Generate("live")
		if err := s.CreateKey(ctx, store.Key{ID: id, Name: "b", Environment: "live", Hash: Hash(key), Created: time.Now()}, "b"); err != nil {
			b.Fatal(err)
		}
		v := NewVerifier(s, "live", nil)
		v.Verify(ctx, key)
		b.Run(name+"/verify-cached", func(b *testing.B) {
			for b.Loop() {
				if _, err := v.Verify(ctx, key); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/lookup-uncached", func(b *testing.B) {
			var took []time.Duration
			hash := Hash(key)
			for b.Loop() {
				start := time.Now()
				if _, err := s.KeyByHash(ctx, hash); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
		})
		v.Close()
		s.Close()
	}
}
