package jwt

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/credential"
)

// Issuer defaults, applied by Provision to zero values.
const (
	DefaultLeeway         = 30 * time.Second
	DefaultJWKSRefresh    = 5 * time.Minute
	DefaultJWKSMinRefetch = 30 * time.Second
)

// IssuerConfig is one trusted issuer as the configuration file gives it,
// with exactly one key source. It maps 1:1 to the file; Provision checks
// it and fills defaults, Runtime makes the verifier's Issuer of it, so an
// issuer option is added here and nowhere else.
type IssuerConfig struct {
	Name      string   `yaml:"name"`
	Issuer    string   `yaml:"issuer"`
	Audiences []string `yaml:"audiences"`
	// AudienceClaim names the claim holding the audience (default aud).
	AudienceClaim string   `yaml:"audience_claim"`
	Algorithms    []string `yaml:"algorithms"`

	// Discovery reads the key set's address from the issuer's OpenID
	// discovery document (or RFC 8414 metadata); the default when no key
	// source is named.
	Discovery *bool `yaml:"discovery"`

	JWKSURL        string        `yaml:"jwks_url"`
	JWKSRefresh    time.Duration `yaml:"jwks_refresh"`
	JWKSMinRefetch time.Duration `yaml:"jwks_min_refetch"`

	KeysFile string `yaml:"keys_file"`

	// Secret is an HMAC key; the configuration loader resolves
	// secret_file into it before Provision.
	Secret         string `yaml:"secret"`
	SecretFile     string `yaml:"secret_file"`
	SecretEncoding string `yaml:"secret_encoding"`

	// Introspection asks the issuer's RFC 7662 endpoint about opaque
	// (non-JWT) Bearer tokens.
	Introspection *Introspection `yaml:"introspection"`

	RequiredType string `yaml:"required_type"`
	// Environment of this issuer's tokens; EnvironmentClaim, when set, names
	// a claim whose value overrides it per token.
	Environment      string         `yaml:"environment"`
	EnvironmentClaim string         `yaml:"environment_claim"`
	AllowMissingExp  bool           `yaml:"allow_missing_exp"`
	Leeway           *time.Duration `yaml:"leeway"`
	// DPoP: off (default), allowed or required (RFC 9449).
	DPoP string `yaml:"dpop"`

	// Keys are the static keys, loaded by Provision.
	Keys []Key `yaml:"-"`
}

// FieldError names the key of an IssuerConfig that is wrong ("" for the
// issuer as a whole), so the loader can point at its file and line.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Msg }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Provision checks c, fills its defaults and loads its static keys;
// readFile reads a file the configuration names (keys_file). Errors are
// *FieldError.
func (c *IssuerConfig) Provision(readFile func(name string) ([]byte, error)) error {
	switch {
	case c.Name == "":
		return fieldErr("", "name is required")
	case strings.ContainsAny(c.Name, ":\x00\r\n") || len(c.Name) > 64:
		return fieldErr("name", "%q: at most 64 characters, without ':' (the upstream's subject is token:<name>:<sub>)", c.Name)
	case c.Issuer == "":
		return fieldErr("", "issuer (the exact iss value of its tokens) is required")
	case len(c.Audiences) == 0:
		return fieldErr("", "audiences is required: tokens must name this API in aud (RFC 8725 §3.9)")
	case c.Environment != "" && !credential.ValidEnvironment(c.Environment):
		return fieldErr("environment", "%q: use 1-16 lower-case letters and digits", c.Environment)
	case !ValidDPoPMode(c.DPoP):
		return fieldErr("dpop", "%q: use off, allowed or required", c.DPoP)
	case c.AudienceClaim != "" && (strings.TrimSpace(c.AudienceClaim) != c.AudienceClaim || strings.ContainsAny(c.AudienceClaim, " \t\r\n") || len(c.AudienceClaim) > 100):
		return fieldErr("audience_claim", "%q: give one claim name (client_id for Amazon Cognito's access tokens)", c.AudienceClaim)
	}
	if c.Leeway == nil {
		lw := DefaultLeeway
		c.Leeway = &lw
	} else if *c.Leeway < 0 || *c.Leeway > DefaultLeeway*10 {
		return fieldErr("leeway", "must be between 0s and 5m")
	}
	sources := 0
	for _, set := range []bool{c.JWKSURL != "", c.KeysFile != "", c.Secret != ""} {
		if set {
			sources++
		}
	}
	switch discover := c.Discovery == nil || *c.Discovery; {
	case sources == 0 && discover:
		if err := CheckFetchURL(c.Issuer); err != nil {
			return fieldErr("issuer", "discovery reads %s/.well-known/openid-configuration: %v", strings.TrimSuffix(c.Issuer, "/"), err)
		}
		t := true
		c.Discovery = &t
	case sources == 0 && c.Introspection != nil:
		// Opaque tokens only: introspection judges them, no keys needed.
	case sources == 0:
		return fieldErr("", "give a key source: jwks_url, keys_file, or secret/secret_file, or let discovery find it (discovery: true)")
	case sources > 1:
		return fieldErr("", "give exactly one key source: jwks_url, keys_file, or secret/secret_file (found %d)", sources)
	case c.Discovery != nil && *c.Discovery:
		return fieldErr("discovery", "discovery finds the key set: give no jwks_url, keys_file or secret with it")
	}
	if c.Introspection != nil {
		if err := c.Introspection.check(c.Discovers(), readFile); err != nil {
			return err
		}
	}
	hmac := c.Secret != ""
	if len(c.Algorithms) == 0 {
		c.Algorithms = DefaultAlgorithms
		if hmac {
			c.Algorithms = []string{"HS256"}
		}
	}
	for _, alg := range c.Algorithms {
		m := gojwt.GetSigningMethod(alg)
		switch {
		case m == nil || alg == "none":
			return fieldErr("algorithms", "%q is not a supported algorithm", alg)
		case strings.HasPrefix(alg, "HS") != hmac:
			return fieldErr("algorithms", "%q does not fit the key source: HS* only with a secret, and a secret only with HS*", alg)
		}
	}
	switch {
	case hmac:
		key, err := decodeSecret(c.Secret, c.SecretEncoding)
		if err != nil {
			return fieldErr("secret_encoding", "%v", err)
		}
		for _, alg := range c.Algorithms {
			if need := gojwt.GetSigningMethod(alg).(*gojwt.SigningMethodHMAC).Hash.Size(); len(key) < need {
				return fieldErr("secret", "%s needs a secret of at least %d bytes, this one has %d (RFC 7518 §3.2)", alg, need, len(key))
			}
		}
		c.Keys = []Key{{Secret: key}}
		c.Secret, c.SecretFile = "", ""
	case c.KeysFile != "":
		data, err := readFile(c.KeysFile)
		if err != nil {
			return fieldErr("keys_file", "%v", err)
		}
		if c.Keys, err = ParseKeyFile(data); err != nil {
			return fieldErr("keys_file", "%v", err)
		}
	case c.Discovers():
		return c.remoteDefaults()
	case sources == 0: // introspection only
	default:
		if err := CheckFetchURL(c.JWKSURL); err != nil {
			return fieldErr("jwks_url", "%v", err)
		}
		return c.remoteDefaults()
	}
	return nil
}

