package gateway

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/authgate/authgate/internal/tracing"
)

// startSpan starts the request's server span. A trusted proxy's
// traceparent makes it a child of the proxy's trace; anyone else's is
// ignored (and replaced upstream), so a client cannot choose trace ids or
// sampling.
func (g *Gateway) startSpan(ctx context.Context, r *http.Request, ex *exchange) (context.Context, trace.Span) {
	if ex.viaProxy {
		ctx = tracing.Propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
	}
	ctx, span := g.state.tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", r.Method)))
	if sc := span.SpanContext(); sc.IsValid() {
		ex.traceID = sc.TraceID().String()
	}
	return ctx, span
}

// endSpan names the span by route and records the outcome: status, route,
// scheme and reason code; never a credential, subject or claim.
func endSpan(span trace.Span, ex *exchange) {
	route := ex.routeLabel()
	span.SetName(ex.method + " " + route)
	attrs := []attribute.KeyValue{
		attribute.Int("http.response.status_code", ex.status),
		attribute.String("authgate.route", route),
		attribute.String("authgate.outcome", outcome(ex)),
	}
	if ex.scheme != "" {
		attrs = append(attrs, attribute.String("authgate.scheme", ex.scheme))
	}
	if ex.err != nil {
		attrs = append(attrs, attribute.String("authgate.reason", string(ex.err.Code)))
	}
	span.SetAttributes(attrs...)
	if ex.status >= 500 {
		span.SetStatus(codes.Error, "")
	}
	span.End()
}
