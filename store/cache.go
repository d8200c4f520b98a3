package store

import "sync"

// Cache holds what was read from a Store and follows the Store's change
// stream: a change drops exactly the entries it concerns, so a
// revocation, a password change or a removal takes effect on the very
// next request, while writes that change no decision (last-used times)
// drop nothing. While the stream says it cannot follow changes, every Get
// misses. When full, it empties (no stale entry survives, and the next
// requests refill it).
type Cache[K comparable, V any] struct {
	max      int
	concerns func(V, Change) bool
	cancel   func()

	mu sync.RWMutex
	m  map[K]V
	// gen counts the changes seen: a value read before a change is not
	// stored after it.
	gen  uint64
	down bool
}

// NewCache returns a Cache of at most max entries over s; concerns says
// whether a key or user change concerns a cached value. Close it when
// done.
func NewCache[K comparable, V any](s Store, max int, concerns func(V, Change) bool) *Cache[K, V] {
	c := &Cache[K, V]{max: max, concerns: concerns, m: map[K]V{}}
	c.cancel = s.Subscribe(c.apply)
	return c
}

// apply is the change stream's callback.
func (c *Cache[K, V]) apply(ch Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	switch ch.Kind {
	case Unavailable:
		c.down = true
		clear(c.m)
	case KeyChanged, UserChanged:
		for k, v := range c.m {
			if c.concerns(v, ch) {
				delete(c.m, k)
			}
		}
	default:
		c.down = false
		clear(c.m)
	}
}

// Get returns the cached value of k and the generation to pass to Put
// after reading the store on a miss.
func (c *Cache[K, V]) Get(k K) (V, bool, uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.down {
		var zero V
		return zero, false, c.gen
	}
	v, ok := c.m[k]
	return v, ok, c.gen
}

// Put stores val under k unless a change came since the Get that
// returned gen (val may then be stale) or changes cannot be followed.
func (c *Cache[K, V]) Put(gen uint64, k K, val V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.down {
		return
	}
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[k] = val
}

// Close stops following the store.
func (c *Cache[K, V]) Close() { c.cancel() }
