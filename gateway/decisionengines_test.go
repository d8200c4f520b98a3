package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/credential/apikey"
	"github.com/authgate/authgate/internal/tokentest"
	"github.com/authgate/authgate/store/sqlite"
)

// decisionGateways are the gateways of startDecisionEngines: one per
// decision_proxy convention (traefik reads as caddy does), and
// "untrusted", nginx's convention behind trusted_proxies that leave
// loopback out (the peer of every test request is then untrusted).
var decisionGateways = []string{"nginx", "caddy", "ingress-nginx", "envoy", "untrusted"}

// startDecisionEngines serves, for each of decisionGateways, one gateway
// with the decision endpoint on (its default path, /.authgate/decide) and
// a real JWKS on both engines, and the API key it returns (the gateways
// share one store). The routes: /public/* open, /v1/* for a bearer token
// with scope read, /hosted/* the same on host api.test only, /keyed/* for
// an API key or a bearer token with scope read. Nothing is proxied: the
// routes' upstream is a closed port.
func startDecisionEngines(t testing.TB) (gateways map[string]*engines, key string) {
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	_, key, err = apikey.Create(context.Background(), st, apikey.Spec{Name: "t", Environment: "live", Scopes: []string{"read"}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	jwks := tokentest.JWKS()
	js := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(jwks) }))
	t.Cleanup(js.Close)
	gateways = map[string]*engines{}
	for _, name := range decisionGateways {
		convention, trusted := name, "[127.0.0.1/32, \"::1/128\"]"
		if name == "untrusted" {
			convention, trusted = "nginx", "[10.0.0.0/8]"
		}
		doc := fmt.Sprintf(`
realm: api
environment: live
fingerprint_key: Qx7vN2pLw9TzR4mK8sJdF3hB
max_header_bytes: 8192
max_header_count: 20
server: {read_header_timeout: 2s, body_idle_timeout: 2s, body_timeout: 2s}
failure_limit: {per_credential: 1000000000, per_client: 1000000000, per_account: 1000000000, window: 1m}
decision_proxy: %s
trusted_proxies: %s
issuers:
  - {name: main, issuer: %q, audiences: [api], jwks_url: %q}
routes:
  - {name: public, path: /public/*, public: true, upstream: "http://127.0.0.1:9"}
  - {name: read, path: /v1/*, schemes: [bearer], scopes_all: [read], upstream: "http://127.0.0.1:9"}
  - {name: hosted, path: /hosted/*, hosts: [api.test], schemes: [bearer], upstream: "http://127.0.0.1:9"}
  - {name: keyed, path: /keyed/*, schemes: [apikey, bearer], scopes_all: [read], upstream: "http://127.0.0.1:9"}
`, convention, trusted, issuerURL, js.URL)
		g, cfg := startGatewayWith(t, doc, Options{Logger: slog.New(slog.DiscardHandler), Store: st})
		es := &engines{urls: map[string]string{}}
		for _, engine := range []string{config.EngineStandard, config.EngineFast} {
			es.urls[engine] = serveEngine(t, engine, cfg, g.Handler()).URL
		}
		gateways[name] = es
	}
	return gateways, key
}

// decisionRequest is one raw decision request for a gateway of
// startDecisionEngines.
type decisionRequest struct {
	name, gateway, raw string
	// pipelined: raw is requests one after another on the connection,
	// the last closing it, and every answer is read (sendAll).
	pipelined bool
}

// decisionRaw is a decision request to gateway's convention for the
// original request method uri host (each left out when empty), with the
// header lines extra: for envoy the original target follows the decision
// path and the host is the decision request's own.
func decisionRaw(gateway, method, uri, host, extra string) string {
	head := "GET /.authgate/decide HTTP/1.1\r\nHost: gw\r\n"
	line := func(name, value string) string {
		if value == "" {
			return ""
		}
		return name + ": " + value + "\r\n"
	}
	switch gateway {
	case "nginx", "untrusted":
		head += line("X-Original-Method", method) + line("X-Original-URI", uri) + line("X-Original-Host", host)
	case "caddy":
		head += line("X-Forwarded-Method", method) + line("X-Forwarded-Uri", uri) + line("X-Forwarded-Host", host)
	case "ingress-nginx":
		u := ""
		if uri != "" {
			u = "http://" + host + uri
		}
		head += line("X-Original-Method", method) + line("X-Original-URL", u)
	case "envoy":
		head = fmt.Sprintf("%s /.authgate/decide%s HTTP/1.1\r\nHost: %s\r\n", method, uri, host)
	}
	return head + extra + "\r\n"
}

