// Package tracing starts OpenTelemetry tracing for a process (an OTLP/HTTP
// exporter configured by the tracing block and the standard OTEL_*
// variables) and traces outgoing HTTP requests. Spans carry route names,
// outcomes and reason codes, never a credential or a claim value.
package tracing

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/internal/buildinfo"
	"github.com/authgate/authgate/internal/outbound"
)

// Propagator reads and writes W3C traceparent and tracestate.
var Propagator = propagation.TraceContext{}

// Enabled reports whether cfg and the environment turn tracing on:
// tracing.enabled or OTEL_TRACES_EXPORTER=otlp, unless OTEL_SDK_DISABLED=true.
func Enabled(cfg config.Tracing) bool {
	if v, _ := strconv.ParseBool(os.Getenv("OTEL_SDK_DISABLED")); v {
		return false
	}
	return cfg.Enabled || strings.TrimSpace(os.Getenv("OTEL_TRACES_EXPORTER")) == "otlp"
}

// Start returns the tracer provider cfg asks for, nil when tracing is off;
// its Shutdown flushes what is pending. Spans are
// batched and exported in the background: a slow or absent receiver never
// delays a request.
func Start(ctx context.Context, cfg config.Tracing, log *slog.Logger) (*sdktrace.TracerProvider, error) {
	if !Enabled(cfg) {
		return nil, nil
	}
	// Export errors go to the log, at WARN, never to stderr unformatted.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		log.Warn("tracing: spans not exported", "error", err.Error())
	}))
	var opts []otlptracehttp.Option
	if cfg.Endpoint != "" {
		// Like OTEL_EXPORTER_OTLP_ENDPOINT, the endpoint is the
		// receiver's base URL; traces go to its /v1/traces.
		opts = append(opts, otlptracehttp.WithEndpointURL(strings.TrimSuffix(cfg.Endpoint, "/")+"/v1/traces"))
	}
	client, err := exportClient()
	if err != nil {
		return nil, err
	}
	opts = append(opts, otlptracehttp.WithHTTPClient(client))
	exporter, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, err
	}
	build := buildinfo.Read()
	// Attributes first, then the environment (OTEL_SERVICE_NAME,
	// OTEL_RESOURCE_ATTRIBUTES), which overrides them.
	res, err := resource.New(ctx, resource.WithTelemetrySDK(), resource.WithHost(),
		resource.WithAttributes(attribute.String("service.name", "authgate"), attribute.String("service.version", build.Version)),
		resource.WithFromEnv())
	if err != nil {
		return nil, err
	}
	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithBatcher(exporter), sdktrace.WithResource(res)}
	if os.Getenv("OTEL_TRACES_SAMPLER") == "" {
		tpOpts = append(tpOpts, sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.SampleRatio))))
	}
	return sdktrace.NewTracerProvider(tpOpts...), nil
}

// Transport traces the requests it sends: one client span each, named by
// the method, and the span's traceparent on the request so the server can
// continue the trace.
type Transport struct {
	Base   http.RoundTripper
	Tracer trace.Tracer
	// Peer names what is called (upstream, jwks) in the span's name.
	Peer string
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	// A RoundTripper must not change its caller's request.
	req = req.Clone(req.Context())
	ctx, span := StartClientSpan(req.Context(), t.Tracer, t.Peer, req.Method, req.URL.Hostname(), req.Header)
	resp, err := t.Base.RoundTrip(req.WithContext(ctx))
	status := 0
	if err == nil {
		status = resp.StatusCode
	}
	EndClientSpan(ctx, span, status, err)
	return resp, err
}

// StartClientSpan starts the client span of a request to host, named by
// peer (upstream, jwks) and the method, and writes the span's traceparent
// into the request's headers h (replacing any tracestate) so the server
// can continue the trace. EndClientSpan ends it.
func StartClientSpan(ctx context.Context, tracer trace.Tracer, peer, method, host string, h http.Header) (context.Context, trace.Span) {
	ctx, span := tracer.Start(ctx, peer+" "+method, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("http.request.method", method),
			attribute.String("server.address", host)))
	h.Del("tracestate")
	Propagator.Inject(ctx, propagation.HeaderCarrier(h))
	return ctx, span
}

// EndClientSpan records the answer's status, or the kind of err when no
// answer came, and ends span.
func EndClientSpan(ctx context.Context, span trace.Span, status int, err error) {
	defer span.End()
	if err != nil {
		span.SetStatus(codes.Error, "no answer")
		span.SetAttributes(attribute.String("error.type", errorType(ctx, err)))
		return
	}
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	if status >= 500 {
		span.SetStatus(codes.Error, "")
	}
}

// errorType names a transport failure without its text (which may hold
// URLs with secrets in their query).
func errorType(ctx context.Context, err error) string {
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return "canceled"
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "timeout"
	}
	// Wrapped, as the fast engine's forwarder names its timeouts.
	var t interface{ Timeout() bool }
	if errors.As(err, &t) && t.Timeout() {
		return "timeout"
	}
	return "transport"
}

// exportClient is the exporter's HTTP client: the one the exporter would
// make from the OTEL_EXPORTER_OTLP_* variables (timeout, CA certificate,
// client certificate, proxy), except that it follows no redirect — the
// exporter's own would re-post spans and the configured headers
// (OTEL_EXPORTER_OTLP_HEADERS, often an API key) wherever a 307 points.
func exportClient() (*http.Client, error) {
	timeout := 10 * time.Second
	if v := otlpEnv("TIMEOUT"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms < 0 {
			return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_TIMEOUT %q is not milliseconds", v)
		}
		timeout = time.Duration(ms) * time.Millisecond
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if ca := otlpEnv("CERTIFICATE"); ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", ca)
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	if cert, key := otlpEnv("CLIENT_CERTIFICATE"), otlpEnv("CLIENT_KEY"); cert != "" && key != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, err
		}
		if transport.TLSClientConfig == nil {
			transport.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		transport.TLSClientConfig.Certificates = []tls.Certificate{pair}
	}
	return outbound.NoRedirects(&http.Client{Transport: transport, Timeout: timeout}), nil
}

// otlpEnv reads OTEL_EXPORTER_OTLP_TRACES_<name>, else
// OTEL_EXPORTER_OTLP_<name>, as the exporter does.
func otlpEnv(name string) string {
	if v := strings.TrimSpace(os.Getenv("OTEL_EXPORTER_OTLP_TRACES_" + name)); v != "" {
		return v
	}
	return strings.TrimSpace(os.Getenv("OTEL_EXPORTER_OTLP_" + name))
}
