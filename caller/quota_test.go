package caller_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/caller"
	"github.com/authgate/authgate/credential/apikey"
	"github.com/authgate/authgate/internal/gatewaytest"
)

// TestGatewayQuotaWaited: a real gateway whose route allows one request
// per second per key answers the second 429 quota_exceeded with
// Retry-After and RateLimit; the Transport waits and the retry succeeds.
func TestGatewayQuotaWaited(t *testing.T) {
	var served atomic.Int32
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		io.WriteString(w, "ok")
	}))
	defer up.Close()
	addr, a := gatewaytest.StartApp(t, fmt.Sprintf("routes:\n  - {name: metered, path: /metered, schemes: [apikey], quota: {requests: 1, per: 1s}, upstream: %q}\n", up.URL))
	_, key, err := apikey.Create(context.Background(), a.Store(), apikey.Spec{Name: "q", Environment: "live", Scopes: []string{"read"}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	net := &counting{base: http.DefaultTransport}
	c := caller.New(caller.Config{Credential: caller.APIKey("", key), Base: net}).Client()
	start := time.Now()
	for i := range 2 {
		resp, err := c.Get("http://" + addr + "/metered")
		if err != nil {
			t.Fatalf("request %d: %+v", i+1, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: %d", i+1, resp.StatusCode)
		}
	}
	if net.n.Load() != 3 || served.Load() != 2 {
		t.Fatalf("%d requests sent, %d served; want 3 and 2", net.n.Load(), served.Load())
	}
	t.Logf("2 calls, 3 requests (one 429 quota_exceeded waited out) in %s", time.Since(start).Round(time.Millisecond))
}
