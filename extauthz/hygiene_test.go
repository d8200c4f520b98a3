package extauthz_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/reason"
)

// TestHygieneOverGRPC: what the HTTP decision endpoint refuses in a
// request a proxy passes on from the client, Check refuses too, with the
// same answer: client copies of identity headers (any spelling), method
// overrides, path rewrites, another convention's headers, non-canonical
// paths, too many headers.
func TestHygieneOverGRPC(t *testing.T) {
	s := startStack(t, "envoy", "")
	bearer := "Bearer " + s.file.Tokens["valid"]
	many := []string{"Authorization", bearer}
	for i := range 100 {
		many = append(many, fmt.Sprintf("X-Filler-%d", i), "x")
	}
	for _, c := range []struct {
		name    string
		method  string
		path    string
		headers []string
		status  int
		reason  reason.Code
	}{
		{"allowed", "GET", "/v1/data", []string{"Authorization", bearer}, 200, ""},
		{"identity header copy", "GET", "/v1/data", []string{"Authorization", bearer, "X-Authgate-Subject", "admin"}, 400, reason.ProxyRequestInvalid},
		{"identity header spelled with _", "GET", "/v1/data", []string{"Authorization", bearer, "X_Authgate_Subject", "admin"}, 400, reason.ProxyRequestInvalid},
		{"claim header copy", "GET", "/v1/data", []string{"Authorization", bearer, "X-Authgate-Claim-Roles", "admin"}, 400, reason.ProxyRequestInvalid},
		{"method override", "GET", "/v1/data", []string{"Authorization", bearer, "X-HTTP-Method-Override", "DELETE"}, 400, reason.MethodMalformed},
		{"path rewrite", "GET", "/public", []string{"X-Original-URL", "/v1/admin"}, 400, reason.ProxyRequestInvalid},
		{"another convention's header", "GET", "/public", []string{"X-Forwarded-Uri", "/v1/admin"}, 400, reason.ProxyRequestInvalid},
		{"credential header spelled with _", "GET", "/v1/data", []string{"Authorization", bearer, "X_API_Key", "k"}, 400, reason.ProxyRequestInvalid},
		{"dot segment", "GET", "/public/../v1/admin", nil, 400, reason.PathMalformed},
		{"encoded slash", "GET", "/v1%2Fadmin", nil, 400, reason.PathMalformed},
		{"lower-case method", "get", "/v1/data", []string{"Authorization", bearer}, 400, reason.MethodMalformed},
		{"too many headers", "GET", "/v1/data", many, 431, reason.HeadersTooMany},
		{"h2c upgrade", "GET", "/v1/data", []string{"Authorization", bearer, "Upgrade", "h2c"}, 400, reason.UpgradeNotAllowed},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := s.decideHTTP(t, c.method, c.path, c.headers...)
			got, _ := s.check(t, s.envoyRequest(c.method, c.path, c.headers...))
			if want.status != c.status || want.reason != string(c.reason) {
				t.Fatalf("the HTTP decision answered %+v, want %d %s", want, c.status, c.reason)
			}
			if got != want {
				t.Fatalf("Check answered %+v\nthe HTTP decision %+v", got, want)
			}
		})
	}
	// The demo turns on the echo endpoint, which never answers under the
	// decision path (gateway TestEchoNeverDecides): an echo path is decided
	// like any other, and a client's identity header is refused there too.
	echo := s.envoyRequest("GET", "/v1/data/.authgate/echo", "X-Authgate-Subject", "admin")
	if got, resp := s.check(t, echo); resp.GetOkResponse() != nil || got.status != 400 || got.reason != string(reason.ProxyRequestInvalid) {
		t.Errorf("a decision for the echo path: %+v %v", got, resp)
	}
}

