package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
)

// contaminationClient is one client of TestNoValueCrossesRequests: its
// own credential, subject and body, none of which may show up anywhere
// that belongs to another client.
type contaminationClient struct {
	subject, good, expired, marker string
	// fps are the fingerprints of its two tokens.
	fps [2]string
}

// values are what identify the client, as they may leak.
func (c *contaminationClient) values() []string {
	return []string{c.subject, c.good, c.expired, c.marker, c.fps[0], c.fps[1]}
}

// TestNoValueCrossesRequests: many concurrent clients, each with its own
// token, subject, marker header and request body, through the proxy (and
// the upstream's answer headers back) and the decision
// endpoint, accepted and refused. No client's value may appear in
// another's answer, upstream request, access-log line or failure-feed
// entry. The fast engine reuses request buffers between requests: a
// header or body slice kept past its request would show up here as
// another client's bytes (run under -race, on both engines).
func TestNoValueCrossesRequests(t *testing.T) {
	const clients, rounds = 16, 25
	cs := make([]*contaminationClient, clients)
	for i := range cs {
		salt := make([]byte, 6)
		rand.Read(salt)
		c := &contaminationClient{subject: fmt.Sprintf("subject-%02d-%s", i, hex.EncodeToString(salt)),
			marker: fmt.Sprintf("marker-%02d-%s", i, hex.EncodeToString(salt))}
		c.good = token(t, map[string]any{"sub": c.subject})
		c.expired = token(t, map[string]any{"sub": c.subject, "exp": time.Now().Add(-time.Hour).Unix()})
		cs[i] = c
	}
	// others is every value of every client but i.
	others := func(i int) []string {
		var out []string
		for j, c := range cs {
			if j != i {
				out = append(out, c.values()...)
			}
		}
		return out
	}
	clientOf := func(path string) int {
		var i int
		if _, err := fmt.Sscanf(path, "/c/%d", &i); err != nil || i < 0 || i >= clients {
			return -1
		}
		return i
	}
	var mu sync.Mutex
	var problems []string
	report := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(problems) < 20 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	// The upstream checks what it receives, and echoes the subject and
	// body back.
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := clientOf(r.URL.Path)
		body, _ := io.ReadAll(r.Body)
		if i < 0 {
			report("upstream: a request for %q", r.URL.Path)
			return
		}
		var dump strings.Builder
		r.Header.Write(&dump)
		dump.WriteString(r.URL.String())
		dump.Write(body)
		for _, v := range others(i) {
			if strings.Contains(dump.String(), v) {
				report("upstream: client %d's request carries another client's value %.24s…", i, v)
			}
		}
		// The subject is namespaced: token:<issuer>:<sub>.
		if got := r.Header.Get("X-Authgate-Subject"); got != "token:main:"+cs[i].subject {
			report("upstream: client %d's request has subject %q", i, got)
		}
		if got := r.Header.Get("X-Marker"); got != cs[i].marker {
			report("upstream: client %d's request has marker %q", i, got)
		}
		// Answer header lines go to the client by a path of their own.
		w.Header().Set("X-Echo", r.Header.Get("X-Marker")+" "+r.Header.Get("X-Authgate-Subject"))
		io.WriteString(w, r.Header.Get("X-Authgate-Subject")+" "+string(body))
	}))
	t.Cleanup(up.Close)
	e := newEnvWithRoutes(t, `
  - {name: c, path: "/c/{id}", scopes_all: [read], upstream: "`+up.URL+`"}
`)
	for _, c := range cs {
		c.fps = [2]string{e.g.fingerprint.Of(c.good), e.g.fingerprint.Of(c.expired)}
	}

	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := fmt.Sprintf("/c/%d", i)
			check := func(what string, resp *http.Response, err error, status int, wants ...string) {
				if err != nil {
					report("client %d %s: %v", i, what, err)
					return
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				var dump strings.Builder
				resp.Header.Write(&dump)
				dump.Write(body)
				for _, v := range others(i) {
					if strings.Contains(dump.String(), v) {
						report("client %d %s: the answer carries another client's value %.24s…", i, what, v)
					}
				}
				for _, want := range wants {
					if resp.StatusCode != status || !strings.Contains(dump.String(), want) {
						report("client %d %s: %d, want %d with %q", i, what, resp.StatusCode, status, want)
					}
				}
			}
			for range rounds {
				body := strings.Repeat(c.marker+" ", 64)
				req, _ := http.NewRequest(http.MethodPost, e.gw.URL+path, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+c.good)
				req.Header.Set("X-Marker", c.marker)
				resp, err := http.DefaultClient.Do(req)
				check("proxied", resp, err, http.StatusOK, c.subject+" "+body, "X-Echo: "+c.marker+" token:main:"+c.subject)

				req, _ = http.NewRequest(http.MethodGet, e.gw.URL+path, nil)
				req.Header.Set("Authorization", "Bearer "+c.expired)
				resp, err = http.DefaultClient.Do(req)
				check("refused", resp, err, http.StatusUnauthorized, "token_expired")

				req, _ = http.NewRequest(http.MethodGet, e.gw.URL+"/.authgate/decide", nil)
				req.Header.Set("X-Original-Method", http.MethodGet)
				req.Header.Set("X-Original-Uri", path)
				req.Header.Set("Authorization", "Bearer "+c.good)
				resp, err = http.DefaultClient.Do(req)
				check("decision", resp, err, http.StatusOK, "X-Authgate-Subject: token:main:"+c.subject)
			}
		}()
	}
	wg.Wait()

	lines := 0
	for _, line := range strings.Split(e.logs.String(), "\n") {
		var rec struct{ Path, Subject, Fingerprint string }
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		i := clientOf(rec.Path)
		if i < 0 {
			continue
		}
		lines++
		c := cs[i]
		if rec.Subject != "" && rec.Subject != c.subject || rec.Fingerprint != c.fps[0] && rec.Fingerprint != c.fps[1] {
			report("log: a line of client %d names subject %q, fingerprint %q", i, rec.Subject, rec.Fingerprint)
		}
		for _, v := range others(i) {
			if strings.Contains(line, v) {
				report("log: a line of client %d carries another client's value %.24s…", i, v)
			}
		}
	}
	if want := clients * rounds * 3; lines != want {
		report("log: %d lines of the clients, want %d", lines, want)
	}
	feed := e.g.state.Failures.List(func(api.Failure) bool { return true })
	if len(feed) == 0 {
		report("feed: empty")
	}
	for _, f := range feed {
		i := clientOf(f.Path)
		if i < 0 {
			continue
		}
		raw, _ := json.Marshal(f)
		if f.Fingerprint != cs[i].fps[1] {
			report("feed: an entry of client %d has fingerprint %q", i, f.Fingerprint)
		}
		for _, v := range others(i) {
			if strings.Contains(string(raw), v) {
				report("feed: an entry of client %d carries another client's value %.24s…", i, v)
			}
		}
	}
	for _, p := range problems {
		t.Error(p)
	}
}
