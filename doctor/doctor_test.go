package doctor

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/demo"
	"github.com/authgate/authgate/internal/gatewaytest"
)

// startDemo runs the real demo: an authgate gateway with tokens, keys and
// a Basic user.
func startDemo(t testing.TB) *demo.Demo { return gatewaytest.Demo(t, false) }

// serve starts a plain (non-authgate) server on loopback at ip.
func serve(t testing.TB, ip string, h http.HandlerFunc) string {
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// bearerOnly is a non-authgate API that checks a fixed Bearer token
// against its own clock, which may be skewed.
func bearerOnly(skew time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", time.Now().Add(skew).UTC().Format(http.TimeFormat))
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			w.Header().Set("WWW-Authenticate", `Bearer realm="plain"`)
			w.WriteHeader(401)
			return
		}
		if skew != 0 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="plain", error="invalid_token", error_description="token not yet valid"`)
			w.WriteHeader(401)
			return
		}
		io.WriteString(w, "ok")
	}
}

func run(t *testing.T, req *Request, opts Options) *Report {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	rep, err := Run(context.Background(), req, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func get(url string, headers ...string) *Request {
	r := &Request{Method: "GET", URL: url}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Headers = append(r.Headers, Header{Name: headers[i], Value: headers[i+1]})
	}
	return r
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestDiagnoses(t *testing.T) {
	d := startDemo(t)
	f := d.File
	data := f.URL + "/v1/data"
	none := func(string) (string, bool) { return "", false }

	// A proxy that deletes Authorization in front of the gateway.
	target, _ := url.Parse(f.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	strip := serve(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("Authorization")
		rp.ServeHTTP(w, r)
	})
	// Plain servers.
	basicOnly := serve(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="legacy"`)
		w.WriteHeader(401)
	})
	skewed := serve(t, "127.0.0.1", bearerOnly(-10*time.Minute))
	otherHost := serve(t, "127.0.0.2", bearerOnly(0))
	redirector := serve(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherHost+"/v1/data", http.StatusFound)
	})
	plainHTTP := serve(t, "127.0.0.1", bearerOnly(0))
	tlsRedirect := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plainHTTP+"/v1/data", http.StatusMovedPermanently)
	}))
	t.Cleanup(tlsRedirect.Close)
	corsNoAuth := serve(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "http://app.test")
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Headers", "content-type")
			w.WriteHeader(204)
			return
		}
		io.WriteString(w, "ok")
	})
	corsAuthOnOptions := serve(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="x"`)
		w.WriteHeader(401)
	})
	noChallenge := serve(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		io.WriteString(w, "Unauthorized")
	})
	down := gatewayWithDeadJWKS(t, f.Issuer)

	long := b64(strings.Repeat("u", 40) + ":" + strings.Repeat("p", 40))
	curlCase := func(cmd string) *Request {
		r, err := ParseCurl(cmd, none)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []struct {
		name string
		req  *Request
		opts Options
		want Code
	}{
		{"missing header", get(data), Options{}, CredentialsMissing},
		{"wrong scheme", get(basicOnly, "Authorization", "Bearer "+f.Tokens["valid"]), Options{}, SchemeMismatch},
		{"expired", get(data, "Authorization", "Bearer "+f.Tokens["expired"]), Options{}, TokenExpired},
		{"server clock 10 minutes behind, fresh token", get(skewed, "Authorization", "Bearer "+f.Tokens["valid"]), Options{}, ClockSkew},
		{"wrong audience", get(data, "Authorization", "Bearer "+f.Tokens["wrong_audience"]), Options{}, TokenAudienceMismatch},
		{"issuer trailing slash", get(data, "Authorization", "Bearer "+f.Tokens["wrong_issuer"]), Options{}, TokenIssuerMismatch},
		{"test key against live", get(data, "X-API-Key", f.APIKeys["test"]), Options{ExpectEnv: "live"}, WrongEnvironment},
		{"placeholder token", get(data, "Authorization", "Bearer YOUR_VALID_ACCESS_TOKEN"), Options{}, CredentialPlaceholder},
		{"the guide's single-quoted $(...) Basic", curlCase("curl -X GET \\\n  '" + data + "' \\\n  -H 'Authorization: Basic $(echo -n \"username:password\" | base64)'"), Options{}, ShellSubstitution},
		{"base64 with a line break", get(data, "Authorization", "Basic "+long[:60]+"\n"+long[60:]), Options{}, BasicBase64Wrapped},
		{"base64 of user:pass\\n", get(data, "Authorization", "Basic "+b64(f.Basic.User+":"+f.Basic.Password+"\n")), Options{}, BasicTrailingNewline},
		{"redirect to another host", get(redirector+"/v1/data", "Authorization", "Bearer "+f.Tokens["valid"]), Options{}, RedirectCrossHost},
		{"https to http redirect", get(tlsRedirect.URL+"/v1/data", "Authorization", "Bearer "+f.Tokens["valid"]), Options{Transport: tlsRedirect.Client().Transport}, RedirectSchemeDowngrade},
		{"proxy deletes Authorization", get(strip+"/v1/data", "Authorization", "Bearer "+f.Tokens["valid"]), Options{}, AuthorizationStripped},
		{"preflight lacks authorization", get(corsNoAuth, "Authorization", "Bearer "+f.Tokens["valid"]), Options{Origin: "http://app.test"}, CORSAuthorizationDenied},
		{"preflight answered 401", get(corsAuthOnOptions, "Authorization", "Bearer "+f.Tokens["valid"]), Options{Origin: "http://app.test"}, CORSPreflightRejected},
		{"403 insufficient scope", &Request{Method: "POST", URL: data, Headers: []Header{{Name: "Authorization", Value: "Bearer " + f.Tokens["insufficient_scope"]}}}, Options{}, InsufficientScope},
		{"503 from the gateway", get(down+"/v1/data", "Authorization", "Bearer "+f.Tokens["valid"]), Options{}, ServerFault},
		{"plain 401 without a challenge", get(noChallenge, "Authorization", "Bearer 2YotnFZFEjr1zCsicMWpAA"), Options{}, CredentialsRejected},
		{"valid token succeeds", get(data, "Authorization", "Bearer "+f.Tokens["valid"]), Options{}, RequestSucceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := run(t, tt.req, tt.opts)
			if rep.Top == nil || rep.Top.Code != tt.want {
				var got []string
				for _, f := range rep.Findings {
					got = append(got, fmt.Sprintf("%s/%s", f.Code, f.Status))
				}
				t.Fatalf("top finding %v, want %s; all: %s", rep.Top, tt.want, strings.Join(got, " "))
			}
			if tt.want == InsufficientScope || tt.want == ServerFault {
				for _, f := range rep.Findings {
					if f.Status == Fail && f.Code != tt.want && f.Code != ClockSkew {
						t.Fatalf("%s also reported as a credential problem: %s", tt.want, f.Code)
					}
				}
			}
			wantExit := 1
			if rep.Succeeded {
				wantExit = 0
			}
			if rep.ExitCode != wantExit {
				t.Fatalf("exit code %d", rep.ExitCode)
			}
		})
	}
}

// gatewayWithDeadJWKS is an authgate gateway whose only issuer's JWKS
// cannot be fetched: every token gets 503.
func gatewayWithDeadJWKS(t testing.TB, issuer string) string {
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadURL := "http://" + dead.Addr().String()
	dead.Close()
	return "http://" + gatewaytest.Start(t, fmt.Sprintf(`
issuers:
  - {name: i, issuer: "%s", audiences: [demo-api], jwks_url: "%s/jwks"}
routes:
  - {name: r, path: /v1/*, upstream: "%s"}
`, issuer, deadURL, deadURL))
}

// BenchmarkDiagnose is one whole diagnosis against an authgate gateway on
// loopback: a 403 (which the gateway's failure limiter does not count),
// so every probe runs — the request, the request without credentials, the
// echo, the clock — and the offline JWT checks.
func BenchmarkDiagnose(b *testing.B) {
	d := startDemo(b)
	req := func() *Request {
		return &Request{Method: "POST", URL: d.File.URL + "/v1/data",
			Headers: []Header{{Name: "Authorization", Value: "Bearer " + d.File.Tokens["insufficient_scope"]}}}
	}
	for b.Loop() {
		rep, err := Run(context.Background(), req(), Options{})
		if err != nil || rep.Top == nil || rep.Top.Code != InsufficientScope {
			b.Fatal(err, rep.Top)
		}
	}
}

func TestExplainVia(t *testing.T) {
	d := gatewaytest.Demo(t, true)
	rep := run(t, get(d.File.URL+"/v1/data", "Authorization", "Bearer "+d.File.Tokens["wrong_audience"]),
		Options{ExplainVia: d.File.AdminURL, AdminKey: d.File.AdminKey})
	if rep.ServerView == nil || rep.ServerView.Reason != "token_audience_mismatch" || rep.ServerView.Status != 401 {
		t.Fatalf("server view %+v, notes %v", rep.ServerView, rep.Notes)
	}
	failed := ""
	for _, c := range rep.ServerView.Checks {
		if c.Result == "fail" {
			failed = c.Check
		}
	}
	if failed != "audience (aud)" {
		t.Fatalf("failing check %q", failed)
	}
}

// TestRunRefusesNonHTTPURLs: a URL the doctor cannot send to is refused
// before anything is sent, with an error that names the problem and not
// the URL, which may carry a credential.
func TestRunRefusesNonHTTPURLs(t *testing.T) {
	for _, u := range []string{"not-a-url", "ftp://user:s3cret-in-url@x/y", "http://", "mailto:a@b", "//host/path?api_key=s3cret-in-url", ""} {
		rep, err := Run(context.Background(), &Request{Method: "GET", URL: u}, Options{})
		if err == nil || rep != nil {
			t.Errorf("%q: report %v, error %v; want an error and no report", u, rep, err)
			continue
		}
		if !strings.Contains(err.Error(), "not an http:// or https:// URL") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q: %v", u, err)
		}
	}
}
