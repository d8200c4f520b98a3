package gateway

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/internal/eventually"
	"github.com/authgate/authgate/internal/tokentest"
)

// tracedEnv is a gateway whose spans go to an in-memory exporter.
func tracedEnv(t *testing.T, extra ...string) (*env, *tracetest.InMemoryExporter) {
	exporter := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	t.Cleanup(func() { tp.Shutdown(t.Context()) })
	state := NewState(nil)
	state.UseTracing(tp)
	e := newEnvState(t, state, api.DetailFull, "", extra...)
	// Let the key set's first (background) fetch finish.
	e.do("GET", "/v1/data", "Authorization", "Bearer "+token(t, nil))
	exporter.Reset()
	return e, exporter
}

// forwardedOn is the fast engine's client of the upstream of the route
// that serves GET path.
func forwardedOn(e *env, path string) *fasthttp.HostClient {
	e.t.Helper()
	rt, err := e.g.router.Match(http.MethodGet, "", path)
	if err != nil {
		e.t.Fatal(err)
	}
	return rt.Target.(*upstream).fast
}

// spansOf returns the ended spans of one trace, by name.
func spansOf(exporter *tracetest.InMemoryExporter, traceID trace.TraceID) map[string]tracetest.SpanStub {
	out := map[string]tracetest.SpanStub{}
	for _, s := range exporter.GetSpans() {
		if s.SpanContext.TraceID() == traceID {
			out[s.Name] = s
		}
	}
	return out
}

func attr(s tracetest.SpanStub, key string) string {
	for _, a := range s.Attributes {
		if string(a.Key) == key {
			return a.Value.String()
		}
	}
	return ""
}

// upstreamTrace parses the traceparent the upstream received.
func upstreamTrace(t *testing.T, e *env) (trace.TraceID, trace.SpanID) {
	t.Helper()
	seen := e.seen.Load()
	if seen == nil {
		t.Fatal("the upstream was not reached")
	}
	if n := len(seen.Header.Values("Traceparent")); n != 1 {
		t.Fatalf("upstream got %d traceparent headers, want 1", n)
	}
	parts := strings.Split(seen.Header.Get("Traceparent"), "-")
	if len(parts) != 4 {
		t.Fatalf("traceparent %q", seen.Header.Get("Traceparent"))
	}
	tid, err1 := trace.TraceIDFromHex(parts[1])
	sid, err2 := trace.SpanIDFromHex(parts[2])
	if err1 != nil || err2 != nil {
		t.Fatalf("traceparent %q", seen.Header.Get("Traceparent"))
	}
	return tid, sid
}

func TestTracingFollowsTrustedProxiesOnly(t *testing.T) {
	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	parentTrace, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	good := token(t, nil)
	tests := []struct {
		name      string
		extra     []string
		continued bool
	}{
		{"trusted proxy", nil, true},
		{"untrusted client", []string{"trusted_proxies: [10.0.0.0/8]"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, exporter := tracedEnv(t, tt.extra...)
			r := e.do("GET", "/v1/data", "Authorization", "Bearer "+good, "Traceparent", parent, "Tracestate", "vendor=client")
			if r.status != 200 {
				t.Fatalf("status %d", r.status)
			}
			tid, sid := upstreamTrace(t, e)
			if testEngine == config.EngineFast && forwardedOn(e, "/v1/data").ConnsCount() == 0 {
				t.Error("the fast engine forwarded a traced request through net/http, not its own client")
			}
			if (tid == parentTrace) != tt.continued {
				t.Fatalf("upstream trace %s; the client's was %s, continued should be %v", tid, parentTrace, tt.continued)
			}
			if v := e.seen.Load().Header.Values("Tracestate"); len(v) != 0 && !tt.continued {
				t.Errorf("an untrusted client's tracestate reached the upstream: %q", v)
			}
			spans := spansOf(exporter, tid)
			server, ok := spans["GET read"]
			if !ok {
				t.Fatalf("no server span \"GET read\" in trace %s: %v", tid, names(exporter))
			}
			if server.SpanKind != trace.SpanKindServer || attr(server, "authgate.route") != "read" ||
				attr(server, "authgate.outcome") != "allowed" || attr(server, "http.response.status_code") != "200" {
				t.Errorf("server span: kind %v, attributes %v", server.SpanKind, server.Attributes)
			}
			if tt.continued && server.Parent.SpanID().String() != "00f067aa0ba902b7" {
				t.Errorf("server span's parent %s, want the proxy's", server.Parent.SpanID())
			}
			if !tt.continued && server.Parent.IsValid() {
				t.Errorf("server span has a parent (%s) from an untrusted client", server.Parent.SpanID())
			}
			up, ok := spans["upstream GET"]
			if !ok || up.SpanContext.SpanID() != sid || up.Parent.SpanID() != server.SpanContext.SpanID() || up.SpanKind != trace.SpanKindClient {
				t.Errorf("upstream span %+v: want a client span, child of the server span, whose id the upstream received (%s)", up.SpanContext, sid)
			}
			var line map[string]any
			for _, l := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
				json.Unmarshal([]byte(l), &line)
			}
			if line["trace_id"] != tid.String() {
				t.Errorf("access log trace_id = %v, want %s", line["trace_id"], tid)
			}
		})
	}
}

