// Package browsertest starts Debian's headless Chromium for the browser
// tests (the console's, the fetch wrapper's).
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Chromium starts headless Chromium (apt-get install chromium) with a
// fresh profile and returns its context, ended with the test or after
// browserPatience, whichever comes first. Start it once the test's other
// servers are up: the patience counts from here. Without
// Chromium it skips, naming what (the tests that need it), and fails
// under CI. extra adds allocator options (a window size).
// browserPatience ends a browser session that hangs (a wait for an
// element that never shows), far beyond what a session takes even on a
// loaded machine: not a measure of speed.
const browserPatience = 10 * time.Minute

func Chromium(t *testing.T, what string, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is not installed (apt-get install chromium): %s need it under CI", what)
		}
		t.Skipf("chromium is not installed (apt-get install chromium); skipping %s", what)
	}
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true), chromedp.Flag("no-default-browser-check", true),
	}, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, browserPatience)
	t.Cleanup(func() { cancelTime(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}
