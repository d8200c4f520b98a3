package extauthz_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/internal/app"
	"github.com/authgate/authgate/internal/demo"
)

// stack is the demo (issuer, JWKS, introspection, keys, users) and a
// gateway built from the demo's configuration with decision_proxy set,
// serving its HTTP decision endpoint and the ext_authz gRPC listener.
type stack struct {
	file       demo.File
	convention string
	host       string // the original requests' host
	httpURL    string // the gateway's HTTP listener
	grpcAddr   string // the ext_authz listener
	yaml       string // the gateway's configuration
	app        *app.App
	client     authv3.AuthorizationClient
}

// startStack starts the demo and a gateway over its configuration,
// changed by extra (YAML appended to the file).
func startStack(t testing.TB, convention, extra string) *stack {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	d, err := demo.Start(ctx, demo.Options{Listen: "127.0.0.1:0", StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	text, err := os.ReadFile(d.File.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(extra, "ext_authz_grpc:") {
		extra += "ext_authz_grpc: {listen: \"127.0.0.1:0\"}\n"
	}
	yaml := string(text) + fmt.Sprintf("decision_proxy: %s\nadmin: {listen: \"\"}\nfailure_limit: {per_credential: 1000000, per_client: 1000000, per_account: 1000000, window: 1m}\naccess_log: {sample_allowed: 0}\n%s", convention, extra)
	cfg := parse(t, d.File.ConfigFile, yaml)
	a, err := app.New(cfg, app.Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := gateway.NewServer(cfg, a.Handler())
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	errc := make(chan error, 1)
	stop, addr, err := a.ServeExtAuthz(cfg, errc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(time.Second) })
	conn, err := grpc.NewClient(addr.String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &stack{file: d.File, convention: convention, host: strings.TrimPrefix(d.File.URL, "http://"),
		httpURL: "http://" + ln.Addr().String(), grpcAddr: addr.String(), yaml: yaml, app: a, client: authv3.NewAuthorizationClient(conn)}
}

// credentialHeader is the header a demo case sends its credential in.
func (s *stack) credentialHeader(c demo.Case) (name, value string) {
	switch {
	case c.Token != "":
		return "Authorization", "Bearer " + s.file.Tokens[c.Token]
	case c.APIKey != "":
		return "X-API-Key", s.file.APIKeys[c.APIKey]
	case c.Basic == "good":
		return "Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte(s.file.Basic.User+":"+s.file.Basic.Password))
	case c.Basic == "wrong":
		return "Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte(s.file.Basic.User+":"+demo.WrongPassword))
	}
	return "", ""
}

// verdict is what the tests compare between the two doors.
type verdict struct {
	status     int
	reason     string
	challenges int
	errorOn    string // the scheme whose challenge carries error=
	identity   [4]string
	requestID  bool
}

var identityHeaders = [4]string{"X-Authgate-Subject", "X-Authgate-Issuer", "X-Authgate-Scopes", "X-Authgate-Credential"}

// verdictOf reads an answer: status, headers (each value one line), body.
func verdictOf(status int, header http.Header, body []byte) verdict {
	var p api.Problem
	json.Unmarshal(body, &p)
	v := verdict{status: status, reason: p.Reason, challenges: len(header.Values("WWW-Authenticate")), requestID: header.Get(api.RequestIDHeader) != ""}
	for _, ch := range header.Values("WWW-Authenticate") {
		if strings.Contains(ch, "error=") {
			v.errorOn, _, _ = strings.Cut(ch, " ")
		}
	}
	for i, name := range identityHeaders {
		v.identity[i] = header.Get(name)
	}
	return v
}

// decideHTTP asks the HTTP decision endpoint as the configured proxy does.
func (s *stack) decideHTTP(t testing.TB, method, path string, headers ...string) verdict {
	t.Helper()
	var req *http.Request
	switch s.convention {
	case "envoy":
		req, _ = http.NewRequest(method, s.httpURL+"/.authgate/decide"+path, nil)
		req.Host = s.host
	case "ingress-nginx":
		req, _ = http.NewRequest(http.MethodGet, s.httpURL+"/.authgate/decide", nil)
		req.Header.Set("X-Original-Method", method)
		req.Header.Set("X-Original-URL", "http://"+s.host+path)
	default:
		req, _ = http.NewRequest(http.MethodGet, s.httpURL+"/.authgate/decide", nil)
		req.Header.Set("X-Original-Method", method)
		req.Header.Set("X-Original-URI", path)
		req.Header.Set("X-Original-Host", s.host)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return verdictOf(resp.StatusCode, resp.Header, body)
}

// envoyRequest is a CheckRequest as Envoy's HTTP ext_authz filter sends
// it for a plain HTTP/1.1 request from 127.0.0.1: headers lower-cased,
// pseudo-headers included, the ones Envoy adds itself.
func (s *stack) envoyRequest(method, path string, headers ...string) *authv3.CheckRequest {
	h := map[string]string{":authority": s.host, ":method": method, ":path": path, ":scheme": "http",
		"user-agent": "curl/8.5.0", "accept": "*/*", "x-forwarded-proto": "http", "x-request-id": "6f1c5bb8-8f6e-4d5e-9f51-6a6b0c7a2e11"}
	for i := 0; i+1 < len(headers); i += 2 {
		k := strings.ToLower(headers[i])
		if prior, ok := h[k]; ok {
			h[k] = prior + "," + headers[i+1]
			continue
		}
		h[k] = headers[i+1]
	}
	return &authv3.CheckRequest{Attributes: &authv3.AttributeContext{
		Source:      &authv3.AttributeContext_Peer{Address: socket("127.0.0.1", 53412)},
		Destination: &authv3.AttributeContext_Peer{Address: socket("127.0.0.1", 10000)},
		Request: &authv3.AttributeContext_Request{Http: &authv3.AttributeContext_HttpRequest{
			Id: "1234567890", Method: method, Headers: h, Path: path, Host: s.host, Scheme: "http", Protocol: "HTTP/1.1", Size: 0,
		}},
	}}
}

func socket(ip string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address: ip, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port}}}}
}

// check sends req over gRPC and reads the answer as Envoy applies it: a
// denial as the local reply (status, headers, body), an allow as the
// headers the upstream request gets.
func (s *stack) check(t testing.TB, req *authv3.CheckRequest) (verdict, *authv3.CheckResponse) {
	t.Helper()
	resp, err := s.client.Check(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return envoyView(t, resp), resp
}

func envoyView(t testing.TB, resp *authv3.CheckResponse) verdict {
	h := http.Header{}
	switch r := resp.HttpResponse.(type) {
	case *authv3.CheckResponse_OkResponse:
		if resp.GetStatus().GetCode() != 0 {
			t.Fatalf("ok_response with status %v", resp.GetStatus())
		}
		for _, o := range r.OkResponse.Headers {
			h.Add(o.Header.Key, o.Header.Value)
		}
		return verdictOf(http.StatusOK, h, nil)
	case *authv3.CheckResponse_DeniedResponse:
		if resp.GetStatus().GetCode() == 0 {
			t.Fatalf("denied_response with status OK")
		}
		for _, o := range r.DeniedResponse.Headers {
			if o.AppendAction == corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD {
				h.Set(o.Header.Key, o.Header.Value)
			} else {
				h.Add(o.Header.Key, o.Header.Value)
			}
		}
		return verdictOf(int(r.DeniedResponse.GetStatus().GetCode()), h, []byte(r.DeniedResponse.Body))
	}
	t.Fatalf("CheckResponse without an HTTP response: %v", resp)
	return verdict{}
}

// TestDemoCasesOverGRPC: each demo case, asked of the HTTP decision
// endpoint as the proxy sends it and of Check as Envoy sends it, gets the
// same status, reason, challenges (counted), challenge carrying the error
// and identity headers — under Envoy's own convention, nginx's and
// ingress-nginx's (the whole URL in one header).
func TestDemoCasesOverGRPC(t *testing.T) {
	for _, convention := range []string{"envoy", "nginx", "ingress-nginx"} {
		s := startStack(t, convention, "")
		for _, c := range demo.Cases {
			t.Run(fmt.Sprintf("%s %s %s %s%s%s", convention, c.Method, c.Path, c.Token, c.APIKey, c.Basic), func(t *testing.T) {
				name, value := s.credentialHeader(c)
				var headers []string
				if name != "" {
					headers = []string{name, value}
				}
				want := s.decideHTTP(t, c.Method, c.Path, headers...)
				got, resp := s.check(t, s.envoyRequest(c.Method, c.Path, headers...))
				wantStatus := c.Status
				if wantStatus < 300 {
					wantStatus = http.StatusOK // a decision allows with 200; the upstream chooses 201
				}
				if want.status != wantStatus || want.reason != string(c.Reason) {
					t.Fatalf("the HTTP decision answered %+v; the demo table says %d %q", want, c.Status, c.Reason)
				}
				if !got.requestID || !want.requestID {
					t.Errorf("Request-Id missing: grpc %v, http %v", got.requestID, want.requestID)
				}
				if got != want {
					t.Fatalf("Check answered %+v\nthe HTTP decision %+v", got, want)
				}
				if ok := resp.GetOkResponse(); ok != nil && name != "" && !slices.Contains(ok.HeadersToRemove, strings.ToLower(name)) {
					t.Errorf("the credential header %s is not removed from the upstream request: %v", name, ok.HeadersToRemove)
				}
				if d := resp.GetDeniedResponse(); d != nil {
					var p api.Problem
					if err := json.Unmarshal([]byte(d.Body), &p); err != nil || p.Status != got.status {
						t.Errorf("problem body %q: %v", d.Body, err)
					}
				}
			})
		}
	}
}

func parse(t testing.TB, file, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse(file, []byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestReloadSwapsTheJudge: after a reload, Checks are judged by the new
// gateway under the new settings (realm, decision_proxy), on the same
// listener.
func TestReloadSwapsTheJudge(t *testing.T) {
	s := startStack(t, "nginx", "")
	next := strings.Replace(strings.Replace(s.yaml, "realm: demo", "realm: reloaded", 1), "decision_proxy: nginx", "decision_proxy: envoy", 1)
	if err := s.app.Reload(parse(t, s.file.ConfigFile, next)); err != nil {
		t.Fatal(err)
	}
	_, resp := s.check(t, s.envoyRequest("GET", "/v1/data"))
	d := resp.GetDeniedResponse()
	if d == nil || !slices.ContainsFunc(d.Headers, func(o *corev3.HeaderValueOption) bool { return strings.Contains(o.Header.Value, `realm="reloaded"`) }) {
		t.Fatalf("after the reload: %v", resp)
	}
	s.convention = "envoy"
	if want, got := s.decideHTTP(t, "GET", "/public"), envoyViewOf(t, s, "GET", "/public"); want != got || got.status != 200 {
		t.Fatalf("Check %+v, HTTP %+v", got, want)
	}
}

func envoyViewOf(t testing.TB, s *stack, method, path string) verdict {
	v, _ := s.check(t, s.envoyRequest(method, path))
	return v
}
