package admin_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/authgate/authgate/admin"
	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/credential/apikey"
	"github.com/authgate/authgate/internal/app"
	"github.com/authgate/authgate/internal/eventually"
	"github.com/authgate/authgate/internal/gatewaytest"
	"github.com/authgate/authgate/internal/tokentest"
	"github.com/authgate/authgate/reason"
	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/store/sqlite"
)

const issuerURL = "https://issuer.test"

func token(t testing.TB, change map[string]any) string {
	return tokentest.Sign(t, map[string]any{"iss": issuerURL, "aud": "api", "sub": "alice", "scope": "read"}, change)
}

const testConfig = `
realm: api
environment: live
failure_limit: {per_credential: 1000, per_client: 1000, window: 1m}
data_dir: %s
issuers:
  - name: main
    issuer: https://issuer.test
    audiences: [api]
    jwks_url: %s
    jwks_min_refetch: 1s
routes:
  - {name: read, path: /v1/data, methods: [GET], scopes_all: [read], upstream: "%[3]s"}
  - {name: keyed, path: /keyed/*, schemes: [apikey, basic], scopes_all: [read], upstream: "%[3]s"}
`

// env is an authgate (gateway and admin listener) built by the
// composition root, with a real upstream and a real JWKS server.
type env struct {
	t        *testing.T
	app      *app.App
	gw       *httptest.Server
	admin    *httptest.Server
	adminKey string
}

func newEnv(t *testing.T) *env { return newEnvWith(t, "") }

// newEnvWith is newEnv with extra configuration lines.
func newEnvWith(t *testing.T, extra string) *env {
	jwks := tokentest.JWKS()
	js := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(jwks) }))
	t.Cleanup(js.Close)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "upstream") }))
	t.Cleanup(up.Close)
	doc := fmt.Sprintf(testConfig, t.TempDir(), js.URL, up.URL) + extra
	a, _ := gatewaytest.NewApp(t, doc)
	e := &env{t: t, app: a, gw: httptest.NewServer(a.Handler()), admin: httptest.NewServer(a.AdminHandler())}
	t.Cleanup(e.gw.Close)
	t.Cleanup(e.admin.Close)
	e.adminKey, _ = e.create(store.KindAdmin)
	return e
}

func (e *env) key(scopes ...string) (string, store.Key) { return e.create(store.KindAPI, scopes...) }