// TestGRPCOnlyInputs: what only the gRPC door receives. Duplicates that
// encode_raw_headers keeps apart are refused like two header lines;
// joined by Envoy into one value they are still refused. A request target
// that is not a path is refused. nginx's verdict-only header from a
// client is not believed. The client address is the one Envoy saw, not a
// client's X-Forwarded-For. An oversized CheckRequest is a gRPC error.
func TestGRPCOnlyInputs(t *testing.T) {
	s := startStack(t, "nginx", "")
	bearer := "Bearer " + s.file.Tokens["valid"]

	raw := s.envoyRequest("GET", "/v1/data")
	hr := raw.Attributes.Request.Http
	hr.Headers = nil
	hr.HeaderMap = &corev3.HeaderMap{}
	for _, kv := range [][2]string{{":authority", s.host}, {":path", "/v1/data"}, {":method", "GET"}, {"authorization", bearer}, {"authorization", bearer}} {
		hr.HeaderMap.Headers = append(hr.HeaderMap.Headers, &corev3.HeaderValue{Key: kv[0], RawValue: []byte(kv[1])})
	}
	if got, _ := s.check(t, raw); got.status != 400 || got.reason != string(reason.HeaderMalformed) {
		t.Errorf("two Authorization lines (encode_raw_headers): %+v", got)
	}
	if want := s.decideHTTP(t, "GET", "/v1/data", "Authorization", bearer, "Authorization", bearer); want.reason != string(reason.HeaderMalformed) {
		t.Errorf("two Authorization lines over HTTP: %+v", want)
	}
	if got, resp := s.check(t, s.envoyRequest("GET", "/v1/data", "Authorization", bearer, "Authorization", bearer)); resp.GetOkResponse() != nil || got.status < 400 {
		t.Errorf("two Authorization values joined by Envoy were allowed: %+v", got)
	}
	if got, _ := s.check(t, s.envoyRequest("OPTIONS", "*")); got.status != 400 || got.reason != string(reason.ProxyRequestInvalid) {
		t.Errorf("OPTIONS *: %+v", got)
	}
	if got, _ := s.check(t, s.envoyRequest("GET", "/v1/data", api.DecisionModeHeader, api.DecisionStatusOnly)); got.status != 401 || got.reason != string(reason.CredentialsMissing) || got.challenges == 0 {
		t.Errorf("a client's verdict-only header was believed: %+v", got)
	}

	spoofed := s.envoyRequest("GET", "/v1/data", "Authorization", "Bearer "+s.file.Tokens["expired"], "X-Forwarded-For", "10.1.2.3")
	spoofed.Attributes.Source = &authv3.AttributeContext_Peer{Address: socket("203.0.113.7", 40000)}
	if got, _ := s.check(t, spoofed); got.reason != string(reason.TokenExpired) {
		t.Fatalf("expired token: %+v", got)
	}
	recent := s.app.State().Failures.List(func(f api.Failure) bool { return f.Reason == string(reason.TokenExpired) })
	if len(recent) != 1 || recent[0].Client != "203.0.113.7" {
		t.Errorf("the failure was recorded for %+v, want client 203.0.113.7 (the address Envoy saw)", recent)
	}

	// Over max_header_bytes (32 KiB), refused as the HTTP listener does;
	// over what Envoy can send at all, a gRPC error.
	big := s.envoyRequest("GET", "/v1/data", "Authorization", bearer, "X-Big", strings.Repeat("a", 40<<10))
	if got, _ := s.check(t, big); got.status != 431 || got.reason != string(reason.HeadersTooMany) {
		t.Errorf("a header block over max_header_bytes: %+v", got)
	}
	if resp, err := http.Get(s.httpURL + "/.authgate/decide/v1/data?" + strings.Repeat("a", 40<<10)); err != nil || resp.StatusCode != 431 {
		t.Errorf("over HTTP: %v %v", resp, err)
	}
	huge := s.envoyRequest("GET", "/v1/data", "X-Big", strings.Repeat("a", 9<<20))
	if _, err := s.client.Check(context.Background(), huge); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("a CheckRequest over 8 MiB: %v", err)
	}
}

// TestUntrustedPeer: a Check from an address outside trusted_proxies is
// refused 403 proxy_untrusted, as the HTTP decision endpoint refuses it,
// whatever it says; from a trusted one it is judged.
func TestUntrustedPeer(t *testing.T) {
	s := startStack(t, "envoy", "trusted_proxies: [10.0.0.0/8]\n")
	bearer := "Bearer " + s.file.Tokens["valid"]
	want := s.decideHTTP(t, "GET", "/v1/data", "Authorization", bearer)
	got, _ := s.check(t, s.envoyRequest("GET", "/v1/data", "Authorization", bearer))
	if want.status != 403 || want.reason != string(reason.ProxyUntrusted) || got != want {
		t.Fatalf("from 127.0.0.1: Check %+v, HTTP %+v", got, want)
	}
	// The same server, called in-process as from a trusted proxy.
	ctx := peer.NewContext(context.Background(), &peer.Peer{Addr: &net.TCPAddr{IP: net.ParseIP("10.0.0.5"), Port: 5000}})
	resp, err := s.app.ExtAuthz().Check(ctx, s.envoyRequest("GET", "/v1/data", "Authorization", bearer))
	if err != nil || resp.GetOkResponse() == nil {
		t.Fatalf("from a trusted proxy: %v %v", resp, err)
	}
	if got := envoyView(t, resp); got.identity[0] == "" || got.status != http.StatusOK {
		t.Fatalf("from a trusted proxy: %+v", got)
	}
}
