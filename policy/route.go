package policy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/reason"
)

// Route is one entry of the route table.
type Route struct {
	Name string
	// DPoP is the route's dpop setting (off, allowed, required; "": the
	// issuer's).
	DPoP    string
	Methods []string // upper-case; empty means every method
	Path    *Pattern
	Public  bool
	// Schemes names the authenticators whose credentials the route takes
	// (credential.Authenticator.Scheme), in the order its challenges go.
	Schemes []string
	// ScopesAll must all be held; one of ScopesAny must be held.
	ScopesAll []string
	ScopesAny []string
	// APIKeyQuery names the query parameter that may carry an API key.
	APIKeyQuery string
	// ForwardAuthorization: the upstream receives the credential as it
	// came (routes[].forward_authorization).
	ForwardAuthorization bool
	// CORS is the route's cross-origin policy (nil: none).
	CORS *CORS
	// WebSocket allows Upgrade: websocket (no other upgrade is ever allowed).
	WebSocket bool
	// MethodOverride lets X-HTTP-Method-Override and its kin through;
	// the route is then chosen, and authorization done, for the
	// overridden method.
	MethodOverride bool
	// MaxBodyBytes bounds a request body.
	MaxBodyBytes int64
	// Quota bounds each identity's requests (nil: none).
	Quota *credential.Quota
	// Hosts, when set, are the host names the route serves: exact
	// (api.example.com) or one wildcard label (*.example.com); empty:
	// every host. Lower-case, without port.
	Hosts []string
	// ClaimsAll must all hold; one of ClaimsAny must hold (JWT claims).
	ClaimsAll, ClaimsAny []ClaimRule
	// ACRValues, when set, are the authentication context classes a
	// token's acr must be one of; MaxAge, when set, bounds how long ago
	// its auth_time may be (RFC 9470 step-up).
	ACRValues []string
	MaxAge    time.Duration
	// Allow, when not empty, are the only client networks served; Deny
	// are refused (client_network_denied).
	Allow, Deny Networks
	// Target is what serves the route (the gateway keeps its upstream here).
	Target any
}

// NewRoute compiles a route from its configuration.
func NewRoute(name string, methods []string, path string, public bool, schemes, scopesAll, scopesAny []string, apiKeyQuery string) (*Route, error) {
	pat, err := CompilePattern(path)
	if err != nil {
		return nil, err
	}
	return &Route{Name: name, Methods: methods, Path: pat, Public: public, Schemes: schemes,
		ScopesAll: scopesAll, ScopesAny: scopesAny, APIKeyQuery: apiKeyQuery}, nil
}

// allowsHost reports whether the route serves host (lower-case, no port).
func (rt *Route) allowsHost(host string) bool {
	return len(rt.Hosts) == 0 || slices.ContainsFunc(rt.Hosts, func(pattern string) bool { return hostMatches(pattern, host) })
}

// hostMatches: pattern is host itself, or *.suffix and host is a name
// under suffix (one or more labels before it).
func hostMatches(pattern, host string) bool {
	if suffix, ok := strings.CutPrefix(pattern, "*."); ok {
		return strings.HasSuffix(host, "."+suffix) && len(host) > len(suffix)+1
	}
	return pattern == host
}

// HostOnly is a Host header's name in lower case, without its port.
func HostOnly(h string) string {
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
		h = h[:i]
	}
	// A trailing dot is kept: "open.test." is another name to a proxy's
	// virtual hosts (Caddy, Envoy), so it must not take open.test's routes.
	return strings.ToLower(strings.Trim(h, "[]"))
}

func (rt *Route) allows(method string) bool {
	if len(rt.Methods) == 0 || slices.Contains(rt.Methods, method) {
		return true
	}
	return method == http.MethodHead && slices.Contains(rt.Methods, http.MethodGet)
}

// AdmitsClient checks the client address against the route's networks:
// client_network_denied when it is in Deny, or Allow is set and it is
// not in it. An address that does not parse is refused where a rule
// exists.
func (rt *Route) AdmitsClient(client string) error {
	if len(rt.Allow) == 0 && len(rt.Deny) == 0 {
		return nil
	}
	addr, err := netip.ParseAddr(client)
	switch {
	case err != nil:
		return reason.New(reason.ClientNetworkDenied, "route '%s' has network rules, and the client's address could not be read", rt.Name)
	case rt.Deny.Contains(addr):
		return reason.New(reason.ClientNetworkDenied, "route '%s' refuses requests from this client's network (deny_cidrs)", rt.Name)
	case len(rt.Allow) > 0 && !rt.Allow.Contains(addr):
		return reason.New(reason.ClientNetworkDenied, "route '%s' serves only the networks in its allow_cidrs; this client is not in them", rt.Name)
	}
	return nil
}

// Accepts reports whether the route takes credentials of scheme.
func (rt *Route) Accepts(scheme string) bool { return slices.Contains(rt.Schemes, scheme) }

// ScopeSummary says what the route needs, for explain.
func (rt *Route) ScopeSummary() string {
	switch {
	case len(rt.ScopesAll) > 0 && len(rt.ScopesAny) > 0:
		return "all of [" + strings.Join(rt.ScopesAll, " ") + "] and one of [" + strings.Join(rt.ScopesAny, " ") + "]"
	case len(rt.ScopesAll) > 0:
		return "all of [" + strings.Join(rt.ScopesAll, " ") + "]"
	case len(rt.ScopesAny) > 0:
		return "one of [" + strings.Join(rt.ScopesAny, " ") + "]"
	}
	return "none needed"
}