func (e *env) create(kind string, scopes ...string) (string, store.Key) {
	e.t.Helper()
	k, key, err := apikey.Create(context.Background(), e.app.Store(), apikey.Spec{Name: "t", Kind: kind, Environment: "live", Scopes: scopes}, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return key, k
}

// do sends a request to the gateway and returns its status and reason.
func (e *env) do(method, path string, headers ...string) (int, string) {
	e.t.Helper()
	status, _, body := send(e.t, e.gw.URL, method, path, nil, headers...)
	var p api.Problem
	json.Unmarshal(body, &p)
	return status, p.Reason
}

func (e *env) call(method, path string, body any, headers ...string) (int, http.Header, []byte) {
	e.t.Helper()
	return send(e.t, e.admin.URL, method, path, body, headers...)
}

func send(t *testing.T, base, method, path string, body any, headers ...string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, out
}

func (e *env) scrape() map[string]*dto.MetricFamily {
	e.t.Helper()
	_, _, body := e.call("GET", "/metrics", nil)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		e.t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// value returns the value of the series of name whose labels include want.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
	for _, m := range f.Metric {
		ok := true
		for k, v := range want {
			found := false
			for _, l := range m.Label {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			ok = ok && found
		}
		if !ok {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return 0
}

func TestMetricsMoveByReason(t *testing.T) {
	e := newEnv(t)
	good := token(t, nil)
	expired := token(t, map[string]any{"exp": time.Now().Add(-time.Hour).Unix()})
	e.do("GET", "/v1/data", "Authorization", "Bearer "+good) // warm the key set
	before := e.scrape()
	e.do("GET", "/v1/data", "Authorization", "Bearer "+expired)
	e.do("GET", "/v1/data", "Authorization", "Bearer "+expired)
	e.do("GET", "/v1/data")
	e.do("GET", "/v1/data", "Authorization", "Bearer "+good)
	e.do("GET", "/nowhere")
	e.do("GET", api.HealthzPath)
	after := e.scrape()
	delta := func(name string, labels map[string]string) float64 {
		return value(after, name, labels) - value(before, name, labels)
	}
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"authgate_requests_total", map[string]string{"route": "read", "outcome": "denied", "reason": "token_expired"}, 2},
		{"authgate_requests_total", map[string]string{"route": "read", "outcome": "denied", "reason": "credentials_missing"}, 1},
		{"authgate_requests_total", map[string]string{"route": "read", "outcome": "allowed", "reason": "none"}, 1},
		{"authgate_requests_total", map[string]string{"route": "_unmatched", "outcome": "denied", "reason": "route_not_found"}, 1},
		{"authgate_requests_total", map[string]string{"route": "_internal", "outcome": "allowed", "reason": "none"}, 1},
		// the good token's repeat, and the expired token's (its refusal is
		// remembered too)
		{"authgate_token_cache_lookups_total", map[string]string{"result": "hit"}, 2},
		{"authgate_token_clock_skew_seconds", map[string]string{"direction": "behind"}, 1},
		{"authgate_authentication_duration_seconds", map[string]string{"scheme": "bearer"}, 3},
		{"authgate_upstream_request_duration_seconds", map[string]string{"route": "read", "code_class": "2xx"}, 1},
	}
	for _, c := range checks {
		if got := delta(c.name, c.labels); got != c.want {
			t.Errorf("%s%v moved by %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if value(after, "authgate_jwks_keys", map[string]string{"issuer": "main"}) != 1 ||
		value(after, "authgate_jwks_refreshes_total", map[string]string{"issuer": "main", "result": "ok"}) < 1 {
		t.Error("JWKS series missing")
	}
	if value(after, "authgate_config_last_reload_successful", nil) != 1 || value(after, "authgate_config_last_reload_success_timestamp_seconds", nil) == 0 {
		t.Error("configuration reload series missing")
	}
	for _, f := range after {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if l.GetName() == "subject" || l.GetName() == "fingerprint" || l.GetName() == "path" {
					t.Errorf("unbounded label %s on %s", l.GetName(), f.GetName())
				}
			}
		}
	}
}

// TestMetricsFollowConventions lints the exposition with Prometheus's own
// rules (promlint), after requests that touch every series authgate
// writes, and checks what promlint does not: no empty label value, and
// authgate_build_info naming the build.
func TestMetricsFollowConventions(t *testing.T) {
	e := newEnv(t)
	e.do("GET", "/v1/data", "Authorization", "Bearer "+token(t, nil))
	e.do("GET", "/v1/data")
	key, _ := e.key("read")
	e.do("GET", "/v1/data", "X-API-Key", key)
	_, _, body := e.call("GET", "/metrics", nil)
	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	fams := e.scrape()
	for name, f := range fams {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if l.GetValue() == "" {
					t.Errorf("%s has an empty %s label", name, l.GetName())
				}
			}
		}
	}
	info := fams["authgate_build_info"]
	if info == nil || len(info.Metric) != 1 || info.Metric[0].Gauge.GetValue() != 1 {
		t.Fatalf("authgate_build_info: %v", info)
	}
	labels := map[string]string{}
	for _, l := range info.Metric[0].Label {
		labels[l.GetName()] = l.GetValue()
	}
	if labels["version"] == "" || labels["revision"] == "" || labels["goversion"] != runtime.Version() {
		t.Errorf("authgate_build_info labels %v", labels)
	}
}

func TestAdminRejectsLikeTheGateway(t *testing.T) {
	e := newEnv(t)
	reader, _ := e.key("read")
	scoped, _ := e.key(api.AdminScope) // an API key with scope admin is still an API key
	unknown := "ag_live_" + strings.Repeat("A", 49)
	tests := []struct {
		name    string
		headers []string
		status  int
		reason  string
		// on is the challenge that carries error and scope.
		on, errArg, scope string
	}{
		{"no credential", nil, 401, "credentials_missing", "", "", ""},
		{"malformed key", []string{"X-API-Key", unknown}, 401, "api_key_malformed", "ApiKey", "invalid_token", ""},
		{"malformed key as Bearer", []string{"Authorization", "Bearer " + unknown}, 401, "api_key_malformed", "Bearer", "invalid_token", ""},
		{"an API key", []string{"X-API-Key", reader}, 401, "credential_wrong_kind", "ApiKey", "invalid_token", ""},
		{"an API key with scope admin", []string{"X-API-Key", scoped}, 401, "credential_wrong_kind", "ApiKey", "invalid_token", ""},
		{"a JWT with scope admin from the API's issuer", []string{"Authorization", "Bearer " + token(t, map[string]any{"scope": "admin"})}, 401, "scheme_unsupported", "", "", ""},
		{"admin", []string{"X-API-Key", e.adminKey}, 200, "", "", "", ""},
		{"admin as Bearer", []string{"Authorization", "Bearer " + e.adminKey}, 200, "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := e.call("GET", "/admin/v1/keys", nil, tt.headers...)
			if status != tt.status {
				t.Fatalf("status %d: %s", status, body)
			}
			if tt.reason == "" {
				return
			}
			var p api.Problem
			json.Unmarshal(body, &p)
			cs, err := challenge.Parse(h.Values("WWW-Authenticate")...)
			if p.Reason != tt.reason || p.Type != api.ProblemType("")+tt.reason || err != nil || len(cs) != 2 {
				t.Fatalf("reason %q type %q challenges %v %v", p.Reason, p.Type, cs, err)
			}
			for _, c := range cs {
				want, wantScope := "", ""
				if strings.EqualFold(c.Scheme, tt.on) {
					want, wantScope = tt.errArg, tt.scope
				}
				if got, _ := c.Get("error"); got != want {
					t.Fatalf("%s error=%q, want %q", c.Scheme, got, want)
				}
				if got, _ := c.Get("scope"); got != wantScope {
					t.Fatalf("%s scope=%q, want %q", c.Scheme, got, wantScope)
				}
			}
		})
	}
	// An admin key opens nothing of the API itself.
	if status, reason := e.do("GET", "/keyed/a", "X-API-Key", e.adminKey); status != 401 || reason != "credential_wrong_kind" {
		t.Fatalf("an admin key on an API route: %d %s", status, reason)
	}
}

