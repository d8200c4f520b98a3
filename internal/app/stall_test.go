package app

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/credential/apikey"
	"github.com/authgate/authgate/internal/eventually"
	"github.com/authgate/authgate/internal/freeport"
	"github.com/authgate/authgate/reason"
	"github.com/authgate/authgate/store"
)

// startServing runs an App for doc (a configuration whose listen and
// admin.listen are %[1]s and %[2]s) on fresh loopback addresses and
// returns it with its two addresses once both answer; an App that lost a
// port to another process runs again on fresh ones.
func startServing(t *testing.T, doc string) (*App, string, string) {
	t.Helper()
	var a *App
	var addr, adminAddr string
	freeport.Retry(t, "authgate", func(free func() string) error {
		addr, adminAddr = free(), free()
		cfg, err := config.Parse("serve.yaml", []byte(fmt.Sprintf(doc, addr, adminAddr)), func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		if a, err = New(cfg, Options{}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan error, 1)
		go func() { ran <- a.Run(ctx, "serve.yaml") }()
		client := clientFrom("127.0.0.1")
		var runErr error
		eventually.True(t, 10*time.Second, "both listeners answering", func() bool {
			select {
			case runErr = <-ran:
				return true
			default:
			}
			for _, u := range []string{"http://" + addr + api.HealthzPath, "http://" + adminAddr + api.HealthzPath} {
				resp, err := client.Get(u)
				if err != nil {
					return false
				}
				resp.Body.Close()
			}
			return true
		})
		if runErr != nil {
			cancel()
			a.Close()
			return runErr
		}
		t.Cleanup(func() { cancel(); <-ran; a.Close() })
		return nil
	})
	return a, addr, adminAddr
}

// stalled is what a client that sent a request head and then stopped
// got: the answer, and whether the server then closed the connection.
type stalled struct {
	status int
	// reason is the problem+json answer's reason, or for an HTML page
	// (the console) the first catalogue code the page names.
	reason string
	closed bool
	err    error
}

// stallOn sends head (request line and headers, which declare a body)
// to addr and then nothing more, keeping the connection open. It waits
// at most wait for the answer and for the server to close.
func stallOn(addr, head string, wait time.Duration) stalled {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return stalled{err: err}
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(wait))
	if _, err := io.WriteString(c, head); err != nil {
		return stalled{err: err}
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return stalled{err: fmt.Errorf("no answer: %w", err)}
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return stalled{status: resp.StatusCode, err: fmt.Errorf("answer cut: %w", err)}
	}
	s := stalled{status: resp.StatusCode}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		var p api.Problem
		json.Unmarshal(body, &p)
		s.reason = p.Reason
	} else {
		for _, e := range reason.All() {
			if strings.Contains(string(body), "<code>"+string(e.Code)+"</code>") {
				s.reason = string(e.Code)
				break
			}
		}
	}
	_, err = br.ReadByte()
	s.closed = errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || err != nil && !isTimeout(err)
	return s
}

// readingUpstream serves an upstream that reads every body to its end and
// answers "ok"; it returns its address.
func readingUpstream(t *testing.T) string {
	up := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "ok")
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go up.Serve(ln)
	t.Cleanup(func() { up.Close() })
	return ln.Addr().String()
}

// TestStalledBodies: on every path that reads a request body — the
// proxy, the decision endpoint, the admin API and the console's forms —
// a client that sends its head with a body declared and then stops gets
// its answer, and then the server closes the connection: a stalled body
// holds no connection past body_idle_timeout (and a short drain). On
// both engines of the gateway listener.
func TestStalledBodies(t *testing.T) {
	for _, engine := range []string{config.EngineFast, config.EngineStandard} {
		t.Run(engine, func(t *testing.T) { testStalledBodies(t, engine) })
	}
}