// decisionRequests are the classes of TestDecisionEnginesAgree, and the
// seeds of FuzzDecisionEngines: each convention's description of the
// original request plainly and oddly, the original URI, the credential,
// the decision request itself.
func decisionRequests(t testing.TB, key string) map[string][]decisionRequest {
	valid := "Authorization: Bearer " + token(t, nil) + "\r\n"
	expired := "Authorization: Bearer " + token(t, map[string]any{"exp": time.Now().Add(-time.Hour).Unix()}) + "\r\n"
	noScope := "Authorization: Bearer " + token(t, map[string]any{"scope": "write"}) + "\r\n"
	classes := map[string][]decisionRequest{}
	add := func(class, name, gateway, raw string) {
		classes[class] = append(classes[class], decisionRequest{name: name, gateway: gateway, raw: raw})
	}
	pipelined := func(name, gateway, raw string) {
		classes["pipelined"] = append(classes["pipelined"], decisionRequest{name: name, gateway: gateway, raw: raw, pipelined: true})
	}
	for _, gw := range decisionGateways {
		d := func(method, uri, host, extra string) string { return decisionRaw(gw, method, uri, host, extra) }
		add("credentials", "valid", gw, d("GET", "/v1/a", "api.test", valid))
		add("credentials", "valid, host route", gw, d("GET", "/hosted/a", "api.test", valid))
		add("credentials", "valid, another host", gw, d("GET", "/hosted/a", "other.test", valid))
		add("credentials", "missing", gw, d("GET", "/v1/a", "api.test", ""))
		add("credentials", "expired", gw, d("GET", "/v1/a", "api.test", expired))
		add("credentials", "scope lacking", gw, d("GET", "/v1/a", "api.test", noScope))
		add("credentials", "malformed token", gw, d("GET", "/v1/a", "api.test", "Authorization: Bearer abc.def\r\n"))
		add("credentials", "wrong scheme", gw, d("GET", "/v1/a", "api.test", "Authorization: Basic YTpi\r\n"))
		add("credentials", "scheme in lower case", gw, d("GET", "/v1/a", "api.test", strings.Replace(valid, "Bearer", "bearer", 1)))
		add("credentials", "Authorization twice", gw, d("GET", "/v1/a", "api.test", valid+valid))
		add("credentials", "API key", gw, d("GET", "/keyed/a", "api.test", "X-API-Key: "+key+"\r\n"))
		add("credentials", "API key, Authorization", gw, d("GET", "/keyed/a", "api.test", "Authorization: ApiKey "+key+"\r\n"))
		add("credentials", "API key, unknown", gw, d("GET", "/keyed/a", "api.test", "X-API-Key: "+key[:len(key)-4]+"AAAA\r\n"))
		add("credentials", "API key, twice", gw, d("GET", "/keyed/a", "api.test", "X-API-Key: "+key+"\r\nX-API-Key: "+key+"\r\n"))
		add("credentials", "API key, with '_'", gw, d("GET", "/keyed/a", "api.test", "X_API_Key: "+key+"\r\n"))
		add("credentials", "API key and a token", gw, d("GET", "/keyed/a", "api.test", "X-API-Key: "+key+"\r\n"+valid))
		add("credentials", "API key where a token is asked", gw, d("GET", "/v1/a", "api.test", "X-API-Key: "+key+"\r\n"))
		add("credentials", "nothing, two schemes", gw, d("GET", "/keyed/a", "api.test", ""))
		add("credentials", "public path", gw, d("GET", "/public/a", "api.test", ""))
		add("credentials", "no route", gw, d("GET", "/nowhere", "api.test", valid))
		add("credentials", "POST", gw, d("POST", "/v1/a", "api.test", valid))
		add("credentials", "OPTIONS preflight", gw, d("OPTIONS", "/v1/a", "api.test", "Origin: https://app.test\r\nAccess-Control-Request-Method: GET\r\n"))
		add("credentials", "status only", gw, d("GET", "/v1/a", "api.test", "Authgate-Decision: status\r\n"))
		add("credentials", "status only, allowed", gw, d("GET", "/v1/a", "api.test", "Authgate-Decision: status\r\n"+valid))
		add("credentials", "status only, other value", gw, d("GET", "/v1/a", "api.test", "Authgate-Decision: STATUS\r\n"))
		add("credentials", "identity header sent", gw, d("GET", "/v1/a", "api.test", valid+"X-Authgate-Subject: admin\r\n"))

		add("original uri", "fragment", gw, d("GET", "/v1/a#f", "api.test", valid))
		add("original uri", "fragment after a query", gw, d("GET", "/v1/a?x=1#f", "api.test", valid))
		add("original uri", "dot segment", gw, d("GET", "/v1/./a", "api.test", valid))
		add("original uri", "dot-dot out of public", gw, d("GET", "/public/../v1/a", "api.test", ""))
		add("original uri", "encoded dot-dot", gw, d("GET", "/public/%2e%2e/v1/a", "api.test", ""))
		add("original uri", "encoded slash", gw, d("GET", "/public/a%2Fb", "api.test", ""))
		add("original uri", "encoded slash, lower case", gw, d("GET", "/public/a%2fb", "api.test", ""))
		add("original uri", "empty segment", gw, d("GET", "/public//a", "api.test", ""))
		add("original uri", "backslash", gw, d("GET", "/public/a\\b", "api.test", ""))
		add("original uri", "query", gw, d("GET", "/public/a?x=1&y=%2F", "api.test", ""))
		add("original uri", "query with ';'", gw, d("GET", "/public/a?x=1;y=2", "api.test", ""))
		add("original uri", "bad escape", gw, d("GET", "/public/a%zz", "api.test", ""))
		add("original uri", "raw UTF-8", gw, d("GET", "/public/caf\xc3\xa9", "api.test", ""))
		add("original uri", "encoded NUL", gw, d("GET", "/public/a%00", "api.test", ""))
		add("original uri", "lower-case method", gw, d("get", "/public/a", "api.test", ""))
		add("original uri", "odd method", gw, d("G(T", "/public/a", "api.test", ""))
		add("original uri", "host with a port", gw, d("GET", "/hosted/a", "api.test:443", valid))
		add("original uri", "host in upper case", gw, d("GET", "/hosted/a", "API.TEST", valid))

		add("decision request", "HTTP/1.0", gw, strings.Replace(d("GET", "/public/a", "api.test", ""), "HTTP/1.1", "HTTP/1.0", 1))
		add("decision request", "HTTP/1.0 kept alive", gw, strings.Replace(d("GET", "/v1/a", "api.test", "Connection: keep-alive\r\n"), "HTTP/1.1", "HTTP/1.0", 1))
		add("decision request", "closed", gw, d("GET", "/v1/a", "api.test", "Connection: close\r\n"))
		add("decision request", "a body", gw, d("GET", "/v1/a", "api.test", valid+"Content-Length: 5\r\n")+"hello")
		add("decision request", "a chunked body", gw, d("GET", "/v1/a", "api.test", valid+"Transfer-Encoding: chunked\r\n")+"5\r\nhello\r\n0\r\n\r\n")
		add("decision request", "a body, refused", gw, d("GET", "/v1/a", "api.test", "Content-Length: 5\r\n")+"hello")
		add("decision request", "Expect: 100-continue", gw, d("GET", "/v1/a", "api.test", valid+"Expect: 100-continue\r\nContent-Length: 5\r\n")+"hello")
		add("decision request", "absolute form", gw, strings.Replace(d("GET", "/v1/a", "api.test", valid), " /.authgate/decide", " http://gw/.authgate/decide", 1))
		add("decision request", "dot segment in the decision path", gw, strings.Replace(d("GET", "/v1/a", "api.test", valid), "/.authgate/decide", "/.authgate/./decide", 1))
		add("decision request", "dot-dot into the decision path", gw, strings.Replace(d("GET", "/v1/a", "api.test", valid), "/.authgate/decide", "/x/../.authgate/decide", 1))
		add("decision request", "empty segment before the decision path", gw, strings.Replace(d("GET", "/v1/a", "api.test", valid), "/.authgate/decide", "//.authgate/decide", 1))
		add("decision request", "decision path in upper case", gw, strings.Replace(d("GET", "/v1/a", "api.test", valid), "/.authgate/decide", "/.AUTHGATE/DECIDE", 1))
		add("decision request", "POST", gw, "POST"+strings.TrimPrefix(d("GET", "/v1/a", "api.test", valid+"Content-Length: 0\r\n"), "GET"))
		add("decision request", "status only, HEAD", gw, "HEAD"+strings.TrimPrefix(d("GET", "/v1/a", "api.test", "Authgate-Decision: status\r\n"), "GET"))
		add("decision request", "status only, lower-case name", gw, d("GET", "/v1/a", "api.test", "authgate-decision: status\r\n"))
		add("decision request", "status only, with '_'", gw, d("GET", "/v1/a", "api.test", "Authgate_Decision: status\r\n"))
		add("decision request", "status only, twice", gw, d("GET", "/v1/a", "api.test", "Authgate-Decision: status\r\nAuthgate-Decision: status\r\n"))
		add("decision request", "status only, forbidden", gw, d("GET", "/v1/a", "api.test", "Authgate-Decision: status\r\n"+noScope))
		add("decision request", "X-Forwarded-For", gw, d("GET", "/v1/a", "api.test", "X-Forwarded-For: 192.0.2.1\r\nX-Real-IP: 192.0.2.1\r\n"))
		add("decision request", "Request-Id of the proxy's", gw, d("GET", "/v1/a", "api.test", "Request-Id: abc-123\r\n"))
		add("decision request", "CTL in a header value", gw, d("GET", "/public/a\x01", "api.test", ""))
		add("decision request", "space in the original URI", gw, d("GET", "/public/a b", "api.test", ""))
		add("decision request", "lone '%' in the original URI", gw, d("GET", "/public/a%", "api.test", ""))
		add("decision request", "long original URI", gw, d("GET", "/public/"+strings.Repeat("a", 6000), "api.test", ""))
		add("decision request", "host as a list", gw, d("GET", "/hosted/a", "api.test, other.test", valid))
		add("decision request", "identity header, lower case", gw, d("GET", "/v1/a", "api.test", valid+"x-authgate-subject: admin\r\n"))
		add("decision request", "identity header, with '_'", gw, d("GET", "/v1/a", "api.test", valid+"X_Authgate_Subject: admin\r\n"))
		add("decision request", "two refused headers", gw, d("GET", "/v1/a", "api.test", valid+"X-Authgate-Subject: admin\r\nX-Rewrite-URL: /public/a\r\nx_api_key: k\r\n"))
		if gw != "envoy" { // the decision request's own Host: fastParserRefuses
			add("decision request", "odd port", gw, d("GET", "/hosted/a", "api.test:x", valid))
		}
		add("decision request", "empty method", gw, d(" ", "/public/a", "api.test", ""))
		pipelined("a body, then a decision", gw, d("GET", "/v1/a", "api.test", valid+"Content-Length: 5\r\n")+"hello"+d("GET", "/v1/a", "api.test", valid+"Connection: close\r\n"))
		pipelined("a refused body, then a decision", gw, d("GET", "/v1/a", "api.test", "Content-Length: 5\r\n")+"hello"+d("GET", "/v1/a", "api.test", valid+"Connection: close\r\n"))
		pipelined("a chunked body, then a decision", gw, d("GET", "/v1/a", "api.test", valid+"Transfer-Encoding: chunked\r\n")+"5\r\nhello\r\n0\r\n\r\n"+d("GET", "/v1/a", "api.test", valid+"Connection: close\r\n"))
		pipelined("Expect, refused, then a decision", gw, d("GET", "/v1/a", "api.test", "Expect: 100-continue\r\nContent-Length: 5\r\n")+d("GET", "/v1/a", "api.test", valid+"Connection: close\r\n"))
		pipelined("status only, then a full answer", gw, d("GET", "/v1/a", "api.test", "Authgate-Decision: status\r\n")+d("GET", "/v1/a", "api.test", "Connection: close\r\n"))
		pipelined("HTTP/1.0 kept alive, then a decision", gw, strings.Replace(d("GET", "/v1/a", "api.test", valid+"Connection: keep-alive\r\n"), "HTTP/1.1", "HTTP/1.0", 1)+d("GET", "/v1/a", "api.test", "Connection: close\r\n"))
		add("decision request", "HEAD", gw, "HEAD"+strings.TrimPrefix(d("GET", "/v1/a", "api.test", valid), "GET"))
	}
	// The spellings of each convention's own headers, and of another's.
	spelled := map[string]string{
		"nginx":         "X-Original-URI: /v1/a\r\n",
		"caddy":         "X-Forwarded-Uri: /v1/a\r\n",
		"ingress-nginx": "X-Original-URL: http://api.test/v1/a\r\n",
	}
	for gw, line := range spelled {
		name, value, _ := strings.Cut(line, ": ")
		base := strings.Replace(decisionRaw(gw, "GET", "/v1/a", "api.test", ""), line, "", 1)
		with := func(lines string) string { return strings.Replace(base, "\r\n\r\n", "\r\n"+lines+"\r\n", 1) }
		add("spellings", "lower case", gw, with(strings.ToLower(name)+": "+value))
		add("spellings", "upper case", gw, with(strings.ToUpper(name)+": "+value))
		add("spellings", "with '_'", gw, with(strings.ReplaceAll(name, "-", "_")+": "+value))
		add("spellings", "twice", gw, with(line+line))
		add("spellings", "twice, two spellings", gw, with(line+strings.ToLower(name)+": "+value))
		add("spellings", "as a list", gw, with(name+": "+strings.TrimSuffix(value, "\r\n")+", /public/a\r\n"))
		add("spellings", "empty", gw, with(name+":\r\n"))
		add("spellings", "missing", gw, base)
		add("spellings", "space around the value", gw, with(name+":  \t"+value))
		add("spellings", "another convention's", gw, with(line+"X-Forwarded-Uri: /public/a\r\nX-Original-URI: /public/a\r\n"))
		add("spellings", "another convention's, lower case", gw, with(line+"x-forwarded-uri: /public/a\r\nx-original-uri: /public/a\r\n"))
		add("spellings", "method twice", gw, with(line+"X-Original-Method: GET\r\nX-Forwarded-Method: GET\r\n"))
		add("spellings", "method as a list", gw, strings.Replace(with(line), "Method: GET", "Method: GET, POST", 1))
		add("spellings", "path after the decision path", gw, strings.Replace(with(line), "/.authgate/decide", "/.authgate/decide/v1/a", 1))
		add("spellings", "query on the decision path", gw, strings.Replace(with(line), "/.authgate/decide", "/.authgate/decide?x=1", 1))
		add("spellings", "decision path with a slash", gw, strings.Replace(with(line), "/.authgate/decide", "/.authgate/decide/", 1))
		add("spellings", "encoded decision path", gw, strings.Replace(with(line), "/.authgate/decide", "/.authgate/%64ecide", 1))
		add("spellings", "original URI not a path", gw, with(name+": v1/a\r\n"))
		add("spellings", "original URI absolute", gw, with(name+": http://api.test/v1/a\r\n"))
	}
	for _, suffix := range []string{"/public/a?x=1", "/public/../v1/a", "/public/%2e%2e/v1/a", "/public//a", "/public/a%00", "/v1/a;x", "/public/a?x=1#f", "/public/a%zz"} {
		add("envoy suffix", suffix, "envoy", decisionRaw("envoy", "GET", suffix, "api.test", valid))
	}
	add("envoy suffix", "POST with a body", "envoy", decisionRaw("envoy", "POST", "/v1/a", "api.test", valid+"Content-Length: 5\r\n")+"hello")
	add("envoy suffix", "HEAD", "envoy", decisionRaw("envoy", "HEAD", "/v1/a", "api.test", valid))
	add("envoy suffix", "odd method", "envoy", decisionRaw("envoy", "PURGE", "/v1/a", "api.test", valid))
	add("envoy suffix", "another host", "envoy", decisionRaw("envoy", "GET", "/hosted/a", "other.test", valid))
	add("envoy suffix", "host with a port", "envoy", decisionRaw("envoy", "GET", "/hosted/a", "api.test:8080", valid))
	add("envoy suffix", "absolute form, another host", "envoy", strings.Replace(decisionRaw("envoy", "GET", "/hosted/a", "api.test", valid), " /.authgate", " http://other.test/.authgate", 1))
	add("envoy suffix", "OPTIONS preflight", "envoy", decisionRaw("envoy", "OPTIONS", "/v1/a", "api.test", "Origin: https://app.test\r\nAccess-Control-Request-Method: GET\r\n"))
	add("spellings", "envoy, encoded slash in the suffix", "envoy", decisionRaw("envoy", "GET", "/public%2Fa", "api.test", ""))
	add("spellings", "envoy, nothing after the decision path", "envoy", "GET /.authgate/decide HTTP/1.1\r\nHost: api.test\r\n\r\n")
	add("spellings", "envoy, nginx's headers", "envoy", decisionRaw("envoy", "GET", "/public/a", "api.test", "X-Original-URI: /v1/a\r\n"))
	add("spellings", "envoy, no Host on HTTP/1.0", "envoy", "GET /.authgate/decide/hosted/a HTTP/1.0\r\n"+valid+"\r\n")
	add("spellings", "ingress-nginx, https", "ingress-nginx", strings.Replace(decisionRaw("ingress-nginx", "GET", "/v1/a", "api.test", valid), "http://", "https://", 1))
	add("spellings", "ingress-nginx, userinfo", "ingress-nginx", decisionRaw("ingress-nginx", "GET", "/v1/a", "u@api.test", valid))
	add("spellings", "ingress-nginx, no host", "ingress-nginx", decisionRaw("ingress-nginx", "GET", "/v1/a", "", valid))
	return classes
}

