package limit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// takeScript is GCRA in one atomic step: KEYS[1] holds the theoretical
// arrival time (ns); ARGV: now, interval and window (ns). It returns ok,
// remaining, retry-after and reset (ns).
var takeScript = redis.NewScript(`
local now, interval, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local limit = now + window - interval
if tat > limit then return {0, 0, tat - limit, tat - now} end
tat = tat + interval
redis.call('SET', KEYS[1], tat, 'PX', math.ceil(window / 1000000) + 1000)
return {1, math.floor((now + window - tat) / interval), 0, tat - now}
`)

// takeAllScript is GCRA over several budgets at once: all or none.
// ARGV: now, then interval and window (ns) of each key in turn. It
// returns the failed index (1-based, 0 when all were taken) with
// retry-after and reset.
var takeAllScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local tats = {}
for i, key in ipairs(KEYS) do
  local interval, window = tonumber(ARGV[2*i]), tonumber(ARGV[2*i+1])
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  local limit = now + window - interval
  if tat > limit then return {i, tat - limit, tat - now} end
  tats[i] = tat + interval
end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, tats[i], 'PX', math.ceil(tonumber(ARGV[2*i+1]) / 1000000) + 1000)
end
return {0, 0, 0}
`)

// giveAllScript gives one interval back to each key; ARGV: the intervals.
var giveAllScript = redis.NewScript(`
for i, key in ipairs(KEYS) do
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat > 0 then redis.call('SET', key, tat - tonumber(ARGV[i]), 'KEEPTTL') end
end
return 1
`)

// Redis is a Limiter shared by every instance that uses the same Redis;
// the clock is the calling instance's (keep instances in NTP sync).
//
// After a failure Redis is left alone: every call answers errDown at once,
// without dialling, and the caller keeps its own fallback (failure limits
// per instance, quota_on_error). One background probe re-dials, about once
// a second, until Redis answers again. So a request never waits for
// go-redis's dial attempts with Redis gone — only the call that first
// meets the failure does.
type Redis struct {
	client redis.UniversalClient
	prefix string
	// down is set by a failure and cleared by the probe.
	down atomic.Bool
	// probing says the probe runs (at most one); closed stops it.
	probing, closed atomic.Bool
}

// Close stops the probe and closes the client.
func (r *Redis) Close() error {
	r.closed.Store(true)
	return r.client.Close()
}

// NewRedis returns a Limiter over client; keys are prefixed with prefix.
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

// retryAfterFailure is how often the probe re-dials a Redis that failed.
const retryAfterFailure = time.Second

// errDown is the answer while Redis is left alone.
var errDown = errors.New("redis: unreachable a moment ago; not asked again until a background probe reaches it")

func (r *Redis) run(ctx context.Context, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	if r.leftAlone() {
		cmd := redis.NewCmd(ctx)
		cmd.SetErr(errDown)
		return cmd
	}
	cmd := script.Run(ctx, r.client, r.prefixed(keys), args...)
	r.answered(ctx, cmd.Err())
	return cmd
}

// leftAlone reports whether Redis failed and the probe has not reached it
// since.
func (r *Redis) leftAlone() bool { return r.down.Load() }

// answered leaves Redis alone when err says it failed: not reached or not
// answering (a Redis error reply, such as a full memory, is an answer; a
// caller's own cancellation says nothing about Redis).
func (r *Redis) answered(ctx context.Context, err error) {
	var reply redis.Error
	if err == nil || errors.Is(err, redis.Nil) || errors.As(err, &reply) || ctx.Err() != nil {
		return
	}
	r.down.Store(true)
	if r.probing.CompareAndSwap(false, true) {
		go r.probe()
	}
}

// probe waits, then tries Redis — one dial first (a refused dial costs one
// attempt, not go-redis's retries), then a PING — until it answers, and
// lets calls through again. It ends when the limiter or the client is
// closed.
func (r *Redis) probe() {
	defer r.probing.Store(false)
	for {
		time.Sleep(retryAfterFailure)
		if r.closed.Load() {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := r.reach(ctx)
		cancel()
		switch {
		case err == nil:
			r.down.Store(false)
			return
		case errors.Is(err, redis.ErrClosed):
			return
		}
	}
}

// reach dials Redis once (a plain client's address) and, when that works,
// asks for a PING.
func (r *Redis) reach(ctx context.Context) error {
	if c, ok := r.client.(*redis.Client); ok {
		opt := c.Options()
		conn, err := opt.Dialer(ctx, opt.Network, opt.Addr)
		if err != nil {
			return err
		}
		conn.Close()
	}
	return r.client.Ping(ctx).Err()
}

// prefixed puts the instance's prefix before each key, in place.
func (r *Redis) prefixed(keys []string) []string {
	for i := range keys {
		keys[i] = r.prefix + keys[i]
	}
	return keys
}

// Take implements Limiter.
func (r *Redis) Take(ctx context.Context, key string, n int, window time.Duration) (Result, error) {
	interval := intervalOf(n, window)
	v, err := r.run(ctx, takeScript, []string{key}, time.Now().UnixNano(), interval, int64(window)).Int64Slice()
	if err != nil {
		return Result{}, fmt.Errorf("redis: %w", err)
	}
	if len(v) != 4 {
		return Result{}, fmt.Errorf("redis: unexpected answer %v", v)
	}
	return Result{OK: v[0] == 1, Remaining: int(v[1]), RetryAfter: time.Duration(v[2]), Reset: time.Duration(v[3])}, nil
}

// TakeAll implements Limiter.
func (r *Redis) TakeAll(ctx context.Context, budgets []Budget) (int, Result, error) {
	keys := make([]string, len(budgets))
	args := []any{time.Now().UnixNano()}
	for i, b := range budgets {
		keys[i] = b.Key
		args = append(args, intervalOf(b.N, b.Window), int64(b.Window))
	}
	v, err := r.run(ctx, takeAllScript, keys, args...).Int64Slice()
	if err != nil {
		return 0, Result{}, fmt.Errorf("redis: %w", err)
	}
	if len(v) != 3 {
		return 0, Result{}, fmt.Errorf("redis: unexpected answer %v", v)
	}
	if v[0] == 0 {
		return -1, Result{OK: true}, nil
	}
	return int(v[0]) - 1, Result{RetryAfter: time.Duration(v[1]), Reset: time.Duration(v[2])}, nil
}

// Peek implements Limiter with one MGET: nothing is written, and a budget
// never spent leaves no key behind.
func (r *Redis) Peek(ctx context.Context, budgets []Budget) (int, Result, error) {
	if r.leftAlone() {
		return 0, Result{}, fmt.Errorf("redis: %w", errDown)
	}
	keys := make([]string, len(budgets))
	for i, b := range budgets {
		keys[i] = b.Key
	}
	vals, err := r.client.MGet(ctx, r.prefixed(keys)...).Result()
	r.answered(ctx, err)
	if err != nil {
		return 0, Result{}, fmt.Errorf("redis: %w", err)
	}
	if len(vals) != len(budgets) {
		return 0, Result{}, fmt.Errorf("redis: MGET answered %d values for %d keys", len(vals), len(budgets))
	}
	// The scripts store Lua numbers, which Redis writes as %.17g
	// ("1.7965236318688038e+18"): read as a float, as the scripts do.
	tats := make([]int64, len(vals))
	for i, v := range vals {
		if s, ok := v.(string); ok {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return 0, Result{}, fmt.Errorf("redis: budget %s holds %.32q, not a time", budgets[i].Key, s)
			}
			tats[i] = int64(f)
		}
	}
	i, res := firstSpent(budgets, func(i int) int64 { return tats[i] }, time.Now().UnixNano())
	return i, res, nil
}

// GiveAll implements Limiter.
func (r *Redis) GiveAll(ctx context.Context, budgets []Budget) error {
	keys := make([]string, len(budgets))
	args := make([]any, len(budgets))
	for i, b := range budgets {
		keys[i], args[i] = b.Key, intervalOf(b.N, b.Window)
	}
	if err := r.run(ctx, giveAllScript, keys, args...).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}
