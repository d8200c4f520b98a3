package caller_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/oauth2"

	"github.com/authgate/authgate/caller"
)

// TestConcurrentRefresh: concurrent requests rejected with the same
// stale token share one new token: the source is asked twice in all.
func TestConcurrentRefresh(t *testing.T) {
	var stale atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer token-1" {
			stale.Add(1)
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer api.Close()
	var asked atomic.Int32
	src := caller.TokenFunc(func() (*oauth2.Token, error) {
		return &oauth2.Token{AccessToken: fmt.Sprintf("token-%d", asked.Add(1))}, nil
	})
	c := caller.New(caller.Config{Credential: caller.TokenSource(src)}).Client()
	// The first token is fetched before the others start, so all of them
	// send it.
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := c.Get(api.URL)
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				errs <- fmt.Errorf("status %d", resp.StatusCode)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if asked.Load() != 2 {
		t.Fatalf("source asked %d times (stale token sent %d times), want 2", asked.Load(), stale.Load())
	}
	t.Logf("8 requests, the stale token refused %d times, source asked %d times", stale.Load(), asked.Load())
}
