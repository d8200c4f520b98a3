package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/authgate/authgate/challenge"
)

// adminEnv is an env whose gateway also serves its admin handler.
type adminEnv struct {
	*env
	admin    *httptest.Server
	adminKey string
}

func newAdminEnv(t *testing.T) *adminEnv {
	e := newEnv(t, DetailFull)
	a := &adminEnv{env: e}
	a.admin = httptest.NewServer(e.g.AdminHandler())
	t.Cleanup(a.admin.Close)
	a.adminKey, _ = e.key("live", AdminScope)
	return a
}

func (a *adminEnv) call(method, path string, body any, headers ...string) (int, http.Header, []byte) {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.admin.URL+path, rd)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, out
}

func (a *adminEnv) scrape() map[string]*dto.MetricFamily {
	a.t.Helper()
	_, _, body := a.call("GET", "/metrics", nil)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		a.t.Fatalf("/metrics does not parse: %v", err)
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
	a := newAdminEnv(t)
	good := token(t, nil)
	expired := token(t, map[string]any{"exp": time.Now().Add(-time.Hour).Unix()})
	a.do("GET", "/v1/data", "Authorization", "Bearer "+good) // warm the key set
	before := a.scrape()
	a.do("GET", "/v1/data", "Authorization", "Bearer "+expired)
	a.do("GET", "/v1/data", "Authorization", "Bearer "+expired)
	a.do("GET", "/v1/data")
	a.do("GET", "/v1/data", "Authorization", "Bearer "+good)
	after := a.scrape()
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
		{"authgate_requests_total", map[string]string{"route": "read", "outcome": "allowed", "reason": ""}, 1},
		{"authgate_token_cache_lookups_total", map[string]string{"result": "hit"}, 1},
		{"authgate_token_clock_skew_seconds", nil, 1},
		{"authgate_authentication_seconds", map[string]string{"scheme": "bearer"}, 3},
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

func TestAdminRejectsLikeTheGateway(t *testing.T) {
	a := newAdminEnv(t)
	reader, _ := a.key("live", "read")
	unknown := "ag_live_" + strings.Repeat("A", 49)
	tests := []struct {
		name    string
		headers []string
		status  int
		reason  string
		errArg  string
		scope   string
	}{
		{"no credential", nil, 401, "credentials_missing", "", ""},
		{"malformed key", []string{"X-API-Key", unknown}, 401, "api_key_malformed", "invalid_token", ""},
		{"not an admin", []string{"X-API-Key", reader}, 403, "insufficient_scope", "insufficient_scope", "admin"},
		{"admin", []string{"X-API-Key", a.adminKey}, 200, "", "", ""},
		{"admin as Bearer", []string{"Authorization", "Bearer " + a.adminKey}, 200, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := a.call("GET", "/admin/v1/keys", nil, tt.headers...)
			if status != tt.status {
				t.Fatalf("status %d: %s", status, body)
			}
			if tt.reason == "" {
				return
			}
			var p Problem
			json.Unmarshal(body, &p)
			cs, err := challenge.Parse(h.Values("WWW-Authenticate")...)
			if p.Reason != tt.reason || err != nil || len(cs) == 0 {
				t.Fatalf("reason %q challenges %v %v", p.Reason, cs, err)
			}
			var bearer challenge.Challenge
			for _, c := range cs {
				if strings.EqualFold(c.Scheme, "Bearer") {
					bearer = c
				}
			}
			if e, _ := bearer.Get("error"); e != tt.errArg {
				t.Fatalf("error=%q, want %q", e, tt.errArg)
			}
			if s, _ := bearer.Get("scope"); s != tt.scope {
				t.Fatalf("scope=%q", s)
			}
		})
	}
}

