package failures

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/api"
)

// RedisStream is a Stream in a Redis stream, trimmed to about the last
// maxLen entries. Publishing is asynchronous: a request never waits for
// Redis; when the queue is full, Publish refuses and the failure is kept
// by this instance alone.
type RedisStream struct {
	client redis.UniversalClient
	key    string
	maxLen int64
	queue  chan api.Failure
}

// NewRedisStream returns a stream at key; run Send until ctx ends.
func NewRedisStream(client redis.UniversalClient, key string, maxLen int) *RedisStream {
	return &RedisStream{client: client, key: key, maxLen: int64(maxLen), queue: make(chan api.Failure, 1024)}
}

var errQueueFull = errors.New("failure stream: queue full")

// Publish implements Stream.
func (s *RedisStream) Publish(f api.Failure) error {
	select {
	case s.queue <- f:
		return nil
	default:
		return errQueueFull
	}
}

// Send writes queued failures to Redis until ctx ends; what Redis does
// not take is dropped (it was not shown anywhere: acceptable for a feed
// that is for looking at, not for accounting).
func (s *RedisStream) Send(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case f := <-s.queue:
			data, _ := json.Marshal(f)
			wctx, cancel := context.WithTimeout(ctx, time.Second)
			s.client.XAdd(wctx, &redis.XAddArgs{Stream: s.key, MaxLen: s.maxLen, Approx: true, Values: map[string]any{"f": data}})
			cancel()
		}
	}
}

// Follow implements Stream.
func (s *RedisStream) Follow(ctx context.Context, backlog int, deliver func(api.Failure)) {
	last := ""
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		if last == "" {
			msgs, err := s.client.XRevRangeN(ctx, s.key, "+", "-", int64(backlog)).Result()
			if err != nil {
				sleep(ctx, &backoff)
				continue
			}
			last = "0"
			for i := len(msgs) - 1; i >= 0; i-- {
				s.deliver(msgs[i], deliver)
				last = msgs[i].ID
			}

		}
		streams, err := s.client.XRead(ctx, &redis.XReadArgs{Streams: []string{s.key, last}, Block: 5 * time.Second, Count: 256}).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			sleep(ctx, &backoff)
			continue
		}
		backoff = 100 * time.Millisecond
		for _, st := range streams {
			for _, m := range st.Messages {
				s.deliver(m, deliver)
				last = m.ID
			}
		}
	}
}

func (s *RedisStream) deliver(m redis.XMessage, deliver func(api.Failure)) {
	raw, _ := m.Values["f"].(string)
	var f api.Failure
	if json.Unmarshal([]byte(raw), &f) == nil {
		deliver(f)
	}
}

func sleep(ctx context.Context, backoff *time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(*backoff):
	}
	*backoff = min(*backoff*2, 5*time.Second)
}
