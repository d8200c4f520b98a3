package extauthz_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/proto"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/extauthz"
	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/internal/tokentest"
)

// FuzzCheck reads CheckRequests of any shape (method, path, host, header
// names and values, raw or joined) through a real gateway: the answer is
// always a CheckResponse that marshals, never the adapter's own 503
// (which would hide a panic), and an allow only for the public route.
//
//	go test ./extauthz -run '^$' -fuzz FuzzCheck -fuzztime 10s
func FuzzCheck(f *testing.F) {
	jwks, _ := tokentest.CountingJWKS(f)
	for _, convention := range []string{"envoy", "nginx", "ingress-nginx"} {
		for _, seed := range []struct{ method, path, host, headers string }{
			{"GET", "/public", "api.test", "user-agent: curl"},
			{"GET", "/v1/data?x=1", "api.test", "authorization: Bearer abc"},
			{"OPTIONS", "*", "", "origin: https://a.test\naccess-control-request-method: GET"},
			{"get", "/public/../v1", "api.test:80", "x_authgate_subject: a\nx-authgate-subject: b"},
			{"POST", "/v1/data", "api.test", ":authority: x\nhost: y\nauthorization: Basic Zm9vOmJhcg==\nauthorization: Bearer x"},
		} {
			f.Add(convention, seed.method, seed.path, seed.host, seed.headers, false)
			f.Add(convention, seed.method, seed.path, seed.host, seed.headers, true)
		}
	}
	servers := map[string]*extauthz.Server{}
	ctx, cancel := context.WithCancel(context.Background())
	f.Cleanup(cancel)
	for _, convention := range []string{"envoy", "nginx", "ingress-nginx"} {
		cfg, err := config.Parse("fuzz.yaml", []byte(fmt.Sprintf(`
decision_proxy: %s
admin: {listen: ""}
access_log: {sample_allowed: 0}
data_dir: %s
issuers:
  - {name: main, issuer: "https://issuer.test", audiences: [api], jwks_url: "%s"}
routes:
  - {name: public, path: /public, methods: [GET], public: true, upstream: "http://127.0.0.1:9"}
  - {name: data, path: /v1/data, schemes: [bearer], scopes_all: [read], upstream: "http://127.0.0.1:9"}
ext_authz_grpc: {listen: "127.0.0.1:0"}
`, convention, f.TempDir(), jwks)), func(string) (string, bool) { return "", false })
		if err != nil {
			f.Fatal(err)
		}
		gw, err := gateway.New(cfg, gateway.Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
		if err != nil {
			f.Fatal(err)
		}
		stopped := gw.Start(ctx)
		f.Cleanup(func() { cancel(); <-stopped })
		servers[convention] = extauthz.New(cfg, gw.Handler(), nil)
	}
	from := peer.NewContext(ctx, &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4000}})
	f.Fuzz(func(t *testing.T, convention, method, path, host, headers string, raw bool) {
		s := servers[convention]
		if s == nil {
			return
		}
		hr := &authv3.AttributeContext_HttpRequest{Method: method, Path: path, Host: host, Headers: map[string]string{}}
		for line := range strings.SplitSeq(headers, "\n") {
			k, v, _ := strings.Cut(line, ": ")
			if raw {
				if hr.HeaderMap == nil {
					hr.HeaderMap = &corev3.HeaderMap{}
				}
				hr.HeaderMap.Headers = append(hr.HeaderMap.Headers, &corev3.HeaderValue{Key: strings.ToLower(k), RawValue: []byte(v)})
			} else {
				hr.Headers[strings.ToLower(k)] = v
			}
		}
		resp, err := s.Check(from, &authv3.CheckRequest{Attributes: &authv3.AttributeContext{Request: &authv3.AttributeContext_Request{Http: hr}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := proto.Marshal(resp); err != nil {
			t.Fatalf("the answer does not marshal: %v", err)
		}
		if d := resp.GetDeniedResponse(); d != nil && d.GetStatus().GetCode() == 503 {
			t.Fatalf("503 for %q %q: %s", method, path, d.Body)
		}
		if p, _, _ := strings.Cut(path, "?"); resp.GetOkResponse() != nil && (method != "GET" && method != "HEAD" || p != "/public") {
			t.Fatalf("allowed %q %q %q", method, path, headers)
		}
	})
}
