package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/internal/freeport"
)

const stateConfig = `
listen: %s
admin: {listen: %s}
data_dir: data
failure_limit: {per_credential: 3, per_client: 1000, window: 10m}
routes:
  - {name: keyed, path: /keyed, schemes: [apikey], upstream: "http://127.0.0.1:9"}
%s`

// TestReloadKeepsState runs `authgate serve` as a process: a SIGHUP keeps
// the counters, the failure feed and its live subscribers, a 429 lockout
// and the fingerprints; a restart keeps the fingerprints (the key is kept
// in the data folder); a restart-only setting changed by a reload is
// named at WARN and the running value stays.
func TestReloadKeepsState(t *testing.T) {
	dir := t.TempDir()
	addr, adminAddr := freeport.Addr(t), freeport.Addr(t) // fresh ones when it starts
	file := filepath.Join(dir, "authgate.yaml")
	write := func(listen, extra string) {
		os.WriteFile(file, []byte(fmt.Sprintf(stateConfig, listen, adminAddr, extra)), 0o600)
	}
	// serve starts authgate on fresh addresses.
	serve := func() (*freeport.Process, *syncBuf) {
		return startServe(t, func(free func() string) string {
			addr, adminAddr = free(), free()
			write(addr, "")
			return file
		}, func() bool { return status("http://"+adminAddr+api.ReadyzPath) == 200 })
	}
	write(addr, "")
	out, err := run(t, "", "keys", "create", "--config", file, "--name", "ops", "--kind", "admin")
	if err != nil {
		t.Fatal(err, out)
	}
	adminKey := regexp.MustCompile(`key:\s+(ag_live_\S+)`).FindStringSubmatch(out)[1]
	p, logs := serve()
	cmd := p.Cmd
	base, admin := "http://"+addr, "http://"+adminAddr

	wrong := "ag_live_" + strings.Repeat("A", 49) // well-formed, fails its checksum
	get := func(url string, headers ...string) (int, []byte) {
		req, _ := http.NewRequest("GET", url, nil)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	for i := range 4 {
		status, _ := get(base+"/keyed", "X-API-Key", wrong)
		if want := map[bool]int{true: 401, false: 429}[i < 3]; status != want {
			t.Fatalf("attempt %d: %d, want %d", i+1, status, want)
		}
	}
	counter := func() string {
		_, body := get(admin + api.MetricsPath)
		m := regexp.MustCompile(`authgate_requests_total\{outcome="denied",reason="api_key_malformed",route="keyed"\} (\d+)`).FindSubmatch(body)
		if m == nil {
			t.Fatalf("no counter in\n%s", body)
		}
		return string(m[1])
	}
	failures := func() []api.Failure {
		_, body := get(admin+api.AdminPrefix+"/failures", "X-API-Key", adminKey)
		var fs []api.Failure
		if err := json.Unmarshal(body, &fs); err != nil {
			t.Fatalf("failures: %s", body)
		}
		return fs
	}
	before := failures()
	if counter() != "3" || len(before) != 4 || before[0].Reason != "too_many_failures" || before[1].Fingerprint == "" {
		t.Fatalf("before reload: counter %s, feed %+v", counter(), before)
	}
	fingerprint := before[1].Fingerprint

	// A live subscriber of the feed, opened before the reload.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", admin+api.AdminPrefix+"/failures/stream", nil)
	req.Header.Set("X-API-Key", adminKey)
	stream, err := http.DefaultClient.Do(req)
	if err != nil || stream.StatusCode != 200 {
		t.Fatalf("stream: %v", err)
	}
	events := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(stream.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				events <- data
			}
		}
	}()

	write(addr, `  - {name: open, path: /open, public: true, upstream: "http://127.0.0.1:9"}`+"\n")
	cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the reload", logs, func() bool { return strings.Contains(logs.String(), "configuration reloaded") })

	if c := counter(); c != "3" {
		t.Errorf("after reload the counter is %s, want 3", c)
	}
	if status, _ := get(base+"/keyed", "X-API-Key", wrong); status != 429 {
		t.Errorf("after reload the locked-out credential got %d, want 429", status)
	}
	after := failures()
	if len(after) != 5 || after[0].Fingerprint != fingerprint {
		t.Errorf("after reload the feed has %d entries (want 5), fingerprint %q (want %q)", len(after), after[0].Fingerprint, fingerprint)
	}
	select {
	case ev := <-events:
		if !strings.Contains(ev, `"too_many_failures"`) {
			t.Errorf("stream event %s", ev)
		}
	case <-time.After(5 * time.Second):
		t.Error("the subscriber opened before the reload got nothing after it")
	}
	if _, body := get(admin + api.MetricsPath); !strings.Contains(string(body), "authgate_config_last_reload_successful 1") {
		t.Error("reload metric not 1")
	}

	// A restart-only setting: named at WARN, the running value stays.
	write(freeport.Addr(t), "")
	cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the warning", logs, func() bool {
		return strings.Contains(logs.String(), `"level":"WARN"`) && strings.Contains(logs.String(), `"setting":"listen"`)
	})
	if status(base+"/keyed") == 0 {
		t.Fatal("the running listener stopped")
	}

	// A restart keeps the fingerprints.
	cmd.Process.Signal(syscall.SIGTERM)
	p.Wait()
	serve()
	base, admin = "http://"+addr, "http://"+adminAddr
	get(base+"/keyed", "X-API-Key", wrong)
	if fs := failures(); len(fs) != 1 || fs[0].Fingerprint != fingerprint {
		t.Fatalf("after restart: %+v, want fingerprint %s", fs, fingerprint)
	}
}
