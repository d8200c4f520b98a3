package console_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestInspectorFirstUse: with only a credential pasted, the inspector
// recognises its kind by shape and judges it on the first protected route
// that takes it (not on "/", which no route serves); "verify the
// credential only" runs the verifier's checks without a route.
func TestInspectorFirstUse(t *testing.T) {
	d, o := signedIn(t)
	key, _ := o.createKey(url.Values{"name": {"inspected"}, "kind": {"api"}, "environment": {"live"}, "scopes": {"read"}})
	o.get("/console/inspect")
	verdict := regexp.MustCompile(`The gateway's verdict: HTTP (\d+)(?: <code id="verdict-reason">([a-z_]+)<)?`)
	route := regexp.MustCompile(`id="verdict-route">([a-z-]+)<`)
	tests := []struct {
		name, credential, route, detected, status, reason, onRoute string
	}{
		{"a JWT, no route chosen", d.File.Tokens["valid"], "", "a JWT", "403", "claim_mismatch", "admin"},
		{"an API key, no route chosen", key, "", "an authgate API key", "200", "", "data-read"},
		{"a whole Authorization value", "Bearer " + d.File.Tokens["valid"], "data-read", "a whole Authorization value", "200", "", "data-read"},
		{"credential only: a good token", d.File.Tokens["valid"], "_credential", "a JWT", "200", "", ""},
		{"credential only: an expired token", d.File.Tokens["expired"], "_credential", "a JWT", "401", "token_expired", ""},
		{"an opaque token", "not-a-jwt-at-all", "_credential", "an opaque bearer token", "401", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := o.post("/console/inspect", url.Values{"credential": {tt.credential}, "route": {tt.route}})
			v := verdict.FindStringSubmatch(p.body)
			if p.status != 200 || v == nil {
				t.Fatalf("%d, no verdict\n%s", p.status, p.body)
			}
			if v[1] != tt.status || tt.reason != "" && v[2] != tt.reason {
				t.Errorf("verdict %s %s, want %s %s", v[1], v[2], tt.status, tt.reason)
			}
			if !strings.Contains(p.body, "Recognised as "+tt.detected) {
				t.Errorf("not recognised as %s", tt.detected)
			}
			if r := route.FindStringSubmatch(p.body); tt.onRoute != "" && (r == nil || r[1] != tt.onRoute) {
				t.Errorf("judged on route %v, want %s", r, tt.onRoute)
			}
			if !strings.Contains(p.body, `class="checks"><li`) {
				t.Error("no checks listed")
			}
			if strings.Contains(p.body, "route_not_found") {
				t.Error("route_not_found")
			}
		})
	}
}
