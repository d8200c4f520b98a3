package dpop

import (
	"context"
	"fmt"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/redis/go-redis/v9"
)

// A ReplayCache remembers the proofs used, so that none is used twice.
type ReplayCache interface {
	// Seen records key for ttl and reports whether it was already there.
	Seen(ctx context.Context, key string, ttl time.Duration) (bool, error)
	// Forget removes key: its proof was judged for a verdict the proxy
	// asks again in full (nginx), so it was not used yet.
	Forget(ctx context.Context, key string) error
}

// MemoryReplaySize bounds the proofs one process remembers: past it the
// oldest are forgotten first, and could be replayed. A gateway that sees
// more proofs per two proof lifetimes should share a Redis.
const MemoryReplaySize = 1 << 18

// Memory is the replay cache of one process.
type Memory struct {
	c *otter.Cache[string, time.Duration]
}

// NewMemory returns an empty in-process replay cache.
func NewMemory() *Memory {
	return &Memory{c: otter.Must(&otter.Options[string, time.Duration]{
		MaximumSize: MemoryReplaySize,
		ExpiryCalculator: otter.ExpiryCreatingFunc(func(e otter.Entry[string, time.Duration]) time.Duration {
			return e.Value
		}),
	})}
}

// Seen implements ReplayCache.
func (m *Memory) Seen(_ context.Context, key string, ttl time.Duration) (bool, error) {
	_, inserted := m.c.SetIfAbsent(key, ttl)
	return !inserted, nil
}

// Forget implements ReplayCache.
func (m *Memory) Forget(_ context.Context, key string) error {
	m.c.Invalidate(key)
	return nil
}

// Redis is the replay cache of a fleet: one SET NX per proof, so a proof
// used at one instance is refused at every other.
type Redis struct {
	client redis.UniversalClient
	prefix string
}

// NewRedis returns a replay cache in client under keys starting with
// prefix.
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

// Seen implements ReplayCache.
func (r *Redis) Seen(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	set, err := r.client.SetNX(ctx, r.prefix+key, 1, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("%w: %v", errReplayStore, err)
	}
	return !set, nil
}

// Forget implements ReplayCache.
func (r *Redis) Forget(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return r.client.Del(ctx, r.prefix+key).Err()
}
