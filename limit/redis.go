package limit

import (
	"context"
	"errors"
	"fmt"
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

// giveScript gives one interval back.
var giveScript = redis.NewScript(`
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat > 0 then redis.call('SET', KEYS[1], tat - tonumber(ARGV[1]), 'KEEPTTL') end
return 1
`)

// Redis is a Limiter shared by every instance that uses the same Redis;
// the clock is the calling instance's (keep instances in NTP sync).
type Redis struct {
	client redis.UniversalClient
	prefix string
	// downUntil: after a failure, calls fail at once until then (Unix ns),
	// so that requests do not each wait for an unreachable Redis.
	downUntil atomic.Int64
}

// retryAfterFailure is how long Redis is left alone after a failure.
const retryAfterFailure = time.Second

// errDown is the answer while Redis is left alone.
var errDown = errors.New("redis: unreachable a moment ago; not asked again yet")

func (r *Redis) run(ctx context.Context, script *redis.Script, key string, args ...any) *redis.Cmd {
	if time.Now().UnixNano() < r.downUntil.Load() {
		cmd := redis.NewCmd(ctx)
		cmd.SetErr(errDown)
		return cmd
	}
	cmd := script.Run(ctx, r.client, []string{r.prefix + key}, args...)
	if err := cmd.Err(); err != nil && !errors.Is(err, redis.Nil) {
		r.downUntil.Store(time.Now().Add(retryAfterFailure).UnixNano())
	}
	return cmd
}

// NewRedis returns a Limiter over client; keys are prefixed with prefix.
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

// Take implements Limiter.
func (r *Redis) Take(ctx context.Context, key string, n int, window time.Duration) (Result, error) {
	interval := int64(window) / int64(n)
	v, err := r.run(ctx, takeScript, key, time.Now().UnixNano(), interval, int64(window)).Int64Slice()
	if err != nil {
		return Result{}, fmt.Errorf("redis: %w", err)
	}
	if len(v) != 4 {
		return Result{}, fmt.Errorf("redis: unexpected answer %v", v)
	}
	return Result{OK: v[0] == 1, Remaining: int(v[1]), RetryAfter: time.Duration(v[2]), Reset: time.Duration(v[3])}, nil
}

// Give implements Limiter.
func (r *Redis) Give(ctx context.Context, key string, n int, window time.Duration) error {
	if err := r.run(ctx, giveScript, key, int64(window)/int64(n)).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}
