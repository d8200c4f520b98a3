package policy

import (
	"encoding/json"
	"testing"
)

// Claims shaped like the identity providers' tokens (their documentation
// names each claim): Keycloak's realm_access and resource_access, Entra
// ID's roles, groups and tid, Cognito's cognito:groups, an Auth0
// namespaced claim.
const providerClaims = `{
  "realm_access": {"roles": ["offline_access", "admin"]},
  "resource_access": {"orders-api": {"roles": ["reader"]}},
  "roles": ["Orders.Read"],
  "groups": ["a1b2c3"],
  "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47",
  "cognito:groups": ["ops"],
  "https://example.com/roles": ["billing"],
  "email_verified": true,
  "level": 3
}`

func TestClaimRules(t *testing.T) {
	var claims map[string]json.RawMessage
	if err := json.Unmarshal([]byte(providerClaims), &claims); err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	tests := []struct {
		rule ClaimRule
		want bool
	}{
		{ClaimRule{Claim: "realm_access.roles", Contains: "admin"}, true},                // Keycloak realm role
		{ClaimRule{Claim: "realm_access.roles", Contains: "auditor"}, false},             //
		{ClaimRule{Claim: "resource_access.orders-api.roles", Contains: "reader"}, true}, // Keycloak client role
		{ClaimRule{Claim: "roles", Contains: "Orders.Read"}, true},                       // Entra app role
		{ClaimRule{Claim: "tid", Equals: "72f988bf-86f1-41af-91ab-2d7cd011db47"}, true},  // Entra tenant
		{ClaimRule{Claim: "tid", In: []any{"other", "72f988bf-86f1-41af-91ab-2d7cd011db47"}}, true},
		{ClaimRule{Claim: "cognito:groups", Contains: "ops"}, true},                // a name with ':' as written
		{ClaimRule{Claim: "https://example.com/roles", Contains: "billing"}, true}, // a name with dots as written
		{ClaimRule{Claim: "email_verified", Equals: true}, true},
		{ClaimRule{Claim: "level", Equals: 3}, true},    // YAML's 3 and JSON's 3.0
		{ClaimRule{Claim: "level", Equals: "3"}, false}, // a string is not a number
		{ClaimRule{Claim: "groups", Present: &yes}, true},
		{ClaimRule{Claim: "acr", Present: &no}, true},
		{ClaimRule{Claim: "missing.path", Contains: "x"}, false},
		{ClaimRule{Claim: "tid.x", Equals: "y"}, false}, // a path through a string
	}
	for _, tt := range tests {
		if got := tt.rule.Holds(claims); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.rule, got, tt.want)
		}
	}
	bad := []ClaimRule{{}, {Claim: "x"}, {Claim: "x", Equals: "a", Contains: "b"}, {Claim: "x", Equals: map[string]any{"a": 1}}}
	for _, r := range bad {
		if r.Validate() == nil {
			t.Errorf("%+v accepted", r)
		}
	}
}

// BenchmarkClaimRule is one rule on a nested claim of a Keycloak-shaped
// token and one claim read for a header (claim_headers): the work a claim
// rule and a claim header add to a request.
func BenchmarkClaimRule(b *testing.B) {
	var claims map[string]json.RawMessage
	if err := json.Unmarshal([]byte(providerClaims), &claims); err != nil {
		b.Fatal(err)
	}
	for _, r := range []struct {
		name string
		rule ClaimRule
	}{
		{"rule/realm_access.roles-contains", ClaimRule{Claim: "realm_access.roles", Contains: "admin"}},
		{"rule/tid-equals", ClaimRule{Claim: "tid", Equals: "72f988bf-86f1-41af-91ab-2d7cd011db47"}},
	} {
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !r.rule.Holds(claims) {
					b.Fatal("rule fails")
				}
			}
		})
	}
	b.Run("header/tid", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if v, ok := ClaimText(claims, "tid"); !ok || v == "" {
				b.Fatal("no claim")
			}
		}
	})
}