func TestAdminKeysUsersAndFeed(t *testing.T) {
	a := newAdminEnv(t)
	auth := []string{"X-API-Key", a.adminKey}
	status, _, body := a.call("POST", "/admin/v1/keys", map[string]any{"name": "ci", "environment": "live", "scopes": []string{"read"}}, auth...)
	var created KeyView
	json.Unmarshal(body, &created)
	if status != 201 || !strings.HasPrefix(created.Key, "ag_live_") {
		t.Fatalf("create: %d %s", status, body)
	}
	if r := a.do("GET", "/keyed/a", "X-API-Key", created.Key); r.status != 200 {
		t.Fatalf("new key: %d", r.status)
	}
	if status, _, body := a.call("GET", "/admin/v1/keys", nil, auth...); status != 200 || strings.Contains(string(body), created.Key[8:30]) {
		t.Fatalf("list leaks or fails: %d", status)
	}
	if status, _, _ := a.call("POST", "/admin/v1/keys/"+created.ID+"/revoke", nil, auth...); status != 200 {
		t.Fatalf("revoke: %d", status)
	}
	if r := a.do("GET", "/keyed/a", "X-API-Key", created.Key); r.problem.Reason != "credential_revoked" {
		t.Fatalf("after revoke: %s", r.problem.Reason)
	}
	if status, _, body := a.call("GET", "/admin/v1/revocations", nil, auth...); status != 200 || !strings.Contains(string(body), created.ID) {
		t.Fatalf("revocations: %d %s", status, body)
	}
	if status, _, body := a.call("POST", "/admin/v1/users", map[string]any{"name": "bob", "password": "correct horse", "scopes": []string{"read"}}, auth...); status != 201 {
		t.Fatalf("add user: %d %s", status, body)
	}
	if status, _, _ := a.call("POST", "/admin/v1/users", map[string]any{"name": "bob", "password": "correct horse"}, auth...); status != 409 {
		t.Fatalf("duplicate user: %d", status)
	}
	if status, _, _ := a.call("POST", "/admin/v1/users", map[string]any{"name": "x", "password": "pw", "extra": 1}, auth...); status != 400 {
		t.Fatalf("bad body: %d", status)
	}
	if status, _, _ := a.call("DELETE", "/admin/v1/users/bob", nil, auth...); status != 204 {
		t.Fatalf("remove: %d", status)
	}

	// The failure feed: filters, summary, stream, and never a secret.
	stream, cancel := a.stream(t, "/admin/v1/failures/stream?reason=token_expired")
	defer cancel()
	expired := token(t, map[string]any{"exp": time.Now().Add(-time.Hour).Unix()})
	a.do("GET", "/v1/data", "Authorization", "Bearer "+expired)
	a.do("GET", "/keyed/a", "X-API-Key", created.Key)
	select {
	case ev := <-stream:
		if !strings.Contains(ev, `"reason":"token_expired"`) {
			t.Fatalf("stream event %s", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event on the stream")
	}
	status, _, body = a.call("GET", "/admin/v1/failures?reason=credential_revoked", nil, auth...)
	var fs []Failure
	json.Unmarshal(body, &fs)
	if status != 200 || len(fs) != 2 || fs[0].Fingerprint == "" {
		t.Fatalf("filtered failures: %d %s", status, body)
	}
	_, _, all := a.call("GET", "/admin/v1/failures", nil, auth...)
	for _, s := range []string{expired, created.Key, a.adminKey} {
		for i := 0; i+8 <= len(s); i++ {
			if bytes.Contains(all, []byte(s[i:i+8])) {
				t.Fatal("the failure feed holds a piece of a secret")
			}
		}
	}
	_, _, sum := a.call("GET", "/admin/v1/failures/summary?minutes=5", nil, auth...)
	var summary struct {
		ByReason map[string]int `json:"by_reason"`
	}
	json.Unmarshal(sum, &summary)
	if summary.ByReason["token_expired"] != 1 || summary.ByReason["credential_revoked"] != 2 {
		t.Fatalf("summary %s", sum)
	}
}

func (a *adminEnv) stream(t *testing.T, path string) (<-chan string, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", a.admin.URL+path, nil)
	req.Header.Set("X-API-Key", a.adminKey)
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
	a := newAdminEnv(t)
	auth := []string{"X-API-Key", a.adminKey}
	wrong := "ag_live_" + strings.Repeat("B", 49)
	for range 30 {
		_, _, body := a.call("POST", "/admin/v1/explain", ExplainRequest{Method: "GET", Path: "/keyed/a", APIKey: wrong}, auth...)
		var e Explanation
		json.Unmarshal(body, &e)
		if e.Reason != "api_key_malformed" || e.Status != 401 {
			t.Fatalf("explain: %s", body)
		}
	}
	key, k := a.key("live", "read")
	_, _, body := a.call("POST", "/admin/v1/explain", ExplainRequest{Method: "GET", Path: "/keyed/a", APIKey: key}, auth...)
	var e Explanation
	json.Unmarshal(body, &e)
	if e.Status != 200 || e.Identity == nil || e.Identity.Subject != "apikey:"+k.ID {
		t.Fatalf("explain good key: %s", body)
	}
	a.g.keys.Flush(context.Background())
	if got, _ := a.store.KeyByID(context.Background(), k.ID); !got.LastUsed.IsZero() {
		t.Fatal("explain recorded a use of the key")
	}
	if _, _, body := a.call("GET", "/admin/v1/failures", nil, auth...); strings.Contains(string(body), "api_key_malformed") {
		t.Fatal("explain runs reached the failure feed")
	}
}

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	a := newAdminEnv(t)
	_, _, body := a.call("GET", "/admin/v1/openapi.json", nil, "X-API-Key", a.adminKey)
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi: %v %s", err, body[:min(len(body), 200)])
	}
	described := 0
	for path, ops := range doc.Paths {
		for method := range ops {
			described++
			concrete := strings.NewReplacer("{id}", "nosuchid", "{name}", "nosuchuser").Replace(path)
			if strings.HasSuffix(path, "/stream") {
				_, cancel := a.stream(t, concrete) // fails the test unless it answers 200
				cancel()
				continue
			}
			_, _, body := a.call(strings.ToUpper(method), concrete, nil, "X-API-Key", a.adminKey)
			if strings.Contains(string(body), "no such admin endpoint") {
				t.Errorf("described %s %s does not exist", method, path)
			}
		}
	}
	if described != len(adminEndpoints) {
		t.Errorf("%d operations described, %d registered", described, len(adminEndpoints))
	}
}

func TestHealth(t *testing.T) {
	a := newAdminEnv(t)
	if r := a.do("GET", HealthzPath); r.status != 200 {
		t.Fatalf("healthz %d", r.status)
	}
	if r := a.do("GET", ReadyzPath); r.status != 200 {
		t.Fatalf("readyz %d %s", r.status, r.body)
	}
	a.store.Close()
	if r := a.do("GET", ReadyzPath); r.status != 503 || !strings.Contains(r.body, "store") {
		t.Fatalf("readyz with the store down: %d %s", r.status, r.body)
	}
}