// TestDecisionEnginesAgree sends each decision request of
// decisionRequests to both engines: the same status, reason, answer
// header lines (names, counts and values, but Date and the value of
// Request-Id, which carry the challenges' parameters) and the same
// connection handling.
func TestDecisionEnginesAgree(t *testing.T) {
	gateways, key := startDecisionEngines(t)
	for class, requests := range decisionRequests(t, key) {
		t.Run(class, func(t *testing.T) {
			for _, c := range requests {
				t.Run(c.gateway+"/"+c.name, func(t *testing.T) {
					if fastParserRefuses([]byte(c.raw)) {
						t.Fatal("a documented difference of the parsers (fastParserRefuses): not a decision case")
					}
					es, send := gateways[c.gateway], gateways[c.gateway].send
					if c.pipelined {
						send = es.sendAll
					}
					std := send(t, config.EngineStandard, []byte(c.raw), 5*time.Second)
					fast := send(t, config.EngineFast, []byte(c.raw), 5*time.Second)
					if !std.answered || std != fast {
						t.Errorf("standard: %+v\nfast:     %+v", std, fast)
					}
				})
			}
		})
	}
}

// FuzzDecisionEngines sends the same decision request bytes to both
// engines of one gateway of startDecisionEngines (gateway picks it) and
// requires what FuzzEngines requires (enginesDiffer) and, where both
// answers are the gateway's own (an allow, or a refusal with a reason),
// the same header lines and connection handling. The seeds are
// TestDecisionEnginesAgree's requests, each case once, to the first
// gateway it is made for (the fuzzer changes the gateway too): the
// baseline stays short of CI's 10 s.
func FuzzDecisionEngines(f *testing.F) {
	gateways, key := startDecisionEngines(f)
	for _, requests := range decisionRequests(f, key) {
		seeded := map[string]bool{}
		for _, c := range requests {
			if !seeded[c.name] {
				seeded[c.name] = true
				f.Add(uint8(slices.Index(decisionGateways, c.gateway)), []byte(c.raw))
			}
		}
	}
	f.Fuzz(func(t *testing.T, gateway uint8, raw []byte) {
		if fastParserRefuses(raw) {
			return // a documented difference (TestEnginesAgreeOnOddRequests)
		}
		es := gateways[decisionGateways[int(gateway)%len(decisionGateways)]]
		if d := es.judge(t, raw, decisionDiffer); d != "" {
			t.Fatal(d)
		}
	})
}

// decisionDiffer is enginesDiffer, and the answers' header lines and
// connection handling where both are the gateway's own.
func decisionDiffer(raw []byte, std, fast engineOutcome) string {
	own := func(o engineOutcome) bool { return o.answered && (o.reason != "" || o.status < http.StatusBadRequest) }
	if d := enginesDiffer(raw, std, fast); d != "" || !own(std) || !own(fast) || std.head == fast.head {
		return d
	}
	return fmt.Sprintf("answer %d %q:\nstandard: %s\nfast:     %s", std.status, std.reason, std.head, fast.head)
}