func TestTracingSpans(t *testing.T) {
	e, exporter := tracedEnv(t)
	key, _ := e.key("live", "read")
	expired := token(t, map[string]any{"exp": time.Now().Add(-time.Hour).Unix()})
	unknownKid, err := jwt.Sign("RS256", tokentest.Key(), map[string]any{"kid": "not-in-the-set"},
		map[string]any{"iss": issuerURL, "aud": "api", "sub": "alice", "scope": "read", "exp": time.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{key, expired, unknownKid, "alice"}
	tests := []struct {
		name     string
		path     string
		headers  []string
		span     string
		status   string
		reason   string
		children []string
		// refetch: the request is sent again until the gateway may fetch
		// the key set again (jwks_min_refetch after the warm-up's fetch).
		refetch bool
	}{
		{"api key: a store look-up", "/keyed/x", []string{"X-API-Key", key}, "GET keyed", "200", "", []string{"store key_by_hash", "upstream GET"}, false},
		{"refusal: no upstream", "/v1/data", []string{"Authorization", "Bearer " + expired}, "GET read", "401", "token_expired", nil, false},
		{"unknown kid: a key-set fetch", "/v1/data", []string{"Authorization", "Bearer " + unknownKid}, "GET read", "401", "token_key_unknown", []string{"jwks GET"}, true},
		{"no route", "/nowhere", nil, "GET _unmatched", "404", "route_not_found", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exporter.Reset()
			r := e.do("GET", tt.path, tt.headers...)
			if tt.refetch {
				eventually.True(t, 10*time.Second, "a request for an unknown kid fetching the key set", func() bool {
					if slices.Contains(names(exporter), "jwks GET") {
						return true
					}
					exporter.Reset()
					r = e.do("GET", tt.path, tt.headers...)
					return false
				})
			}
			if got := r.header.Get("Request-Id"); got == "" {
				t.Fatal("no Request-Id")
			}
			var server *tracetest.SpanStub
			for _, s := range exporter.GetSpans() {
				if s.SpanKind == trace.SpanKindServer {
					server = &s
				}
			}
			if server == nil || server.Name != tt.span || attr(*server, "http.response.status_code") != tt.status || attr(*server, "authgate.reason") != tt.reason {
				t.Fatalf("server span %v, want %s with status %s and reason %q; spans %v", server, tt.span, tt.status, tt.reason, names(exporter))
			}
			spans := spansOf(exporter, server.SpanContext.TraceID())
			if len(spans) != 1+len(tt.children) {
				t.Errorf("spans %v, want the server span and %v", names(exporter), tt.children)
			}
			for _, c := range tt.children {
				if s, ok := spans[c]; !ok || s.Parent.SpanID() != server.SpanContext.SpanID() {
					t.Errorf("no child span %q of the server span: %v", c, names(exporter))
				}
			}
			for _, s := range exporter.GetSpans() {
				for _, a := range s.Attributes {
					for _, secret := range secrets {
						if strings.Contains(a.Value.String(), secret) {
							t.Errorf("span %s attribute %s holds a credential or claim", s.Name, a.Key)
						}
					}
				}
			}
		})
	}
}

func names(exporter *tracetest.InMemoryExporter) []string {
	var out []string
	for _, s := range exporter.GetSpans() {
		out = append(out, s.Name)
	}
	return out
}

// TestTracingUpstreamTimeout: an upstream that does not answer within
// upstream_timeout has its client span marked an error of type timeout,
// on both engines.
func TestTracingUpstreamTimeout(t *testing.T) {
	e, exporter := tracedEnv(t)
	if r := e.do("GET", "/slow", "Authorization", "Bearer "+token(t, nil)); r.status != http.StatusGatewayTimeout {
		t.Fatalf("status %d, want 504", r.status)
	}
	for _, s := range exporter.GetSpans() {
		if s.Name == "upstream GET" {
			if attr(s, "error.type") != "timeout" || s.Status.Code != codes.Error {
				t.Fatalf("upstream span: status %v, error.type %q; want an error of type timeout", s.Status, attr(s, "error.type"))
			}
			return
		}
	}
	t.Fatalf("no upstream span: %v", names(exporter))
}