func testStalledBodies(t *testing.T, engine string) {
	upstream := readingUpstream(t)
	a, addr, adminAddr := startServing(t, `
listen: %[1]s
admin: {listen: %[2]s}
data_dir: `+t.TempDir()+`
decision_path: /authgate/decision
trusted_proxies: ["127.0.0.1/32"]
server: {body_idle_timeout: 300ms, body_timeout: 2s, engine: `+engine+`}
routes:
  - {name: protected, path: /api/*, schemes: [apikey], upstream: "http://`+upstream+`"}
  - {name: upload, path: /upload, public: true, max_body_bytes: 1000, upstream: "http://`+upstream+`"}
`)
	_, adminKey, err := apikey.Create(context.Background(), a.Store(), apikey.Spec{Name: "ops", Kind: store.KindAdmin, Environment: "live"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	head := func(method, path, headers string) string {
		return method + " " + path + " HTTP/1.1\r\nHost: gw\r\n" + headers + "\r\n"
	}
	const body = "Content-Length: 100\r\n"
	form := "Content-Type: application/x-www-form-urlencoded\r\n" + body
	tests := []struct {
		name   string
		addr   string
		head   string
		status int
		reason reason.Code
	}{
		{"proxy: protected route, refused before the body", addr, head("POST", "/api/x", body), 401, reason.CredentialsMissing},
		{"proxy: protected route, chunked body", addr, head("POST", "/api/x", "Transfer-Encoding: chunked\r\n"), 401, reason.CredentialsMissing},
		{"proxy: body declared too large", addr, head("POST", "/upload", "Content-Length: 1001\r\n"), 413, reason.RequestBodyTooLarge},
		{"proxy: the upstream reads the body", addr, head("POST", "/upload", body), 408, reason.RequestBodyTimeout},
		{"decision endpoint", addr, head("POST", "/authgate/decision", "X-Original-Method: GET\r\nX-Original-Uri: /api/x\r\n"+body), 401, reason.CredentialsMissing},
		{"admin API: refused before the body", adminAddr, head("POST", api.AdminPrefix+"/keys", "Content-Type: application/json\r\n"+body), 401, reason.CredentialsMissing},
		{"admin API: creating a key", adminAddr, head("POST", api.AdminPrefix+"/keys", "X-Api-Key: "+adminKey+"\r\nContent-Type: application/json\r\n"+body), 408, reason.RequestBodyTimeout},
		{"console: sign-in form", adminAddr, head("POST", "/console/sign-in", form), 408, reason.RequestBodyTimeout},
		{"console: a form without a session", adminAddr, head("POST", "/console/keys", form), 401, ""},
		{"console: a form in a session", adminAddr, head("POST", "/console/keys", "Cookie: authgate_console="+consoleSession(t, adminAddr, adminKey)+"\r\n"+form), 408, reason.RequestBodyTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// body_idle_timeout (300 ms), the drain after an answer
			// (at most as long), and room for a loaded machine.
			got := stallOn(tt.addr, tt.head, 5*time.Second)
			if got.err != nil {
				t.Fatal(got.err)
			}
			if got.status != tt.status || got.reason != string(tt.reason) {
				t.Errorf("got %d %q, want %d %q", got.status, got.reason, tt.status, tt.reason)
			}
			if !got.closed {
				t.Error("the connection is still open 5 s after the answer: the stalled body holds it")
			}
		})
	}
}

// consoleSession signs in to the console at adminAddr with an admin key
// the way a browser does, and returns the session cookie's value.
func consoleSession(t *testing.T, adminAddr, key string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := "http://" + adminAddr
	resp, err := c.Get(base + "/console/sign-in")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	u, _ := url.Parse(base + "/console/")
	cookie := func(name string) string {
		for _, ck := range jar.Cookies(u) {
			if ck.Name == name {
				return ck.Value
			}
		}
		return ""
	}
	req, _ := http.NewRequest("POST", base+"/console/sign-in", strings.NewReader(url.Values{"key": {key}, "csrf": {cookie("authgate_console_signin")}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	if resp, err = c.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	session := cookie("authgate_console")
	if resp.StatusCode != http.StatusSeeOther || session == "" {
		t.Fatalf("console sign-in: %d, session cookie %t", resp.StatusCode, session != "")
	}
	return session
}

// TestReadBodyKeepsConnection: a body read to its end leaves the
// connection open for the next request (GuardBodies closes only on an
// unfinished body), on the proxy and on the admin API.
func TestReadBodyKeepsConnection(t *testing.T) {
	upstream := readingUpstream(t)
	a, addr, adminAddr := startServing(t, `
listen: %[1]s
admin: {listen: %[2]s}
data_dir: `+t.TempDir()+`
server: {body_idle_timeout: 300ms, body_timeout: 2s}
routes:
  - {name: upload, path: /upload, public: true, upstream: "http://`+upstream+`"}
  - {name: keyed, path: /api/*, schemes: [apikey], upstream: "http://`+upstream+`"}
`)
	_, adminKey, err := apikey.Create(context.Background(), a.Store(), apikey.Spec{Name: "ops", Kind: store.KindAdmin, Environment: "live"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, addr, path, body string
		status                 int
	}{
		{"proxy", addr, "/upload", "hello", 200},
		{"admin API", adminAddr, api.AdminPrefix + "/keys", `{"name":"k1","environment":"live","scopes":["read"]}`, 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", tt.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			br := bufio.NewReader(c)
			for i := range 2 {
				req, _ := http.NewRequest("POST", "http://"+tt.addr+tt.path, strings.NewReader(tt.body))
				req.Header.Set("X-Api-Key", adminKey)
				req.Header.Set("Content-Type", "application/json")
				if err := req.Write(c); err != nil {
					t.Fatalf("request %d: %v", i+1, err)
				}
				resp, err := http.ReadResponse(br, req)
				if err != nil {
					t.Fatalf("request %d on the same connection: %v", i+1, err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.status || resp.Close {
					t.Fatalf("request %d: %d, close %t; want %d on a kept connection", i+1, resp.StatusCode, resp.Close, tt.status)
				}
				tt.body = strings.Replace(tt.body, "k1", "k2", 1)
			}
		})
	}
}
