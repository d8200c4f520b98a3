package limit

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/internal/eventually"
	"github.com/authgate/authgate/internal/redistest"
)

// flakyRedis is a client of the machine's Redis through a dialer the
// test controls: it counts every dial, and while down refuses them and
// has cut the connections it made.
type flakyRedis struct {
	dials atomic.Int64
	down  atomic.Bool
	mu    sync.Mutex
	conns []net.Conn
}

func (f *flakyRedis) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	f.dials.Add(1)
	if f.down.Load() {
		return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err == nil {
		f.mu.Lock()
		f.conns = append(f.conns, c)
		f.mu.Unlock()
	}
	return c, err
}

// setDown takes Redis away (or gives it back): dials are refused and
// the open connections cut, as when redis-server stops.
func (f *flakyRedis) setDown(down bool) {
	f.down.Store(down)
	if down {
		f.mu.Lock()
		for _, c := range f.conns {
			c.Close()
		}
		f.conns = nil
		f.mu.Unlock()
	}
}

// TestRedisDownAnswersAtOnce: with Redis gone, the first call finds out
// (that one may wait for go-redis's dial attempts); every later call
// answers its error at once — the caller keeps its own fallback (failure
// limits per instance, quota_on_error) — and makes no dial: only a
// background probe dials, about once a second, however many calls come.
// When Redis is back, the probe notices and calls use it again.
func TestRedisDownAnswersAtOnce(t *testing.T) {
	_, prefix := redistest.Client(t) // skips without the service
	f := &flakyRedis{}
	// go-redis's defaults: 5 dial attempts per connection, 3 retries.
	client := redis.NewClient(&redis.Options{Addr: redistest.Addr(), Dialer: f.dial})
	defer client.Close()
	r := NewRedis(client, prefix)
	ctx := context.Background()
	if _, err := r.Take(ctx, "k", 1000, time.Minute); err != nil {
		t.Fatal(err)
	}
	f.setDown(true)
	if _, err := r.Take(ctx, "k", 1000, time.Minute); err == nil {
		t.Fatal("a call with Redis gone succeeded")
	}
	// 2.5 s of calls, past the limiter's 1 s back-off: the dials in that
	// time are the probe's, one a second (a timer's, however slow the
	// machine), not one per call — a call that dialed would make five
	// (go-redis's attempts), so a count, not a clock, tells.
	dialsBefore := f.dials.Load()
	var calls int
	var slowest time.Duration
	for end := time.Now().Add(2500 * time.Millisecond); time.Now().Before(end); calls++ {
		start := time.Now()
		_, err := r.Take(ctx, "k", 1000, time.Minute)
		_, _, perr := r.Peek(ctx, []Budget{{Key: "k", N: 1000, Window: time.Minute}})
		slowest = max(slowest, time.Since(start))
		if err == nil || perr == nil {
			t.Fatal("a call with Redis gone succeeded")
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("with Redis gone: %d calls, the slowest %s", calls, slowest)
	if n := f.dials.Load() - dialsBefore; n > 4 {
		t.Errorf("%d dials during %d calls in 2.5 s with Redis gone; want at most the probe's (one a second)", n, calls)
	}
	f.setDown(false)
	eventually.True(t, 10*time.Second, "the limiter using Redis again once it is back", func() bool {
		_, err := r.Take(ctx, "k", 1000, time.Minute)
		return err == nil
	})
}

// TestRedisLogsThroughSlog: what go-redis logs by itself (here: a dial
// that fails) arrives as a JSON line at WARN, bounded, and nothing of it
// is printed beside the log.
func TestRedisLogsThroughSlog(t *testing.T) {
	var buf syncBuffer
	LogRedisTo(slog.New(slog.NewJSONHandler(&buf, nil)))
	defer LogRedisTo(slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // a closed port: dials are refused
	client := redis.NewClient(&redis.Options{Addr: addr, DialerRetries: 1, MaxRetries: -1})
	defer client.Close()
	if err := client.Ping(context.Background()).Err(); err == nil {
		t.Fatal("a closed port answered")
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) == 0 || lines[0] == "" {
		t.Fatal("go-redis logged nothing through slog")
	}
	for _, line := range lines {
		var rec struct{ Level, Msg, Message string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Level != "WARN" || rec.Msg != "redis client" ||
			!strings.Contains(rec.Message, "dial") || len(rec.Message) > maxRedisLogBytes+len("…") {
			t.Errorf("not a bounded JSON WARN line from go-redis: %q", line)
		}
	}
	// A long message is cut.
	redisLog{log: slog.New(slog.NewJSONHandler(&buf, nil))}.Printf(context.Background(), "%s", strings.Repeat("x", 5000))
	if strings.Contains(buf.String(), strings.Repeat("x", maxRedisLogBytes+1)) {
		t.Error("a long go-redis message was logged whole")
	}
}

// syncBuffer is a bytes.Buffer safe for go-redis's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
