// Package redistest gives tests the machine's Redis service
// (127.0.0.1:6379; AUTHGATE_TEST_REDIS names another) and a key prefix of
// their own, whose keys are deleted at the end. Without the service the
// test skips with a message — and fails under CI=true, where the service
// must be there.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Addr is the Redis the tests use.
func Addr() string {
	if v := os.Getenv("AUTHGATE_TEST_REDIS"); v != "" {
		return v
	}
	return "127.0.0.1:6379"
}

// Client connects to Redis and returns a client and a fresh key prefix
// ("authgate-test:<random>:"); the prefix's keys go at the test's end.
func Client(t testing.TB) (*redis.Client, string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: Addr()})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		if os.Getenv("CI") != "" {
			t.Fatalf("Redis is not reachable at %s, and CI must provide it: %v", Addr(), err)
		}
		t.Skipf("Redis is not reachable at %s (install and start redis-server, or set AUTHGATE_TEST_REDIS): %v", Addr(), err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	prefix := "authgate-test:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if keys, err := c.Keys(ctx, prefix+"*").Result(); err == nil && len(keys) > 0 {
			c.Del(ctx, keys...)
		}
		c.Close()
	})
	return c, prefix
}
