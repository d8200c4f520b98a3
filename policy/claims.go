package policy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// ClaimRule is one condition on a token claim. Claim is the claim's name,
// or a dotted path into nested objects (realm_access.roles,
// resource_access.api.roles); a name that exists at the top level as
// written (cognito:groups, https://example.com/roles) is taken as is.
// Exactly one of Equals, Contains, In and Present is set.
type ClaimRule struct {
	Claim string `yaml:"claim"`
	// Equals: the claim is this value (string, number or boolean).
	Equals any `yaml:"equals"`
	// Contains: the claim is an array holding this value, or a single
	// value equal to it.
	Contains any `yaml:"contains"`
	// In: the claim is one of these values.
	In []any `yaml:"in"`
	// Present: the claim exists (true) or does not (false).
	Present *bool `yaml:"present"`
}

// Validate checks that the rule names a claim and sets exactly one
// condition, with plain values (strings, numbers, booleans).
func (r ClaimRule) Validate() error {
	n := 0
	for _, set := range []bool{r.Equals != nil, r.Contains != nil, r.In != nil, r.Present != nil} {
		if set {
			n++
		}
	}
	switch {
	case strings.TrimSpace(r.Claim) == "":
		return fmt.Errorf("a claim rule needs claim: (a name or a dotted path)")
	case n != 1:
		return fmt.Errorf("claim %s: give exactly one of equals, contains, in, present", r.Claim)
	}
	for _, v := range append([]any{r.Equals, r.Contains}, r.In...) {
		switch v.(type) {
		case nil, string, bool, int, int64, float64, uint64:
		default:
			return fmt.Errorf("claim %s: values are strings, numbers or booleans", r.Claim)
		}
	}
	return nil
}

// ClaimText is the claim at path as header text: a string as it is,
// anything else as compact JSON; ok is false when it is absent.
func ClaimText(claims map[string]json.RawMessage, path string) (string, bool) {
	raw, ok := lookupClaim(claims, path)
	if !ok {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return "", false
	}
	b, _ := json.Marshal(v)
	return string(b), true
}

// String says what the rule requires, for the refusal's detail: the
// required values come from the configuration, never from the token.
func (r ClaimRule) String() string {
	switch {
	case r.Present != nil && *r.Present:
		return "claim " + r.Claim + " present"
	case r.Present != nil:
		return "claim " + r.Claim + " absent"
	case r.Contains != nil:
		return fmt.Sprintf("claim %s containing %s", r.Claim, jsonText(r.Contains))
	case r.In != nil:
		return fmt.Sprintf("claim %s one of %s", r.Claim, jsonText(r.In))
	}
	return fmt.Sprintf("claim %s equal to %s", r.Claim, jsonText(r.Equals))
}

// Holds reports whether claims satisfy the rule.
func (r ClaimRule) Holds(claims map[string]json.RawMessage) bool {
	raw, ok := lookupClaim(claims, r.Claim)
	if r.Present != nil {
		return ok == *r.Present
	}
	if !ok {
		return false
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	switch {
	case r.Contains != nil:
		if list, isList := v.([]any); isList {
			return slices.ContainsFunc(list, func(e any) bool { return sameJSON(e, r.Contains) })
		}
		return sameJSON(v, r.Contains)
	case r.In != nil:
		return slices.ContainsFunc(r.In, func(e any) bool { return sameJSON(v, e) })
	}
	return sameJSON(v, r.Equals)
}

// lookupClaim finds a claim by its name, or by a dotted path.
func lookupClaim(claims map[string]json.RawMessage, path string) (json.RawMessage, bool) {
	if raw, ok := claims[path]; ok {
		return raw, true
	}
	parts := strings.Split(path, ".")
	cur := claims
	for i, p := range parts {
		raw, ok := cur[p]
		if !ok {
			return nil, false
		}
		if i == len(parts)-1 {
			return raw, true
		}
		var next map[string]json.RawMessage
		if json.Unmarshal(raw, &next) != nil {
			return nil, false
		}
		cur = next
	}
	return nil, false
}

// sameJSON compares two values as JSON (so YAML's 1 and a token's 1.0
// are the same number).
func sameJSON(a, b any) bool { return jsonText(a) == jsonText(b) }

func jsonText(v any) string {
	if f, ok := v.(float64); ok && f == float64(int64(f)) {
		v = int64(f)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
