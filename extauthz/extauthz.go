// Package extauthz serves Envoy's gRPC authorization API
// (envoy.service.auth.v3.Authorization/Check) over the gateway's own
// decision endpoint: each CheckRequest becomes the decision request the
// configured proxy convention would send (decision_proxy), runs through
// the gateway's http.Handler, and the answer becomes the CheckResponse.
// No rule is judged here: trust of the peer (trusted_proxies), header
// hygiene, routes, credentials and the responder are the gateway's.
package extauthz

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/internal/capture"
	"github.com/authgate/authgate/reason"
)

// Server answers Check with the gateway it was last given (Use).
type Server struct {
	authv3.UnimplementedAuthorizationServer
	current atomic.Pointer[binding]
	log     *slog.Logger
}

// binding is one configuration's gateway handler and what the adapter
// needs to know of that configuration; a reload swaps both at once.
type binding struct {
	handler http.Handler
	// decisionPath and convention: how the decision request is built.
	decisionPath string
	convention   api.ProxyConvention
	// idPrefix is the identity namespace (canonical); subject is its
	// Subject header, present in every decision verdict.
	idPrefix, subject string
	// credentials are Authorization and the API-key headers (canonical),
	// removed from allowed requests unless forward.
	credentials []string
	forward     bool
	// maxHeaderBytes bounds the request line and headers, as the HTTP
	// listener bounds them.
	maxHeaderBytes int
	// timeout bounds one Check.
	timeout time.Duration
}

// New returns a Server judging with h, the gateway built from cfg.
func New(cfg *config.Config, h http.Handler, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{log: log}
	s.Use(cfg, h)
	return s
}

// Use makes h, the gateway built from cfg, judge every Check from now on
// (a reload); Checks in flight finish on the previous one.
func (s *Server) Use(cfg *config.Config, h http.Handler) {
	conv, ok := api.ProxyConventionNamed(cfg.DecisionProxy)
	if !ok {
		conv = api.ProxyConventions[0]
	}
	prefix := http.CanonicalHeaderKey(cfg.IdentityHeaderPrefix)
	b := &binding{handler: h, decisionPath: cfg.DecisionPath, convention: conv, idPrefix: prefix, maxHeaderBytes: cfg.MaxHeaderBytes,
		subject: http.CanonicalHeaderKey(prefix + api.IdentitySubject), forward: cfg.ExtAuthzGRPC.ForwardCredentials, timeout: cfg.ExtAuthzGRPC.Timeout}
	if b.timeout <= 0 {
		b.timeout = config.DefaultExtAuthzTimeout
	}
	b.credentials = append(b.credentials, "Authorization")
	for _, name := range cfg.APIKeyHeaders {
		b.credentials = append(b.credentials, http.CanonicalHeaderKey(name))
	}
	s.current.Store(b)
}

// Check judges one request Envoy describes. Every answer, our own faults
// included, is a CheckResponse: a DeniedHttpResponse is enforced by Envoy
// whatever failure_mode_allow says, while a gRPC error would let the
// request through under failure_mode_allow: true.
func (s *Server) Check(ctx context.Context, req *authv3.CheckRequest) (resp *authv3.CheckResponse, err error) {
	b := s.current.Load()
	if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > b.timeout {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.timeout)
		defer cancel()
	}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("ext_authz: Check failed; answered 503", "panic", fmt.Sprintf("%.200v", p))
			resp, err = refusal(reason.AuthUnavailable), nil
		}
	}()
	if n := headerBytes(req); n > b.maxHeaderBytes {
		s.log.Info("ext_authz: refused before judging", "reason", string(reason.HeadersTooMany), "header_bytes", n, "max_header_bytes", b.maxHeaderBytes)
		return refusal(reason.HeadersTooMany), nil
	}
	r := b.request(ctx, req, peerAddr(ctx))
	w := capture.New(answerLimit)
	b.handler.ServeHTTP(w, r)
	return b.response(w, r.Header), nil
}

