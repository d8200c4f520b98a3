package store

import "sync"

// Changes hands changes to subscribers, one announcement at a time and in
// order: the part of a Store's Subscribe that every implementation shares.
type Changes struct {
	emitMu sync.Mutex
	mu     sync.Mutex
	subs   map[int]func(Change)
	next   int
}

// Subscribe implements Store.Subscribe.
func (c *Changes) Subscribe(fn func(Change)) (cancel func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.subs == nil {
		c.subs = map[int]func(Change){}
	}
	id := c.next
	c.next++
	c.subs[id] = fn
	return func() {
		c.mu.Lock()
		delete(c.subs, id)
		c.mu.Unlock()
	}
}

// Announce hands ch to every subscriber before it returns.
func (c *Changes) Announce(ch Change) {
	c.emitMu.Lock()
	defer c.emitMu.Unlock()
	c.mu.Lock()
	fns := make([]func(Change), 0, len(c.subs))
	for _, fn := range c.subs {
		fns = append(fns, fn)
	}
	c.mu.Unlock()
	for _, fn := range fns {
		fn(ch)
	}
}
