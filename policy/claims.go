package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/authgate/authgate/internal/rawjson"
)

// ClaimRule is one condition on a token claim. Claim is the claim's name,
// or a dotted path into nested objects (realm_access.roles,
// resource_access.api.roles); a name that exists at the top level as
// written (cognito:groups, https://example.com/roles) is taken as is; a
// token holding both such a name and the nested path its dots spell is
// refused (Ambiguous). Exactly one of Equals, Contains, In and Present is set.
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
	if s, ok := rawjson.String(raw); ok {
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

// Ambiguous reports whether the rule's claim can be read two ways in
// claims: a name with dots that exists as written beside the nested path
// the dots spell ("realm_access.roles" and realm_access → roles). Such a
// token is refused: neither may shadow the other.
func (r ClaimRule) Ambiguous(claims map[string]json.RawMessage) bool {
	_, _, ambiguous := findClaim(claims, r.Claim)
	return ambiguous
}

// Holds reports whether claims satisfy the rule; an ambiguous claim
// (Ambiguous) satisfies none. Values are compared in place, without
// decoding the claim into Go values: a claim rule costs a request well
// under a microsecond or two (BenchmarkClaimRule).
func (r ClaimRule) Holds(claims map[string]json.RawMessage) bool {
	raw, ok, ambiguous := findClaim(claims, r.Claim)
	if ambiguous {
		return false
	}
	if r.Present != nil {
		return ok == *r.Present
	}
	if !ok {
		return false
	}
	switch {
	case r.Contains != nil:
		if raw = bytes.TrimSpace(raw); len(raw) > 0 && raw[0] == '[' {
			list, err := rawjson.Elements(raw)
			if err != nil {
				return false
			}
			return slices.ContainsFunc(list, func(e json.RawMessage) bool { return isValue(e, r.Contains) })
		}
		return isValue(raw, r.Contains)
	case r.In != nil:
		return slices.ContainsFunc(r.In, func(want any) bool { return isValue(raw, want) })
	}
	return isValue(raw, r.Equals)
}

// isValue reports whether the JSON value raw is want (a string, number or
// boolean, as Validate allows), comparing numbers by value (YAML's 1 and a
// token's 1.0 are the same) and strings after JSON unescaping.
func isValue(raw json.RawMessage, want any) bool {
	raw = bytes.TrimSpace(raw)
	switch w := want.(type) {
	case string:
		return rawjson.StringIs(raw, w)
	case bool:
		return string(raw) == strconv.FormatBool(w)
	}
	want64, ok := number(want)
	if !ok || len(raw) == 0 || raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return false
	}
	got, err := strconv.ParseFloat(string(raw), 64)
	return err == nil && got == want64
}

// number is a YAML number as a float64.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// lookupClaim finds a claim by its name, or by a dotted path; an
// ambiguous one (findClaim) is not found.
func lookupClaim(claims map[string]json.RawMessage, path string) (json.RawMessage, bool) {
	raw, ok, ambiguous := findClaim(claims, path)
	return raw, ok && !ambiguous
}

// findClaim finds a claim by its name as written (cognito:groups,
// https://example.com/roles) or by the nested path its dots spell
// (realm_access.roles); ambiguous is true when both exist.
func findClaim(claims map[string]json.RawMessage, path string) (raw json.RawMessage, ok, ambiguous bool) {
	literal, hasLiteral := claims[path]
	if !strings.Contains(path, ".") {
		return literal, hasLiteral, false
	}
	nested, hasNested := nestedClaim(claims, path)
	switch {
	case hasLiteral && hasNested:
		return nil, false, true
	case hasLiteral:
		return literal, true, false
	}
	return nested, hasNested, false
}

// nestedClaim follows path's dots through nested objects.
func nestedClaim(claims map[string]json.RawMessage, path string) (json.RawMessage, bool) {
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
		next, err := rawjson.Object(raw)
		if err != nil {
			return nil, false
		}
		cur = next
	}
	return nil, false
}

func jsonText(v any) string {
	if f, ok := v.(float64); ok && f == float64(int64(f)) {
		v = int64(f)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