// headerBytes is the size of the request line and header block Envoy
// describes, counted as on the wire ("name: value\r\n").
func headerBytes(in *authv3.CheckRequest) int {
	hr := in.GetAttributes().GetRequest().GetHttp()
	n := len(hr.GetMethod()) + len(hr.GetPath()) + len(" HTTP/1.1\r\n")
	for _, hv := range hr.GetHeaderMap().GetHeaders() {
		n += len(hv.GetKey()) + len(hv.GetValue()) + len(hv.GetRawValue()) + 4
	}
	for k, v := range hr.GetHeaders() {
		n += len(k) + len(v) + 4
	}
	return n
}

// peerAddr is the address of the gRPC client (Envoy).
func peerAddr(ctx context.Context) string {
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		return p.Addr.String()
	}
	return ""
}

// request is the decision request the configured proxy would send for
// the request Envoy describes, from peer. Envoy lower-cases header names
// and, unless encode_raw_headers is on, joins repeated ones with ",";
// pseudo-headers are read from their own fields.
func (b *binding) request(ctx context.Context, in *authv3.CheckRequest, remote string) *http.Request {
	hr := in.GetAttributes().GetRequest().GetHttp()
	h := http.Header{}
	add := func(k, v string) {
		if strings.HasPrefix(k, ":") || strings.EqualFold(k, "host") {
			return
		}
		k = http.CanonicalHeaderKey(k)
		h[k] = append(h[k], v)
	}
	if raw := hr.GetHeaderMap().GetHeaders(); len(raw) > 0 {
		for _, hv := range raw {
			v := hv.GetValue()
			if hv.GetRawValue() != nil {
				v = string(hv.GetRawValue())
			}
			add(hv.GetKey(), v)
		}
	} else {
		for k, v := range hr.GetHeaders() {
			add(k, v)
		}
	}
	// The client as Envoy saw it ends the chain: without
	// use_remote_address Envoy does not append it, and the client's own
	// X-Forwarded-For would name any address.
	if ip := sourceIP(in); ip != "" {
		if prior := strings.Join(h.Values("X-Forwarded-For"), ", "); prior != "" {
			ip = prior + ", " + ip
		}
		h["X-Forwarded-For"] = []string{ip}
	}
	r := &http.Request{Method: http.MethodGet, Header: h, Host: hr.GetHost(), RemoteAddr: remote,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Body: http.NoBody}
	path := hr.GetPath()
	if b.convention.PathSuffix {
		// Envoy's own HTTP mode: the original path after the decision
		// path, the request's method and host. A target that is not a
		// path ("*", an authority) stays as it came: the gateway refuses
		// it as path_malformed.
		r.Method, r.RequestURI = hr.GetMethod(), path
		if strings.HasPrefix(path, "/") {
			r.RequestURI = b.decisionPath + path
		}
	} else {
		// nginx, Caddy, Traefik, ingress-nginx: the headers the proxy
		// sets, replacing the client's copies of those names, as the proxy
		// does; nginx's verdict-only header is the proxy's, never the
		// client's.
		r.RequestURI = b.decisionPath
		c := b.convention
		for name, v := range map[string]string{c.Method: hr.GetMethod(), c.URI: path, c.Host: hr.GetHost(),
			c.URL: cmp.Or(hr.GetScheme(), "http") + "://" + hr.GetHost() + path} {
			if name != "" {
				h[name] = []string{v}
			}
		}
		h.Del(api.DecisionModeHeader)
	}
	_, query, _ := strings.Cut(path, "?")
	r.URL = &url.URL{RawQuery: query}
	return r.WithContext(ctx)
}

// sourceIP is the downstream address Envoy names, or "".
func sourceIP(in *authv3.CheckRequest) string {
	a := in.GetAttributes().GetSource().GetAddress().GetSocketAddress().GetAddress()
	if net.ParseIP(a) == nil {
		return ""
	}
	return a
}

