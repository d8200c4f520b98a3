package redistest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/internal/eventually"
)

// StartCluster starts a one-node Redis Cluster (every slot on it: keys
// of different slots in one command or script are refused, CROSSSLOT, as
// on any cluster) and returns its address; stopped at the test's end.
func StartCluster(t testing.TB) string {
	t.Helper()
	addr, _ := run(t, "cluster", func(port string) []string {
		return []string{"--port", port, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"}
	})
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	ctx := context.Background()
	eventually.True(t, 10*time.Second, "redis-server answering", func() bool { return c.Ping(ctx).Err() == nil })
	if err := c.ClusterAddSlotsRange(ctx, 0, 16383).Err(); err != nil {
		t.Fatal(err)
	}
	eventually.True(t, 10*time.Second, "the cluster ok", func() bool {
		info, err := c.ClusterInfo(ctx).Result()
		return err == nil && strings.Contains(info, "cluster_state:ok")
	})
	return addr
}
