package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/internal/eventually"
)

// Replicated is a primary, its replica and one sentinel watching them
// (quorum 1, a primary silent for 500 ms is down), started by a test.
type Replicated struct {
	Master       string
	SentinelAddr string
	// Primary is the process serving as primary at the start.
	Primary *os.Process
}

// StartReplicated starts a primary, a replica and a sentinel on free
// loopback ports, and stops them at the test's end; it skips (fails under
// CI) without redis-server.
func StartReplicated(t testing.TB) *Replicated {
	t.Helper()
	dir := t.TempDir()
	r := &Replicated{Master: "authgate-test"}
	primary, proc := run(t, "primary", func(port string) []string { return []string{"--port", port} })
	r.Primary = proc
	host, port, _ := net.SplitHostPort(primary)
	run(t, "replica", func(own string) []string { return []string{"--port", own, "--replicaof", host, port} })
	conf := filepath.Join(dir, "sentinel.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("sentinel monitor %[1]s %[2]s %[3]s 1\nsentinel down-after-milliseconds %[1]s 500\nsentinel failover-timeout %[1]s 5000\n", r.Master, host, port)), 0o600)
	r.SentinelAddr, _ = run(t, "sentinel", func(port string) []string { return []string{conf, "--sentinel", "--port", port} })
	s := redis.NewSentinelClient(&redis.Options{Addr: r.SentinelAddr})
	defer s.Close()
	eventually.True(t, 20*time.Second, "the sentinel seeing the replica", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		replicas, err := s.Replicas(ctx, r.Master).Result()
		return err == nil && len(replicas) == 1 && replicas[0]["flags"] == "slave"
	})
	return r
}

// redisServer is the redis-server binary; the test skips (fails under
// CI) without it.
func redisServer(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is not installed, and CI must provide it (apt-get install redis-server)")
		}
		t.Skip("redis-server is not installed (apt-get install redis-server)")
	}
	return bin
}