// response maps the gateway's answer to the CheckResponse. Only a
// decision verdict allows: 200 with the identity headers. Any other
// answer — a refusal, a preflight's 204 — is a
// local reply to the client, never an allow.
func (b *binding) response(w *capture.Recorder, in http.Header) *authv3.CheckResponse {
	_, verdict := w.Header()[b.subject]
	if w.Status == 0 {
		return refusal(reason.AuthUnavailable) // nothing written: fail closed
	}
	if w.Status == http.StatusOK && verdict {
		return &authv3.CheckResponse{Status: &status.Status{Code: int32(codes.OK)},
			HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: b.allowed(w.Header(), in)}}
	}
	return denied(w.Status, w.Header(), string(w.Body()))
}

// allowed: the identity headers and Request-Id go upstream (replacing any
// of those names; an empty one is removed), the credentials consumed are
// removed, and the rest of the answer (CORS, quota headers) goes to the
// client with the upstream's response.
func (b *binding) allowed(answer, in http.Header) *authv3.OkHttpResponse {
	ok := &authv3.OkHttpResponse{}
	for name, values := range answer {
		switch {
		case strings.HasPrefix(name, b.idPrefix) || name == api.RequestIDHeader:
			if values[0] == "" {
				ok.HeadersToRemove = append(ok.HeadersToRemove, strings.ToLower(name))
				continue
			}
			ok.Headers = append(ok.Headers, option(name, values[0], corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD))
		case skipped(name):
		default:
			for _, v := range values {
				ok.ResponseHeadersToAdd = append(ok.ResponseHeadersToAdd, option(name, v, corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD))
			}
		}
	}
	if !b.forward {
		for _, name := range b.credentials {
			if _, sent := in[name]; sent {
				ok.HeadersToRemove = append(ok.HeadersToRemove, strings.ToLower(name))
			}
		}
	}
	return ok
}

// denied is the local reply Envoy sends: our status, every header (each
// challenge its own WWW-Authenticate line) and the problem body.
func denied(code int, answer http.Header, body string) *authv3.CheckResponse {
	d := &authv3.DeniedHttpResponse{Status: &typev3.HttpStatus{Code: typev3.StatusCode(code)}, Body: validUTF8(body)}
	for name, values := range answer {
		if skipped(name) && name != "Content-Type" {
			continue
		}
		action := corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD
		if len(values) > 1 {
			action = corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD
		}
		for _, v := range values {
			d.Headers = append(d.Headers, option(name, v, action))
		}
	}
	return &authv3.CheckResponse{Status: &status.Status{Code: int32(grpcCode(code))},
		HttpResponse: &authv3.CheckResponse_DeniedResponse{DeniedResponse: d}}
}

// refusal is the answer when the gateway could not be asked (a header
// block over max_header_bytes, which the HTTP listener refuses before
// the gateway too) or gave no answer (a fault of ours: 503
// auth_unavailable). Like every refusal it is enforced whatever
// failure_mode_allow says. The problem names the reason, without detail.
func refusal(code reason.Code) *authv3.CheckResponse {
	p := api.NewProblem(&reason.Error{Code: code}, api.DetailReason, "")
	body, _ := json.Marshal(p)
	h := http.Header{"Content-Type": {api.ProblemMediaType}, "Cache-Control": {"no-store"}}
	return denied(p.Status, h, string(body)+"\n")
}

// skipped are headers Envoy computes itself.
func skipped(name string) bool {
	return name == "Content-Length" || name == "Content-Type" || name == "Date" || name == "Connection"
}

func option(name, value string, action corev3.HeaderValueOption_HeaderAppendAction) *corev3.HeaderValueOption {
	return &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: strings.ToLower(name), Value: validUTF8(value)}, AppendAction: action}
}

// validUTF8: a protobuf string must be UTF-8.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "?")
}

// grpcCode is the CheckResponse status of a refusal; Envoy reads only
// whether it is OK, the HTTP status comes from the DeniedHttpResponse.
func grpcCode(status int) codes.Code {
	switch {
	case status == http.StatusUnauthorized:
		return codes.Unauthenticated
	case status == http.StatusTooManyRequests:
		return codes.ResourceExhausted
	case status >= 500:
		return codes.Unavailable
	case status == http.StatusBadRequest:
		return codes.InvalidArgument
	}
	return codes.PermissionDenied
}