// TestAdminIssuers: JWTs open the admin API only from the issuers
// admin.issuers names, and only with scope admin (or admin:read, which
// reads and changes nothing).
func TestAdminIssuers(t *testing.T) {
	e := newEnvWith(t, "admin: {listen: \"127.0.0.1:0\", issuers: [main]}\n")
	if status, _, body := e.call("GET", "/admin/v1/keys", nil, "Authorization", "Bearer "+token(t, map[string]any{"scope": "admin"})); status != 200 {
		t.Fatalf("an admin issuer's token with scope admin: %d %s", status, body)
	}
	reader := "Bearer " + token(t, map[string]any{"scope": "admin:read"})
	if status, _, body := e.call("GET", "/admin/v1/keys", nil, "Authorization", reader); status != 200 {
		t.Fatalf("an admin issuer's token with scope admin:read reading: %d %s", status, body)
	}
	if status, _, body := e.call("POST", "/admin/v1/keys", api.KeyCreate{Name: "x", Environment: "live"}, "Authorization", reader); status != 403 || !strings.Contains(string(body), `"forbidden"`) {
		t.Fatalf("an admin issuer's token with scope admin:read changing: %d %s", status, body)
	}
	status, _, body := e.call("GET", "/admin/v1/keys", nil, "Authorization", "Bearer "+token(t, map[string]any{"scope": "read"}))
	var p api.Problem
	json.Unmarshal(body, &p)
	if status != 403 || p.Reason != "insufficient_scope" {
		t.Fatalf("an admin issuer's token without scope admin: %d %s", status, body)
	}
}

