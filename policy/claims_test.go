package policy

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/reason"
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

// TestClaimPathAmbiguity: a rule's dotted path names a nested claim
// (realm_access → roles), and a name with dots that exists as written is
// taken as is; a token that has both — a literal "realm_access.roles"
// beside the nested path — is ambiguous, and is refused (claim_mismatch,
// "ambiguous") whatever either holds, rather than one shadowing the
// other. Claim headers send nothing for it.
func TestClaimPathAmbiguity(t *testing.T) {
	yes, no := true, false
	routes := map[string]*Route{
		"all":    {Name: "all", ClaimsAll: []ClaimRule{{Claim: "realm_access.roles", Contains: "admin"}}},
		"any":    {Name: "any", ClaimsAny: []ClaimRule{{Claim: "groups", Contains: "ops"}, {Claim: "realm_access.roles", Contains: "admin"}}},
		"absent": {Name: "absent", ClaimsAll: []ClaimRule{{Claim: "realm_access.roles", Present: &no}}},
		"there":  {Name: "there", ClaimsAll: []ClaimRule{{Claim: "realm_access.roles", Present: &yes}}},
	}
	tests := []struct {
		name, claims string
		// allowed lists the routes that let the token through; the others
		// refuse it with claim_mismatch.
		allowed   []string
		ambiguous bool
		header    string
	}{
		{"literal only", `{"realm_access.roles":["admin"]}`, []string{"all", "any", "there"}, false, `["admin"]`},
		{"nested only", `{"realm_access":{"roles":["admin"]}}`, []string{"all", "any", "there"}, false, `["admin"]`},
		{"neither", `{"sub":"x"}`, []string{"absent"}, false, ""},
		{"both, literal shadowing", `{"realm_access":{"roles":["user"]},"realm_access.roles":["admin"]}`, nil, true, ""},
		{"both, agreeing", `{"realm_access":{"roles":["admin"]},"realm_access.roles":["admin"]}`, nil, true, ""},
		{"both, the other rule holds", `{"groups":["ops"],"realm_access":{"roles":[]},"realm_access.roles":["admin"]}`, nil, true, ""},
	}
	for _, tt := range tests {
		var claims map[string]json.RawMessage
		if err := json.Unmarshal([]byte(tt.claims), &claims); err != nil {
			t.Fatal(err)
		}
		for name, rt := range routes {
			err := rt.Authorize(&credential.Identity{Kind: "jwt", Claims: claims})
			allowed := slices.Contains(tt.allowed, name)
			if tt.name == "both, the other rule holds" && name == "any" {
				allowed = false // an ambiguous rule refuses, even beside one that holds
			}
			switch {
			case allowed && err != nil:
				t.Errorf("%s on route %s: refused (%v)", tt.name, name, err)
			case !allowed && reason.CodeOf(err) != reason.ClaimMismatch:
				t.Errorf("%s on route %s: %v, want claim_mismatch", tt.name, name, err)
			case !allowed && tt.ambiguous && !strings.Contains(reason.From(err).Detail, "ambiguous"):
				t.Errorf("%s on route %s: %q does not say the claim is ambiguous", tt.name, name, reason.From(err).Detail)
			}
		}
		if got, _ := ClaimText(claims, "realm_access.roles"); got != tt.header {
			t.Errorf("%s: claim header %q, want %q", tt.name, got, tt.header)
		}
	}
}
