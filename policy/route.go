package policy

import (
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/reason"
)

// Route is one entry of the route table.
type Route struct {
	Name    string
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

// Authorize checks that id holds the scopes the route needs; a shortfall
// is insufficient_scope (403). RFC 6750's scope parameter lists scopes
// that are all needed, so it cannot say "one of": on an any-of route it
// names one sufficient choice (the scopes_all and the first of
// scopes_any) and the error lists every alternative in ScopesAny.
func (rt *Route) Authorize(id *credential.Identity) error {
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

func sanitizeMethod(m string) string {
	if len(m) > 16 || strings.IndexFunc(m, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
		return "this method"
	}
	return m
}