func TestAdminKeysUsersAndFeed(t *testing.T) {
	e := newEnv(t)
	auth := []string{"X-API-Key", e.adminKey}
	status, _, body := e.call("POST", "/admin/v1/keys", map[string]any{"name": "ci", "environment": "live", "scopes": []string{"read"}}, auth...)
	var created api.KeyView
	json.Unmarshal(body, &created)
	if status != 201 || !strings.HasPrefix(created.Key, "ag_live_") {
		t.Fatalf("create: %d %s", status, body)
	}
	if status, _ := e.do("GET", "/keyed/a", "X-API-Key", created.Key); status != 200 {
		t.Fatalf("new key: %d", status)
	}
	if status, _, body := e.call("GET", "/admin/v1/keys", nil, auth...); status != 200 || strings.Contains(string(body), created.Key[8:30]) {
		t.Fatalf("list leaks or fails: %d", status)
	}
	if status, _, _ := e.call("POST", "/admin/v1/keys/"+created.ID+"/revoke", nil, auth...); status != 200 {
		t.Fatalf("revoke: %d", status)
	}
	if _, reason := e.do("GET", "/keyed/a", "X-API-Key", created.Key); reason != "credential_revoked" {
		t.Fatalf("after revoke: %s", reason)
	}
	if status, _, body := e.call("GET", "/admin/v1/revocations", nil, auth...); status != 200 || !strings.Contains(string(body), created.ID) {
		t.Fatalf("revocations: %d %s", status, body)
	}
	if status, _, body := e.call("POST", "/admin/v1/users", map[string]any{"name": "bob", "password": "correct horse", "scopes": []string{"read"}}, auth...); status != 201 {
		t.Fatalf("add user: %d %s", status, body)
	}
	problems := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		reason string
	}{
		{"duplicate user", "POST", "/admin/v1/users", map[string]any{"name": "bob", "password": "correct horse"}, 409, "already_exists"},
		{"unknown field", "POST", "/admin/v1/users", map[string]any{"name": "x", "password": "pw", "extra": 1}, 400, "request_invalid"},
		{"name with a colon", "POST", "/admin/v1/users", map[string]any{"name": "a:b", "password": "correct horse"}, 400, "request_invalid"},
		{"short password", "POST", "/admin/v1/users", map[string]any{"name": "carol", "password": "short"}, 400, "request_invalid"},
		{"key without name", "POST", "/admin/v1/keys", map[string]any{"name": "", "environment": "live"}, 400, "request_invalid"},
		{"key with a bad scope", "POST", "/admin/v1/keys", map[string]any{"name": "x", "environment": "live", "scopes": []string{"a b"}}, 400, "request_invalid"},
		{"revoke unknown key", "POST", "/admin/v1/keys/nosuch/revoke", nil, 404, "not_found"},
		{"bad grace", "POST", "/admin/v1/keys/" + created.ID + "/rotate", map[string]any{"grace": "soon"}, 400, "request_invalid"},
		{"no such endpoint", "GET", "/admin/v1/nothing", nil, 404, "route_not_found"},
		{"bad since", "GET", "/admin/v1/failures?since=yesterday", nil, 400, "request_invalid"},
	}
	for _, p := range problems {
		status, h, body := e.call(p.method, p.path, p.body, auth...)
		var pr api.Problem
		json.Unmarshal(body, &pr)
		if status != p.status || pr.Reason != p.reason || pr.Status != status || pr.Type != api.ProblemType("")+p.reason ||
			h.Get("Content-Type") != "application/problem+json" || pr.RequestID == "" {
			t.Errorf("%s: %d %s", p.name, status, body)
		}
	}
	if status, _, _ := e.call("DELETE", "/admin/v1/users/bob", nil, auth...); status != 204 {
		t.Fatalf("remove: %d", status)
	}

	// The failure feed: filters, summary, stream, and never a secret.
	stream, cancel := e.stream(t, "/admin/v1/failures/stream?reason=token_expired")
	defer cancel()
	expired := token(t, map[string]any{"exp": time.Now().Add(-time.Hour).Unix()})
	e.do("GET", "/v1/data", "Authorization", "Bearer "+expired)
	e.do("GET", "/keyed/a", "X-API-Key", created.Key)
	select {
	case ev := <-stream:
		if !strings.Contains(ev, `"reason":"token_expired"`) {
			t.Fatalf("stream event %s", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event on the stream")
	}
	status, _, body = e.call("GET", "/admin/v1/failures?reason=credential_revoked", nil, auth...)
	var fs []api.Failure
	json.Unmarshal(body, &fs)
	if status != 200 || len(fs) != 2 || fs[0].Fingerprint == "" {
		t.Fatalf("filtered failures: %d %s", status, body)
	}
	_, _, all := e.call("GET", "/admin/v1/failures", nil, auth...)
	for _, s := range []string{expired, created.Key, e.adminKey} {
		for i := 0; i+8 <= len(s); i++ {
			if bytes.Contains(all, []byte(s[i:i+8])) {
				t.Fatal("the failure feed holds a piece of a secret")
			}
		}
	}
	_, _, sum := e.call("GET", "/admin/v1/failures/summary?minutes=5", nil, auth...)
	var summary api.FailureSummary
	json.Unmarshal(sum, &summary)
	if summary.ByReason["token_expired"] != 1 || summary.ByReason["credential_revoked"] != 2 {
		t.Fatalf("summary %s", sum)
	}
}

func (e *env) stream(t *testing.T, path string) (<-chan string, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.admin.URL+path, nil)
	req.Header.Set("X-API-Key", e.adminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("stream: %v %v", err, resp)
	}
	out := make(chan string, 16)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				out <- data
			}
		}
	}()
	return out, cancel
}

