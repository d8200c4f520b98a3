package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/reason"
)

// TestClaimRulesHeadersAndStepUp: claim rules refuse with 403
// claim_mismatch naming the rule (never the token's value); claims reach
// the upstream as identity headers that a client cannot spoof; a step-up
// route answers 401 insufficient_user_authentication with what it needs
// in the Bearer challenge.
func TestClaimRulesHeadersAndStepUp(t *testing.T) {
	e := newEnvConfig(t, api.DetailFull, `
  - {name: admin, path: /v1/admin, claims_all: [{claim: realm_access.roles, contains: admin}], upstream: "UP"}
  - {name: ops, path: /v1/ops, claims_any: [{claim: roles, contains: ops}, {claim: "cognito:groups", contains: ops}], upstream: "UP"}
  - {name: keyed-admin, path: /keyed-admin, schemes: [apikey], claims_all: [{claim: roles, contains: admin}], upstream: "UP"}
  - {name: mfa, path: /v1/mfa, acr_values: ["urn:example:mfa"], upstream: "UP"}
  - {name: fresh, path: /v1/fresh, max_age: 5m, upstream: "UP"}`,
		"claim_headers: {Email: email, Roles: realm_access.roles}")
	key, _ := e.key("live", "read")
	admin := token(t, map[string]any{"realm_access": map[string]any{"roles": []string{"admin"}}, "email": "ada@example.com"})
	plain := token(t, map[string]any{"email": "bob@example.com"})
	tests := []struct {
		name, path string
		headers    []string
		status     int
		reason     reason.Code
		challenge  map[string]string // Bearer parameters the answer must carry
	}{
		{"realm role held", "/v1/admin", []string{"Authorization", "Bearer " + admin}, 200, "", nil},
		{"realm role missing", "/v1/admin", []string{"Authorization", "Bearer " + plain}, 403, reason.ClaimMismatch, nil},
		{"one of two claims (Cognito's group)", "/v1/ops", []string{"Authorization", "Bearer " + token(t, map[string]any{"cognito:groups": []string{"ops"}})}, 200, "", nil},
		{"none of two claims", "/v1/ops", []string{"Authorization", "Bearer " + plain}, 403, reason.ClaimMismatch, nil},
		{"an API key carries no claims", "/keyed-admin", []string{"X-API-Key", key}, 403, reason.ClaimMismatch, nil},
		{"acr at the level asked", "/v1/mfa", []string{"Authorization", "Bearer " + token(t, map[string]any{"acr": "urn:example:mfa"})}, 200, "", nil},
		{"acr below it", "/v1/mfa", []string{"Authorization", "Bearer " + token(t, map[string]any{"acr": "pwd"})}, 401, reason.InsufficientUserAuthentication,
			map[string]string{"error": "insufficient_user_authentication", "acr_values": "urn:example:mfa"}},
		{"auth_time recent", "/v1/fresh", []string{"Authorization", "Bearer " + token(t, map[string]any{"auth_time": time.Now().Add(-time.Minute).Unix()})}, 200, "", nil},
		{"auth_time too old", "/v1/fresh", []string{"Authorization", "Bearer " + token(t, map[string]any{"auth_time": time.Now().Add(-time.Hour).Unix()})}, 401, reason.InsufficientUserAuthentication,
			map[string]string{"error": "insufficient_user_authentication", "max_age": "300"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			r := e.do("GET", tt.path, tt.headers...)
			if r.status != tt.status || r.problem.Reason != string(tt.reason) {
				t.Fatalf("%d %q (%s), want %d %q", r.status, r.problem.Reason, r.problem.Detail, tt.status, tt.reason)
			}
			for k, v := range tt.challenge {
				if got, _ := bearerParam(r, k); got != v {
					t.Errorf("challenge %s=%q, want %q", k, got, v)
				}
			}
			if strings.Contains(r.problem.Detail, "bob@") || strings.Contains(r.problem.Detail, "pwd") {
				t.Errorf("the detail shows the token's value: %s", r.problem.Detail)
			}
		})
	}
	// Claims upstream; a client's own claim header never arrives.
	// Every spelling of a client's own claim header is removed (CGI reads
	// _ and - alike).
	r := e.do("GET", "/v1/admin", "Authorization", "Bearer "+admin, "X-Authgate-Claim-Email", "mallory@example.com",
		"X_Authgate_Claim_Email", "mallory@example.com", "x-authgate-claim-roles", `["root"]`, "X-Authgate-Claim-Other", "x")
	seen := e.seen.Load()
	if r.status != 200 || seen == nil {
		t.Fatalf("status %d", r.status)
	}
	if got := seen.Header.Values("X-Authgate-Claim-Email"); len(got) != 1 || got[0] != "ada@example.com" {
		t.Errorf("X-Authgate-Claim-Email %q", got)
	}
	for name := range seen.Header {
		if strings.EqualFold(strings.ReplaceAll(name, "_", "-"), "X-Authgate-Claim-Email") && name != "X-Authgate-Claim-Email" {
			t.Errorf("a client's %s arrived", name)
		}
	}
	if got := seen.Header.Values("X-Authgate-Claim-Roles"); len(got) != 1 || got[0] != `["admin"]` {
		t.Errorf("X-Authgate-Claim-Roles %q", got)
	}
	if got := seen.Header.Values("X-Authgate-Claim-Other"); len(got) != 0 {
		t.Errorf("a client's claim header arrived: %q", got)
	}
}