// remoteDefaults fills and checks the refresh intervals of a fetched key
// set.
func (c *IssuerConfig) remoteDefaults() error {
	if c.JWKSRefresh == 0 {
		c.JWKSRefresh = DefaultJWKSRefresh
	}
	if c.JWKSMinRefetch == 0 {
		c.JWKSMinRefetch = DefaultJWKSMinRefetch
	}
	if c.JWKSRefresh < 0 || c.JWKSMinRefetch < 0 {
		return fieldErr("jwks_refresh", "intervals must be positive")
	}
	return nil
}

// Fetched reports whether the issuer's keys are fetched (jwks_url or
// discovery), so they belong to long-lived state.
func (c *IssuerConfig) Fetched() bool { return c.JWKSURL != "" || c.Discovers() }

// Discovers reports whether discovery finds the key set.
func (c *IssuerConfig) Discovers() bool { return c.JWKSURL == "" && c.Discovery != nil && *c.Discovery }

// Runtime is the issuer as the verifier takes it. Static keys are set; a
// fetched source (jwks_url, discovery) is the caller's to set, as it may
// outlive this configuration.
func (c *IssuerConfig) Runtime() *Issuer {
	r := &Issuer{Name: c.Name, Issuer: c.Issuer, Audiences: c.Audiences, AudienceClaim: c.AudienceClaim, Algorithms: c.Algorithms,
		RequiredType: c.RequiredType, RequireExp: !c.AllowMissingExp, Leeway: *c.Leeway,
		Environment: c.Environment, EnvironmentClaim: c.EnvironmentClaim, Introspection: c.Introspection, DPoP: c.DPoP}
	if !c.Fetched() {
		r.Keys = NewStaticKeys(c.Keys)
	}
	return r
}

func decodeSecret(s, encoding string) ([]byte, error) {
	switch encoding {
	case "", "raw":
		return []byte(s), nil
	case "base64":
		return base64.StdEncoding.DecodeString(s)
	case "base64url":
		return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	}
	return nil, fmt.Errorf("%q is not one of raw, base64, base64url", encoding)
}

// CheckFetchURL requires https, except on loopback (tests, sidecars): the
// rule of every URL authgate fetches by itself (key sets, discovery,
// introspection, the console's OIDC endpoints).
func CheckFetchURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not a URL", raw)
	}
	if u.Scheme == "https" {
		return nil
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); u.Scheme == "http" && (host == "localhost" || ip != nil && ip.IsLoopback()) {
		return nil
	}
	return fmt.Errorf("%q must be https (plain http only on loopback): keys fetched over http can be replaced in transit", raw)
}