func TestExplainHasNoSideEffects(t *testing.T) {
	e := newEnv(t)
	auth := []string{"X-API-Key", e.adminKey}
	wrong := "ag_live_" + strings.Repeat("B", 49)
	for range 30 {
		_, _, body := e.call("POST", "/admin/v1/explain", api.ExplainRequest{Method: "GET", Path: "/keyed/a", APIKey: wrong}, auth...)
		var x api.Explanation
		json.Unmarshal(body, &x)
		if x.Reason != "api_key_malformed" || x.Status != 401 {
			t.Fatalf("explain: %s", body)
		}
	}
	key, k := e.key("read")
	_, _, body := e.call("POST", "/admin/v1/explain", api.ExplainRequest{Method: "GET", Path: "/keyed/a", APIKey: key}, auth...)
	var x api.Explanation
	json.Unmarshal(body, &x)
	if x.Status != 200 || x.Identity == nil || x.Identity.Subject != "apikey:"+k.ID {
		t.Fatalf("explain good key: %s", body)
	}
	if _, _, body := e.call("GET", "/admin/v1/failures", nil, auth...); strings.Contains(string(body), "api_key_malformed") {
		t.Fatal("explain runs reached the failure feed")
	}
	// Closing the app writes pending last-used times: none may be there.
	e.app.Close()
	st, err := sqlite.Open(context.Background(), e.app.Config().DataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got, _ := st.KeyByID(context.Background(), k.ID); !got.LastUsed.IsZero() {
		t.Fatal("explain recorded a use of the key")
	}
}

// TestOpenAPIDescribesEveryRoute fetches the description without a
// credential, validates it against the OpenAPI 3.1 schema published by
// the OpenAPI Initiative (admin/testdata), compiles every component schema
// as JSON Schema 2020-12, and checks it both ways against the routes.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	e := newEnv(t)
	status, _, body := e.call("GET", "/admin/v1/openapi.json", nil)
	if status != 200 {
		t.Fatalf("openapi.json without a credential: %d %s", status, body)
	}
	var raw any
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	oas, err := os.Open("testdata/oas-3.1-schema-2022-10-07.json")
	if err != nil {
		t.Fatal(err)
	}
	defer oas.Close()
	oasDoc, err := jsonschema.UnmarshalJSON(oas)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("https://spec.openapis.org/oas/3.1/schema/2022-10-07", oasDoc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("https://spec.openapis.org/oas/3.1/schema/2022-10-07")
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(raw); err != nil {
		t.Fatalf("not a valid OpenAPI 3.1 document: %v", err)
	}
	// Every schema the document holds is itself valid JSON Schema.
	components := raw.(map[string]any)["components"].(map[string]any)["schemas"].(map[string]any)
	sc := jsonschema.NewCompiler()
	if err := sc.AddResource("mem://admin.json", raw); err != nil {
		t.Fatal(err)
	}
	for name := range components {
		if _, err := sc.Compile("mem://admin.json#/components/schemas/" + name); err != nil {
			t.Errorf("schema %s: %v", name, err)
		}
	}
	var doc struct {
		OpenAPI    string                               `json:"openapi"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi: %v %s", err, body[:min(len(body), 200)])
	}
	if described := len(doc.Paths["/admin/v1/keys"]); described != 2 {
		t.Errorf("/admin/v1/keys has %d operations described, want GET and POST", described)
	}
	for _, ep := range admin.Routes() {
		if doc.Paths[api.AdminPrefix+ep.Path][strings.ToLower(ep.Method)] == nil {
			t.Errorf("%s %s is served but not described", ep.Method, ep.Path)
		}
		if status, _, _ := e.call(ep.Method, api.AdminPrefix+strings.NewReplacer("{id}", "x", "{name}", "x").Replace(ep.Path), nil); status != 401 && !ep.Public {
			t.Errorf("%s %s without a credential: %d, want 401", ep.Method, ep.Path, status)
		}
	}
	described := 0
	for path, ops := range doc.Paths {
		for method, op := range ops {
			described++
			concrete := strings.NewReplacer("{id}", "nosuchid", "{name}", "nosuchuser").Replace(path)
			if strings.HasSuffix(path, "/stream") {
				_, cancel := e.stream(t, concrete) // fails the test unless it answers 200
				cancel()
				continue
			}
			_, _, answer := e.call(strings.ToUpper(method), concrete, nil, "X-API-Key", e.adminKey)
			if strings.Contains(string(answer), `"reason":"route_not_found"`) {
				t.Errorf("described %s %s does not exist", method, path)
			}
			responses, _ := op["responses"].(map[string]any)
			if strings.HasSuffix(path, "openapi.json") {
				continue
			}
			if responses["401"] == nil || responses["400"] == nil || len(responses) < 3 {
				t.Errorf("%s %s: responses not described: %v", method, path, responses)
			}
		}
	}
	if described < 14 {
		t.Errorf("%d operations described", described)
	}
	// Every schema named is there, and matches its Go type field for field.
	for _, name := range []string{"KeyView", "UserView", "Failure", "Explanation", "Check", "Identity", "Problem", "KeyCreate", "UserCreate"} {
		if doc.Components.Schemas[name] == nil {
			t.Errorf("schema %s missing", name)
		}
	}
	props, _ := doc.Components.Schemas["KeyView"]["properties"].(map[string]any)
	kv, _ := json.Marshal(api.KeyView{Expires: &time.Time{}, RevokedAt: &time.Time{}, LastUsed: &time.Time{}, ReplacedBy: "x", Key: "x", Quota: &api.Quota{}})
	var fields map[string]any
	json.Unmarshal(kv, &fields)
	if len(props) != len(fields) {
		t.Errorf("KeyView schema has %d properties, the type %d", len(props), len(fields))
	}
	for f := range fields {
		if props[f] == nil {
			t.Errorf("KeyView schema lacks %s", f)
		}
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	if status, _ := e.do("GET", api.HealthzPath); status != 200 {
		t.Fatalf("healthz %d", status)
	}
	// The key set is fetched in the background: ready once it is held.
	eventually.True(t, 10*time.Second, "admin readyz 200 once the key set is held", func() bool {
		status, _, _ := e.call("GET", api.ReadyzPath, nil)
		return status == 200
	})
	e.app.Store().Close()
	status, _, body := e.call("GET", api.ReadyzPath, nil)
	if status != 503 || !strings.Contains(string(body), "store") {
		t.Fatalf("admin readyz with the store down: %d %s", status, body)
	}
	// The public listener says only that it is not ready, never why.
	status, _, body = send(t, e.gw.URL, "GET", api.ReadyzPath, nil)
	var h api.Health
	json.Unmarshal(body, &h)
	if status != 503 || len(h.Problems) != 0 || strings.Contains(string(body), "store") {
		t.Fatalf("public readyz with the store down: %d %s", status, body)
	}
}

// TestBadBodiesInPlainWords: a wrong body is 400 request_invalid, said in
// the API's words (field names, RFC 3339, JSON types), never Go's, and
// nothing is stored.
func TestBadBodiesInPlainWords(t *testing.T) {
	e := newEnv(t)
	before, _ := e.app.Store().Keys(context.Background())
	for _, body := range []string{
		`{"name":"k","environment":"live","scopes":["read"],"expires":"tomorrow"}`,
		`{"name":"k","environment":"live","scopes":"read"}`,
		`{"name":7}`,
		`["a list"]`,
		`{"name":"k",`,
		`{"name":"k"} trailing`,
		`not json`,
		``,
	} {
		req, _ := http.NewRequest("POST", e.admin.URL+"/admin/v1/keys", strings.NewReader(body))
		req.Header.Set("X-API-Key", e.adminKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var p api.Problem
		json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != 400 || p.Reason != "request_invalid" {
			t.Errorf("%s: %d %s", body, resp.StatusCode, p.Reason)
		}
		for _, goSpeak := range []string{"Go struct", "2006-01-02", "json:", "unmarshal", "of type"} {
			if strings.Contains(p.Detail, goSpeak) {
				t.Errorf("%s: detail %q speaks Go (%q)", body, p.Detail, goSpeak)
			}
		}
	}
	after, _ := e.app.Store().Keys(context.Background())
	if len(after) != len(before) {
		t.Errorf("%d keys stored by bad bodies", len(after)-len(before))
	}
}

// TestTrafficDependenciesAudit: the console's data through the API — the
// last hour by outcome and reason (equal to /metrics), what the gateway
// depends on, and the audit trail of key changes.
func TestTrafficDependenciesAudit(t *testing.T) {
	e := newEnv(t)
	key, k := e.key("read")
	for _, h := range [][]string{{"X-API-Key", key}, {"X-API-Key", key}, {"X-API-Key", key + "x"}, nil} {
		e.do("GET", "/keyed/x", h...)
	}
	// Scraped first: the traffic request is itself counted once answered.
	counted := map[string]float64{}
	for _, m := range e.scrape()["authgate_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "outcome" {
				counted[l.GetValue()] += m.GetCounter().GetValue()
			}
		}
	}
	auth := []string{"X-API-Key", e.adminKey}
	status, _, body := e.call("GET", "/admin/v1/traffic", nil, auth...)
	var tr api.Traffic
	if err := json.Unmarshal(body, &tr); status != 200 || err != nil || len(tr.Minutes) != 60 {
		t.Fatalf("traffic: %d %v, %d minutes", status, err, len(tr.Minutes))
	}
	var allowed, denied int64
	reasons := map[string]int{}
	for _, m := range tr.Minutes {
		allowed, denied = allowed+m.Allowed, denied+m.Denied
		for r, n := range m.ByReason {
			reasons[r] += n
		}
	}
	if float64(allowed) != counted["allowed"] || float64(denied) != counted["denied"] || allowed < 2 || denied < 2 {
		t.Errorf("traffic %d allowed, %d denied; /metrics %v", allowed, denied, counted)
	}
	if reasons[string(reason.CredentialsMissing)] != 1 || reasons[string(reason.APIKeyMalformed)]+reasons[string(reason.CredentialUnknown)] != 1 {
		t.Errorf("traffic by reason %v", reasons)
	}

	status, _, body = e.call("GET", "/admin/v1/dependencies", nil, auth...)
	var deps []api.Dependency
	if err := json.Unmarshal(body, &deps); status != 200 || err != nil {
		t.Fatalf("dependencies: %d %v", status, err)
	}
	kinds := map[string]bool{}
	for _, d := range deps {
		kinds[d.Kind+":"+d.Name] = d.Healthy
	}
	if !kinds["store:store"] || len(deps) != 2 {
		t.Errorf("dependencies %+v", deps)
	}
	if _, ok := kinds["key_set:main"]; !ok {
		t.Errorf("the issuer's key set is not listed: %+v", deps)
	}

	if status, _, _ := e.call("POST", "/admin/v1/keys/"+k.ID+"/revoke", nil, auth...); status != 200 {
		t.Fatalf("revoke %d", status)
	}
	status, _, body = e.call("GET", "/admin/v1/audit?limit=1", nil, auth...)
	var events []api.AuditEvent
	if err := json.Unmarshal(body, &events); status != 200 || err != nil || len(events) != 1 {
		t.Fatalf("audit: %d %v %s", status, err, body)
	}
	if events[0].Subject != k.ID || !strings.Contains(events[0].Action, "revoke") {
		t.Errorf("latest audit event %+v", events[0])
	}
	for _, bad := range []string{"0", "-1", "x", "100000"} {
		if status, _, _ := e.call("GET", "/admin/v1/audit?limit="+bad, nil, auth...); status != 400 {
			t.Errorf("audit limit=%s: %d", bad, status)
		}
	}
}

// TestConsoleCanBeTurnedOff: admin.console: false leaves the API alone on
// the admin listener.
func TestConsoleCanBeTurnedOff(t *testing.T) {
	on := newEnv(t)
	if status, _, _ := on.call("GET", "/console/sign-in", nil); status != 200 {
		t.Fatalf("the console by default: %d", status)
	}
	off := newEnvWith(t, "admin: {listen: \"127.0.0.1:0\", console: false}\n")
	for _, path := range []string{"/console/", "/console/sign-in", "/console/static/console.js"} {
		if status, _, _ := off.call("GET", path, nil); status != 404 {
			t.Errorf("%s with the console off: %d", path, status)
		}
	}
	if status, _, _ := off.call("GET", "/admin/v1/keys", nil, "X-API-Key", off.adminKey); status != 200 {
		t.Errorf("the admin API with the console off: %d", status)
	}
}
