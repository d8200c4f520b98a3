package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/reason"
)

// TestRequestLookup: any recent request is found by its Request-Id —
// pasted with spaces or in lower case — allowed ("allowed at … by route …
// as …") or refused; an unknown one is "not in the last N requests of"
// the instance, named.
func TestRequestLookup(t *testing.T) {
	d, o := signedIn(t)
	status, h, _ := gatewayCall(t, d.File.URL+"/v1/data", "Authorization", "Bearer "+d.File.Tokens["valid"])
	allowed := h.Get(api.RequestIDHeader)
	if status != 200 || allowed == "" {
		t.Fatalf("valid token: %d", status)
	}
	status, h, why := gatewayCall(t, d.File.URL+"/v1/data", "Authorization", "Bearer "+d.File.Tokens["expired"])
	refused := h.Get(api.RequestIDHeader)
	if status != 401 || why != string(reason.TokenExpired) {
		t.Fatalf("expired token: %d %s", status, why)
	}
	tests := []struct {
		name, pasted, want string
		status             int
	}{
		{"allowed, lower case with spaces", "  " + strings.ToLower(allowed) + " \t", "Allowed</span> at", 200},
		{"allowed, as written", allowed, `<code>data-read</code>`, 200},
		{"refused, lower case", strings.ToLower(refused), "<code>token_expired</code>", 200},
		{"unknown", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "not in the last 10000 requests of ", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := o.get("/console/failures?request_id=" + url.QueryEscape(tt.pasted))
			if p.status != http.StatusSeeOther {
				t.Fatalf("lookup %d", p.status)
			}
			p = o.get(p.header.Get("Location"))
			if p.status != tt.status || !strings.Contains(p.body, tt.want) {
				t.Fatalf("%d, want %d with %q\n%s", p.status, tt.status, tt.want, p.body)
			}
		})
	}
	p := o.get("/console/requests/" + allowed)
	if !strings.Contains(p.body, "demo") && !strings.Contains(p.body, "token:") {
		t.Errorf("the allowed request does not name its subject")
	}
	if strings.Contains(p.body, d.File.Tokens["valid"]) {
		t.Error("the page shows the token")
	}
	if p := o.get("/console/requests/nothing"); !regexp.MustCompile(`of [^ ]+:\d+`).MatchString(p.body) {
		t.Errorf("the not-found answer does not name the instance:\n%s", p.body)
	}
}

// TestFailureRows: a refused request's row names the caller — the key's
// name, remembered from its last allowed request, for a revoked key — with
// the route and the detail, and the rows filter by caller and detail.
func TestFailureRows(t *testing.T) {
	d, o := signedIn(t)
	key, id := o.createKey(url.Values{"name": {"billing-service"}, "kind": {"api"}, "environment": {"live"}, "scopes": {"read"}})
	if status, _, _ := gatewayCall(t, d.File.URL+"/v1/data", "X-API-Key", key); status != 200 {
		t.Fatalf("new key: %d", status)
	}
	o.get("/console/keys/" + id + "/revoke")
	if p := o.post("/console/keys/"+id+"/revoke", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", p.status)
	}
	if p := o.get("/console/keys"); !strings.Contains(p.body, `id="notice"`) || !strings.Contains(p.body, "is revoked") {
		t.Error("no notice after the revocation")
	}
	if p := o.get("/console/keys"); strings.Contains(p.body, `id="notice"`) {
		t.Error("the notice shows twice")
	}
	gatewayCall(t, d.File.URL+"/v1/data", "X-API-Key", key)
	gatewayCall(t, d.File.URL+"/v1/data", "Authorization", "Bearer "+d.File.Tokens["expired"])
	p := o.get("/console/failures")
	if !strings.Contains(p.body, "key “billing-service” ("+id+")") || !strings.Contains(p.body, `<td class="detail">`) {
		t.Fatalf("the revoked key's row does not name it:\n%s", p.body)
	}
	for _, tt := range []struct{ query, want, not string }{
		{"who=BILLING", "credential_revoked", "token_expired"},
		{"detail=expired", "token_expired", "credential_revoked"},
		{"route=data-read&who=billing", "credential_revoked", "token_expired"},
	} {
		p := o.get("/console/failures?" + tt.query)
		if !strings.Contains(p.body, "<code>"+tt.want+"</code>") || strings.Contains(p.body, "<code>"+tt.not+"</code>") {
			t.Errorf("%s: rows wrong", tt.query)
		}
	}
	// The own key: the confirmation warns.
	_, self := o.createKey(url.Values{"name": {"ops"}, "kind": {"admin"}, "environment": {"live"}})
	if p := o.get("/console/keys/" + self + "/revoke"); strings.Contains(p.body, "own-key-warning") {
		t.Error("another admin key is called one's own")
	}
	own := regexp.MustCompile(`demo admin \(([^)]+)\)`).FindStringSubmatch(o.get("/console/").body)
	if own == nil {
		t.Fatal("the page does not name the signed-in key")
	}
	if p := o.get("/console/keys/" + own[1] + "/revoke"); !strings.Contains(p.body, "own-key-warning") {
		t.Error("revoking one's own key gets the generic confirmation")
	}
}
