package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/internal/strictyaml"
)

// Error is a configuration error at one place in one file.
type Error = strictyaml.Error

// Load reads, expands, decodes and validates the file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	return Parse(path, data, os.LookupEnv)
}

// Parse is Load on data already read; lookup resolves ${VAR}.
func Parse(file string, data []byte, lookup func(string) (string, bool)) (*Config, error) {
	return parse(file, data, lookup, false)
}

// ParseService is Parse for the gateway inside a service (package
// middleware): the same file, without routes — the service's own mux
// routes its requests, so a routes section is refused rather than
// silently ignored.
func ParseService(file string, data []byte, lookup func(string) (string, bool)) (*Config, error) {
	return parse(file, data, lookup, true)
}

func parse(file string, data []byte, lookup func(string) (string, bool), service bool) (*Config, error) {
	cfg := Default()
	cfg.File = file
	at, err := strictyaml.Decode(file, data, lookup, cfg)
	if err != nil {
		return nil, err
	}
	cfg.service = service
	cfg.normalise()
	if err := cfg.validate(at); err != nil {
		return nil, err
	}
	if err := cfg.load(at); err != nil {
		return nil, err
	}
	return cfg, nil
}

// load reads what the validated configuration refers to: the secrets
// given as files, the TLS certificates and keys (each read once here, to
// refuse a bad one at start), the issuers' keys as each issuer provisions
// itself (dpop's settings too), and this host's name for instance.
func (c *Config) load(at locate) error {
	if t := c.TLS; t != nil {
		if _, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err != nil {
			return at("tls", "%v", err)
		}
		if _, err := t.ClientCAs(); err != nil {
			return at("tls.client_ca_file", "%v", err)
		}
	}
	if err := c.DPoP.Provision(); err != nil {
		return at("dpop", "%v", err)
	}
	if c.Instance == "" {
		host, _ := os.Hostname()
		_, port, _ := net.SplitHostPort(c.Listen)
		c.Instance = host + ":" + port
	}
	if c.Store.Driver == DriverPostgres {
		if err := c.loadSecret(&c.Store.DSN, &c.Store.DSNFile, "store.dsn", at); err != nil {
			return err
		}
	}
	if o := c.Console.OIDC; o != nil {
		if err := c.loadSecret(&o.ClientSecret, &o.ClientSecretFile, "console.oidc.client_secret", at); err != nil {
			return err
		}
	}
	if err := c.loadRedis(&c.RateLimits.Redis, at); err != nil {
		return err
	}
	if t := c.ExtAuthzGRPC.TLS; t != nil && c.ExtAuthzGRPC.Listen != "" {
		if _, err := t.ServerTLS(); err != nil {
			return at("ext_authz_grpc.tls", "%v", err)
		}
	}
	if err := c.loadSecret(&c.FingerprintKey, &c.FingerprintKeyFile, "fingerprint_key", at); err != nil {
		return err
	}
	for i, is := range c.Issuers {
		if err := c.loadIssuer(is, fmt.Sprintf("issuers[%d]", i), at); err != nil {
			return err
		}
	}
	return nil
}

// loadRedis reads rate_limits.redis's passwords and TLS files.
func (c *Config) loadRedis(r *Redis, at locate) error {
	const p = "rate_limits.redis"
	if err := c.loadSecret(&r.Password, &r.PasswordFile, p+".password", at); err != nil {
		return err
	}
	if s := r.Sentinel; s != nil {
		if err := c.loadSecret(&s.Password, &s.PasswordFile, p+".sentinel.password", at); err != nil {
			return err
		}
	}
	if _, err := r.TLSConfig(); err != nil {
		return at(p+".tls", "%v", err)
	}
	return nil
}

// loadIssuer reads the issuer's secrets and provisions it: it reads its
// key files and checks itself.
func (c *Config) loadIssuer(is *jwt.IssuerConfig, p string, at locate) error {
	if err := c.loadSecret(&is.Secret, &is.SecretFile, p+".secret", at); err != nil {
		return err
	}
	if in := is.Introspection; in != nil {
		if err := c.loadSecret(&in.ClientSecret, &in.ClientSecretFile, p+".introspection.client_secret", at); err != nil {
			return err
		}
	}
	err := is.Provision(func(name string) ([]byte, error) { return os.ReadFile(c.relative(name)) })
	var fe *jwt.FieldError
	if errors.As(err, &fe) {
		if fe.Field != "" {
			return at(p+"."+fe.Field, "%s", fe.Msg)
		}
		return at(p, "%s", fe.Msg)
	}
	return err
}

// loadSecret reads a secret given through its *_file twin into value
// (checkSecret has refused one given both ways); file is then empty.
func (c *Config) loadSecret(value, file *string, key string, at locate) error {
	if *file == "" {
		return nil
	}
	data, err := os.ReadFile(c.relative(*file))
	if err != nil {
		return at(key+"_file", "%v", err)
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
	if s == "" {
		return at(key+"_file", "%s is empty", *file)
	}
	*value, *file = s, ""
	return nil
}
