package store

import (
	"context"
	"sync"
)

// Cache holds what was read from a Store and empties itself whenever the
// Store changes — in this process or any other — so a revocation, a
// password change or a removal takes effect on the very next request.
// Each Get costs one Version call. When full, it empties (no stale entry
// survives, and the next requests refill it).
type Cache[K comparable, V any] struct {
	store   Store
	max     int
	mu      sync.RWMutex
	version int64
	m       map[K]V
}

// NewCache returns a Cache of at most max entries over s.
func NewCache[K comparable, V any](s Store, max int) *Cache[K, V] {
	return &Cache[K, V]{store: s, max: max, version: -1, m: map[K]V{}}
}

// Get returns the cached value of k and the store version it is valid
// for. An error means the store cannot say whether it changed: the caller
// must not trust any cached value.
func (c *Cache[K, V]) Get(ctx context.Context, k K) (V, bool, int64, error) {
	var zero V
	v, err := c.store.Version(ctx)
	if err != nil {
		return zero, false, 0, err
	}
	c.mu.RLock()
	if c.version == v {
		val, ok := c.m[k]
		c.mu.RUnlock()
		return val, ok, v, nil
	}
	c.mu.RUnlock()
	c.mu.Lock()
	if c.version != v {
		clear(c.m)
		c.version = v
	}
	c.mu.Unlock()
	return zero, false, v, nil
}

// Put stores val under k if the store is still at version (from the Get
// that preceded the read); otherwise val may be stale and is dropped.
func (c *Cache[K, V]) Put(version int64, k K, val V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != version {
		return
	}
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[k] = val
}

// Flush empties the cache (after this process changed the store).
func (c *Cache[K, V]) Flush() {
	c.mu.Lock()
	clear(c.m)
	c.version = -1
	c.mu.Unlock()
}
