package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/internal/tokentest"
	"github.com/authgate/authgate/internal/tracing"
	"github.com/authgate/authgate/reason"
)

// sink is where a redirect leads: a server that would answer every fetch
// well (a key set, a discovery document, an active admin token, an OTLP
// receiver) and records every request it gets. A redirect followed would
// open routes on its word, or carry the token and the client secret to
// it; it must never be called.
type sink struct {
	*httptest.Server
	calls atomic.Int32
	mu    sync.Mutex
	seen  []string // method, path, headers and body of each request
}

func newSink(t *testing.T) *sink {
	s := &sink{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.seen = append(s.seen, fmt.Sprintf("%s %s %v %s", r.Method, r.URL.Path, r.Header, body))
		s.mu.Unlock()
		switch {
		case strings.HasSuffix(r.URL.Path, "/jwks"):
			w.Write(tokentest.JWKS())
		case strings.Contains(r.URL.Path, "/.well-known/"):
			json.NewEncoder(w).Encode(map[string]string{"issuer": r.URL.Query().Get("iss"), "jwks_uri": s.URL + "/jwks"})
		case strings.HasSuffix(r.URL.Path, "/introspect"):
			io.WriteString(w, `{"active":true,"sub":"mallory","scope":"read admin"}`)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// hanger accepts connections and never answers; closed receives once
// for each connection the client gave up (closed from its side).
type hanger struct {
	ln     net.Listener
	mu     sync.Mutex
	conns  []net.Conn
	closed chan struct{}
}

func newHanger(t *testing.T) *hanger {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hanger{ln: ln, closed: make(chan struct{}, 16)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h.mu.Lock()
			h.conns = append(h.conns, c)
			h.mu.Unlock()
			go func() {
				io.Copy(io.Discard, c) // until the client closes
				select {
				case h.closed <- struct{}{}:
				default: // nobody waits for more hang-ups
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		h.mu.Lock()
		for _, c := range h.conns {
			c.Close()
		}
		h.mu.Unlock()
	})
	return h
}

func (h *hanger) URL() string { return "http://" + h.ln.Addr().String() }

// gaveUp fails the test unless the client hung up on the hanger: the
// event that shows a fetch ended rather than hung. patience is far
// beyond any fetch's own timeout; only a fetch that never ends meets it.
func (h *hanger) gaveUp(t *testing.T, who string) {
	t.Helper()
	select {
	case <-h.closed:
	case <-time.After(patience):
		t.Errorf("%s never gave up a server that does not answer", who)
	}
}

// patience bounds a wait for an event that comes within seconds unless
// something hangs: long enough never to fail a slow run, short enough to
// end a hung one inside the test's timeout.
const patience = 2 * time.Minute

// TestOutboundFetchesFollowNoRedirectAndEnd is the class test of every
// fetch the gateway makes by itself — a JWKS, an OpenID discovery
// document, an RFC 7662 introspection, an OTLP trace export — against an
// endpoint that redirects (301, 302, 307, 308) to another server, and one
// that accepts and never answers. No redirect is followed (the server it
// names is never called: no token, no client secret, no spans reach it;
// a 307 would re-post them), the refusal names the status, and every
// fetch ends by its own timeout — the gateway hangs up on the silent
// server, and the request being judged gets 503 auth_unavailable, the
// gateway's fault, not the client's: never a 401 and never a hang. A
// trace export never holds up a request. (The timeouts' values are the
// unit tests' to check; here only that each fetch ends.)
func TestOutboundFetchesFollowNoRedirectAndEnd(t *testing.T) {
	// The exporter's timeout (the OTLP default is 10 s).
	t.Setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1000")
	const secret = "s3cret-client-secret-never-sent"
	const opaque = "opaque-user-token-never-sent-anywhere"
	for _, kind := range []string{"jwks", "discovery", "introspection", "otlp"} {
		for _, answer := range []string{"301", "302", "307", "308", "hang"} {
			t.Run(kind+"/"+answer, func(t *testing.T) {
				t.Parallel()
				to := newSink(t)
				var origin string // the endpoint the gateway is configured with
				var hang *hanger
				if answer == "hang" {
					hang = newHanger(t)
					origin = hang.URL()
				} else {
					code, _ := strconv.Atoi(answer)
					redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						q := "?iss=" + "http://" + r.Host
						http.Redirect(w, r, to.URL+r.URL.Path+q, code)
					}))
					t.Cleanup(redirector.Close)
					origin = redirector.URL
				}
				if kind == "otlp" {
					checkExport(t, origin, to, hang)
					return
				}
				iss, tok := "https://idp.test", tokentest.Sign(t, map[string]any{"iss": "https://idp.test", "sub": "mallory", "aud": "api", "scope": "read admin"}, nil)
				issuer := fmt.Sprintf(`{name: idp, issuer: %q, audiences: [api], jwks_url: "%s/jwks"}`, iss, origin)
				switch kind {
				case "discovery":
					iss = origin
					tok = tokentest.Sign(t, map[string]any{"iss": iss, "sub": "mallory", "aud": "api", "scope": "read admin"}, nil)
					issuer = fmt.Sprintf(`{name: idp, issuer: %q, audiences: [api]}`, iss)
				case "introspection":
					tok = opaque
					issuer = fmt.Sprintf(`{name: idp, issuer: %q, audiences: [api], discovery: false,
        introspection: {endpoint: "%s/introspect", client_id: gateway, client_secret: %s, auth: post}}`, iss, origin, secret)
				}
				up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
				t.Cleanup(up.Close)
				g, _ := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
issuers:
  - %s
routes:
  - {name: admin, path: /admin/*, scopes_all: [admin], upstream: %q}
`, issuer, up.URL))
				gw := httptest.NewServer(g.Handler())
				t.Cleanup(gw.Close)
				req, _ := http.NewRequest("GET", gw.URL+"/admin/x", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := (&http.Client{Timeout: patience}).Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var p struct{ Reason, Detail string }
				json.NewDecoder(resp.Body).Decode(&p)
				resp.Body.Close()
				if resp.StatusCode != 503 || p.Reason != string(reason.AuthUnavailable) {
					t.Errorf("the request got %d %q (%s), want 503 auth_unavailable", resp.StatusCode, p.Reason, p.Detail)
				}
				if hang != nil {
					hang.gaveUp(t, "the "+kind+" fetch")
				}
				if hang == nil && (!strings.Contains(p.Detail, "HTTP "+answer) || !strings.Contains(p.Detail, "redirect to "+to.URL)) {
					t.Errorf("the refusal does not name the redirect's status and where it led: %s", p.Detail)
				}
				to.check(t, secret, opaque)
			})
		}
	}
}

// check fails the test if anything reached the sink, naming whether a
// secret did.
func (s *sink) check(t *testing.T, secrets ...string) {
	t.Helper()
	if n := s.calls.Load(); n > 0 {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, sec := range secrets {
			if strings.Contains(strings.Join(s.seen, "\n"), sec) {
				t.Errorf("a secret (%.12s…) reached the server a redirect named", sec)
			}
		}
		t.Errorf("the server a redirect named was called %d times: %q", n, s.seen)
	}
}

// checkExport: the OTLP exporter, pointed at origin, follows no redirect
// and gives up a silent receiver; a request through a traced gateway is
// answered meanwhile.
func checkExport(t *testing.T, origin string, to *sink, hang *hanger) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tp, err := tracing.Start(ctx, config.Tracing{Enabled: true, Endpoint: origin, SampleRatio: 1}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		sctx, scancel := context.WithTimeout(context.Background(), time.Second)
		defer scancel()
		tp.Shutdown(sctx)
	}()
	st := NewState(nil)
	st.UseTracing(tp)
	cfg, err := config.Parse("o.yaml", []byte(`
admin: {listen: ""}
routes:
  - {name: open, path: /*, public: true, upstream: "http://127.0.0.1:9"}
`), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer up.Close()
	cfg.Routes[0].Upstream = up.URL
	g, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler), State: st})
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(g.Handler())
	defer gw.Close()
	for range 2 {
		resp, err := (&http.Client{Timeout: patience}).Get(gw.URL + "/x")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("a traced request: %d", resp.StatusCode)
		}
		// A flush waits for the export (and its retries) at most as long
		// as its context allows.
		fctx, fcancel := context.WithTimeout(context.Background(), 2*time.Second)
		tp.ForceFlush(fctx)
		fcancel()
	}
	if hang != nil {
		hang.gaveUp(t, "the exporter")
	}
	to.check(t)
}
