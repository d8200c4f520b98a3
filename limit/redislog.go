package limit

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/redis/go-redis/v9"
)

// maxRedisLogBytes bounds one go-redis log message.
const maxRedisLogBytes = 512

// LogRedisTo sends go-redis's own log lines (dial failures, pool
// trouble), which it otherwise prints to stderr as plain text, through
// log at WARN: one JSON line like every other, the message bounded to 512
// bytes. go-redis has one logger per process: the latest call wins.
func LogRedisTo(log *slog.Logger) {
	redis.SetLogger(redisLog{log: log})
}

// redisLog is go-redis's Logging over slog.
type redisLog struct{ log *slog.Logger }

// Printf implements go-redis's internal.Logging.
func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	msg := strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: ")
	if len(msg) > maxRedisLogBytes {
		msg = strings.ToValidUTF8(msg[:maxRedisLogBytes], "") + "…"
	}
	l.log.WarnContext(ctx, "redis client", "message", msg)
}
