package config

import (
	"net/url"
	"slices"
	"strings"

	"github.com/authgate/authgate/credential/jwt"
)

// ReservedRoutePrefix starts the route labels authgate gives its own
// traffic (_admin, _internal, _unmatched): no configured route's name may
// start with it, so metrics, logs and spans never sum the two.
const ReservedRoutePrefix = "_"

// Console defaults.
const (
	DefaultRecentRequests = 10000
	// MaxRecentRequests bounds the ring (each entry is a few hundred
	// bytes).
	MaxRecentRequests = 1_000_000
	// DefaultRolesClaim is the claim of the identity provider's ID token
	// (or of an admin JWT) that names the console role.
	DefaultRolesClaim = "roles"
)

// Console roles: admin may do everything, viewer may only look.
const (
	RoleAdmin  = "admin"
	RoleViewer = "viewer"
)

// Console tunes the web console (admin.console turns it on or off): the
// recent-requests ring that lets a Request-Id find any recent request,
// and sign-in with the company's OpenID Connect provider.
type Console struct {
	// RecentRequests is how many finished requests (allowed and refused)
	// this instance remembers for Request-Id lookups; 0 turns the ring
	// off. The ring holds no credential, only fingerprints.
	RecentRequests int `yaml:"recent_requests"`
	// SampleAllowed is the share of allowed requests the ring keeps
	// (refused ones are always kept); 1 keeps every one.
	SampleAllowed float64 `yaml:"sample_allowed"`
	// Roles map the identity provider's (or an admin JWT's) claim to the
	// console's roles.
	Roles ConsoleRoles `yaml:"roles"`
	// OIDC, when set, offers sign-in with an OpenID Connect provider
	// (authorization code + PKCE) besides the admin key.
	OIDC *ConsoleOIDC `yaml:"oidc"`
}

// ConsoleRoles say which values of which claim make an admin or a
// viewer. A claim holding neither gives an OIDC sign-in no role (refused);
// an admin JWT without the claim stays an admin (its scope admin opened
// the admin API already).
type ConsoleRoles struct {
	// Claim is a claim name or a dotted path (realm_access.roles); its
	// value is a string, a space-separated string or an array of strings.
	Claim  string   `yaml:"claim"`
	Admin  []string `yaml:"admin"`
	Viewer []string `yaml:"viewer"`
}

// ConsoleOIDC is the console's OpenID Connect client.
type ConsoleOIDC struct {
	// Name labels the sign-in button ("Sign in with <name>").
	Name string `yaml:"name"`
	// Issuer is the provider's exact issuer; its discovery document
	// (/.well-known/openid-configuration) gives the endpoints and keys.
	Issuer   string `yaml:"issuer"`
	ClientID string `yaml:"client_id"`
	// ClientSecret (or ClientSecretFile) authenticates the console at
	// the token endpoint; empty: a public client (PKCE only).
	ClientSecret     string `yaml:"client_secret"`
	ClientSecretFile string `yaml:"client_secret_file"`
	// RedirectURL is the console's callback as the browser reaches the
	// admin listener: https://admin.example.com/console/oidc/callback.
	RedirectURL string `yaml:"redirect_url"`
	// Scopes asked for besides openid.
	Scopes []string `yaml:"scopes"`
}

// ConsolePaths.
const (
	// OIDCCallbackPath is where the provider sends the browser back.
	OIDCCallbackPath = "/console/oidc/callback"
)

func defaultConsole() Console {
	return Console{RecentRequests: DefaultRecentRequests, SampleAllowed: 1,
		Roles: ConsoleRoles{Claim: DefaultRolesClaim, Admin: []string{RoleAdmin}, Viewer: []string{RoleViewer}}}
}

// normaliseConsole names the console's OIDC provider, when the file does
// not, by its issuer's host (else the redirect URL's).
func (c *Config) normaliseConsole() {
	o := c.Console.OIDC
	if o == nil || o.Name != "" {
		return
	}
	if u, err := url.Parse(o.RedirectURL); err == nil {
		o.Name = u.Hostname()
	}
	if iss, err := url.Parse(o.Issuer); err == nil {
		o.Name = iss.Hostname()
	}
}

// validateConsole checks the console's settings and its OIDC sign-in.
func (c *Config) validateConsole(at locate) error {
	cc := &c.Console
	switch {
	case cc.RecentRequests < 0 || cc.RecentRequests > MaxRecentRequests:
		return at("console.recent_requests", "must be between 0 (off) and %d", MaxRecentRequests)
	case cc.SampleAllowed < 0 || cc.SampleAllowed > 1:
		return at("console.sample_allowed", "must be between 0 (keep no allowed request) and 1 (keep every one)")
	case cc.Roles.Claim == "" || strings.ContainsAny(cc.Roles.Claim, " \t\r\n"):
		return at("console.roles.claim", "a claim name or dotted path, without spaces")
	case len(cc.Roles.Admin) == 0:
		return at("console.roles.admin", "name at least one value of %s that makes an admin", cc.Roles.Claim)
	}
	for _, v := range cc.Roles.Admin {
		if slices.Contains(cc.Roles.Viewer, v) {
			return at("console.roles", "%q is both an admin and a viewer value", v)
		}
	}
	o := cc.OIDC
	if o == nil {
		return nil
	}
	if jwt.CheckFetchURL(o.Issuer) != nil {
		return at("console.oidc.issuer", "%q must be an https URL (plain http only on loopback)", o.Issuer)
	}
	if o.ClientID == "" {
		return at("console.oidc.client_id", "is required")
	}
	u, err := url.Parse(o.RedirectURL)
	if err != nil || !isHTTPURL(o.RedirectURL) || u.Path != OIDCCallbackPath || u.RawQuery != "" || u.Fragment != "" {
		return at("console.oidc.redirect_url", "%q must be the admin listener's http(s) URL with the path %s and no query", o.RedirectURL, OIDCCallbackPath)
	}
	for i, s := range o.Scopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n\"\\") {
			return at("console.oidc.scopes", "scope %d is not a scope token", i)
		}
	}
	return checkSecret(o.ClientSecret, o.ClientSecretFile, "console.oidc.client_secret", at)
}
