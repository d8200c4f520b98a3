package app

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is an OTLP/HTTP trace receiver on loopback: what a
// collector would get.
type otlpReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	spans []*tracepb.Span
	// service is the service.name of the last batch.
	service string
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	rc := &otlpReceiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" || proto.Unmarshal(body, &req) != nil {
			http.Error(w, "not an OTLP/HTTP trace export", http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, a := range rs.GetResource().GetAttributes() {
				if a.Key == "service.name" {
					rc.service = a.GetValue().GetStringValue()
				}
			}
			for _, ss := range rs.ScopeSpans {
				rc.spans = append(rc.spans, ss.Spans...)
			}
		}
		rc.mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// TestTracingExportsOverOTLP: with a tracing block, spans reach a real
// OTLP/HTTP receiver by the time the app closes, under service.name
// authgate, and a reload keeps tracing as it was (restart-only).
func TestTracingExportsOverOTLP(t *testing.T) {
	k1, _ := keys()
	rc := newOTLPReceiver(t)
	js := newJWKSServer(t)
	a, gw, _, _ := newAppWith(t, js.URL, "tracing: {enabled: true, endpoint: \""+rc.URL+"\"}\n")
	if status, _ := get(t, gw.URL+"/v1/x", token(t, k1, "k1")); status != 200 {
		t.Fatalf("status %d", status)
	}
	if status, _ := get(t, gw.URL+"/v1/x", "not-a-token"); status != 401 {
		t.Fatalf("status %d", status)
	}
	a.Close() // flushes the batch
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.service != "authgate" {
		t.Errorf("service.name %q", rc.service)
	}
	reasons := map[string]int{}
	for _, s := range rc.spans {
		if s.Kind != tracepb.Span_SPAN_KIND_SERVER {
			continue
		}
		for _, attr := range s.Attributes {
			if attr.Key == "authgate.reason" {
				reasons[attr.GetValue().GetStringValue()]++
			}
		}
		if s.Name != "GET r" {
			t.Errorf("server span %q", s.Name)
		}
	}
	if len(rc.spans) < 3 || reasons["token_malformed"] != 1 {
		t.Errorf("received %d spans, reasons %v: want a server span per request, an upstream span and the refusal's reason", len(rc.spans), reasons)
	}
}