// AuthorizationCheck names, for explain, what Authorize checks on this
// route: "scopes", with "claims" and "authentication context" where the
// route has those rules.
func (rt *Route) AuthorizationCheck() string {
	check := "scopes"
	if len(rt.ClaimsAll) > 0 || len(rt.ClaimsAny) > 0 {
		check += ", claims"
	}
	if len(rt.ACRValues) > 0 || rt.MaxAge > 0 {
		check = "authentication context, " + check
	}
	return check
}

// Authorize checks what the route demands of an authenticated identity:
// the authentication context (step-up, 401), the scopes and the claim
// rules (403).
func (rt *Route) Authorize(id *credential.Identity) error {
	if err := rt.stepUp(id); err != nil {
		return err
	}
	if err := rt.scopes(id); err != nil {
		return err
	}
	return rt.claims(id)
}

// scopes checks that id holds the scopes the route needs; a shortfall is
// insufficient_scope (403). RFC 6750's scope parameter lists scopes that
// are all needed, so it cannot say "one of": on an any-of route it names
// one sufficient choice (the scopes_all and the first of scopes_any) and
// the error lists every alternative in ScopesAny.
func (rt *Route) scopes(id *credential.Identity) error {
	var missing []string
	for _, s := range rt.ScopesAll {
		if !id.HasScope(s) {
			missing = append(missing, s)
		}
	}
	anyHeld := len(rt.ScopesAny) == 0 || slices.ContainsFunc(rt.ScopesAny, id.HasScope)
	if len(missing) == 0 && anyHeld {
		return nil
	}
	re := &reason.Error{Code: reason.InsufficientScope, Scope: rt.ScopesAll}
	var needs []string
	if len(missing) > 0 {
		needs = append(needs, "scope "+strings.Join(missing, " "))
	}
	if len(rt.ScopesAny) > 0 {
		re.Scope = append(slices.Clip(rt.ScopesAll), rt.ScopesAny[0])
		re.ScopesAny = rt.ScopesAny
		if !anyHeld {
			needs = append(needs, "one of the scopes ["+strings.Join(rt.ScopesAny, " ")+"]")
		}
	}
	re.Detail = fmt.Sprintf("the credential lacks %s; route '%s' needs %s", strings.Join(needs, " and "), rt.Name, rt.ScopeSummary())
	return re
}

// claims checks the route's claim rules: 403 claim_mismatch naming the
// rule, never the token's value.
func (rt *Route) claims(id *credential.Identity) error {
	if len(rt.ClaimsAll) == 0 && len(rt.ClaimsAny) == 0 {
		return nil
	}
	if id.Claims == nil {
		return reason.New(reason.ClaimMismatch, "route '%s' has claim rules, and a %s credential carries no claims (use a JWT)", rt.Name, id.Kind)
	}
	for _, rules := range [...][]ClaimRule{rt.ClaimsAll, rt.ClaimsAny} {
		for _, r := range rules {
			if r.Ambiguous(id.Claims) {
				return reason.New(reason.ClaimMismatch, "route '%s' reads the claim %s, and the token is ambiguous: it has both a claim named '%s' and the nested path; neither is used", rt.Name, r.Claim, r.Claim)
			}
		}
	}
	for _, r := range rt.ClaimsAll {
		if !r.Holds(id.Claims) {
			return reason.New(reason.ClaimMismatch, "route '%s' needs the %s", rt.Name, r)
		}
	}
	if len(rt.ClaimsAny) > 0 && !slices.ContainsFunc(rt.ClaimsAny, func(r ClaimRule) bool { return r.Holds(id.Claims) }) {
		var want []string
		for _, r := range rt.ClaimsAny {
			want = append(want, r.String())
		}
		return reason.New(reason.ClaimMismatch, "route '%s' needs one of: %s", rt.Name, strings.Join(want, "; "))
	}
	return nil
}

// stepUp checks the token's authentication context (RFC 9470): acr among
// the route's acr_values, auth_time within max_age. A shortfall is 401
// insufficient_user_authentication, whose challenge says what is needed.
func (rt *Route) stepUp(id *credential.Identity) error {
	if len(rt.ACRValues) == 0 && rt.MaxAge == 0 {
		return nil
	}
	fail := func(format string, args ...any) error {
		e := reason.New(reason.InsufficientUserAuthentication, format, args...)
		e.ACRValues, e.MaxAge = rt.ACRValues, rt.MaxAge
		return e
	}
	if len(rt.ACRValues) > 0 {
		var acr string
		if raw, ok := id.Claims["acr"]; !ok || json.Unmarshal(raw, &acr) != nil || !slices.Contains(rt.ACRValues, acr) {
			return fail("route '%s' needs an authentication of class %s (acr)", rt.Name, strings.Join(rt.ACRValues, " or "))
		}
	}
	if rt.MaxAge > 0 {
		var at float64
		if raw, ok := id.Claims["auth_time"]; !ok || json.Unmarshal(raw, &at) != nil ||
			time.Since(time.Unix(int64(at), 0)) > rt.MaxAge {
			return fail("route '%s' needs an authentication within the last %s (auth_time)", rt.Name, rt.MaxAge)
		}
	}
	return nil
}

func sanitizeMethod(m string) string {
	if len(m) > 16 || strings.IndexFunc(m, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
		return "this method"
	}
	return m
}
