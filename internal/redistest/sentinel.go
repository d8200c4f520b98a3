package redistest

import (
	"context"
	"fmt"
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
	bin := redisServer(t)
	dir := t.TempDir()
	primary, replica, sentinel := freePort(t), freePort(t), freePort(t)
	start := func(name string, args ...string) *os.Process {
		args = append(args, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir,
			"--logfile", filepath.Join(dir, name+".log"))
		cmd := exec.Command(bin, args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		t.Cleanup(func() { cmd.Process.Kill(); <-exited })
		return cmd.Process
	}
	r := &Replicated{Master: "authgate-test", SentinelAddr: fmt.Sprintf("127.0.0.1:%d", sentinel)}
	r.Primary = start("primary", "--port", fmt.Sprint(primary))
	start("replica", "--port", fmt.Sprint(replica), "--replicaof", "127.0.0.1", fmt.Sprint(primary))
	conf := filepath.Join(dir, "sentinel.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("sentinel monitor %[1]s 127.0.0.1 %[2]d 1\nsentinel down-after-milliseconds %[1]s 500\nsentinel failover-timeout %[1]s 5000\n", r.Master, primary)), 0o600)
	start("sentinel", conf, "--sentinel", "--port", fmt.Sprint(sentinel))
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
