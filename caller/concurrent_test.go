package caller_test

import (
	"errors"
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

// TestTokenSourceFails: a source that fails is a failure with no answer,
// ErrTransport, and the source's own error is still reachable.
func TestTokenSourceFails(t *testing.T) {
	boom := errors.New("token endpoint: 500")
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Error("a request was sent") }))
	defer api.Close()
	_, err := caller.New(caller.Config{Credential: caller.TokenSource(caller.TokenFunc(func() (*oauth2.Token, error) { return nil, boom }))}).Client().Get(api.URL)
	var ce *caller.Error
	if !errors.As(err, &ce) || ce.Status != 0 || !errors.Is(err, caller.ErrTransport) || !errors.Is(err, boom) {
		t.Fatalf("%+v", err)
	}
	t.Logf("%v", err)
}
