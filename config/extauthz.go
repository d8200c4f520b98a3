package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"time"
)

// ExtAuthzGRPC serves Envoy's gRPC authorization API
// (envoy.service.auth.v3.Authorization/Check) on a listener of its own.
// Each Check is judged as a request to the decision endpoint, so
// decision_path must be on; only trusted_proxies are answered.
type ExtAuthzGRPC struct {
	// Listen is its address (host:port); "" (the default) turns it off.
	Listen string `yaml:"listen"`
	// TLS, when set, makes the listener speak gRPC over TLS; with
	// client_ca_file only clients with a certificate of that CA connect.
	TLS *GRPCTLS `yaml:"tls"`
	// Timeout bounds one Check whatever deadline the caller sets
	// (default 5s); past it the answer is 503 auth_unavailable.
	Timeout time.Duration `yaml:"timeout"`
	// ForwardCredentials keeps Authorization and the api_key_headers on
	// allowed requests; by default the answer tells Envoy to remove them,
	// and the upstream learns who called from the identity headers.
	ForwardCredentials bool `yaml:"forward_credentials"`
}

// GRPCTLS are the gRPC listener's certificate and key, and the CA its
// clients' certificates must chain to (optional).
type GRPCTLS struct {
	CertFile     string `yaml:"cert_file"`
	KeyFile      string `yaml:"key_file"`
	ClientCAFile string `yaml:"client_ca_file"`
}

// DefaultExtAuthzTimeout bounds one Check when ext_authz_grpc.timeout
// is not set.
const DefaultExtAuthzTimeout = 5 * time.Second

// ServerTLS is the listener's TLS configuration: its certificate and,
// with client_ca_file, client certificates required and verified.
func (t *GRPCTLS) ServerTLS() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, err
	}
	out := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2"}}
	if t.ClientCAFile == "" {
		return out, nil
	}
	pem, err := os.ReadFile(t.ClientCAFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errNoCertificates
	}
	out.ClientCAs, out.ClientAuth = pool, tls.RequireAndVerifyClientCert
	return out, nil
}

var errNoCertificates = errors.New("client_ca_file holds no PEM certificate")

// normaliseExtAuthz fills the gRPC listener's timeout and resolves its
// TLS files, when it listens.
func (c *Config) normaliseExtAuthz() {
	e := &c.ExtAuthzGRPC
	if e.Listen == "" {
		return
	}
	if e.Timeout == 0 {
		e.Timeout = DefaultExtAuthzTimeout
	}
	if t := e.TLS; t != nil {
		c.resolve(&t.CertFile, &t.KeyFile, &t.ClientCAFile)
	}
}

// validateExtAuthz checks the gRPC listener for Envoy's ext_authz.
func (c *Config) validateExtAuthz(at locate) error {
	e := &c.ExtAuthzGRPC
	if e.Listen == "" {
		if e.TLS != nil {
			return at("ext_authz_grpc.tls", "set ext_authz_grpc.listen too, or remove tls")
		}
		return nil
	}
	if _, _, err := net.SplitHostPort(e.Listen); err != nil || e.Listen == c.Listen || e.Listen == c.Admin.Listen {
		return at("ext_authz_grpc.listen", "%q is not host:port, or is the gateway's or the admin listener's address", e.Listen)
	}
	if c.DecisionPath == "" {
		return at("ext_authz_grpc", "each Check is judged as a request to the decision endpoint: set decision_path (default /.authgate/decide)")
	}
	if e.Timeout < 100*time.Millisecond || e.Timeout > time.Minute {
		return at("ext_authz_grpc.timeout", "must be between 100ms and 1m (default %s)", DefaultExtAuthzTimeout)
	}
	if t := e.TLS; t != nil && (t.CertFile == "" || t.KeyFile == "") {
		return at("ext_authz_grpc.tls", "cert_file and key_file are both required")
	}
	return nil
}

// Same reports whether o configures the same listener as e.
func (e ExtAuthzGRPC) Same(o ExtAuthzGRPC) bool {
	if (e.TLS == nil) != (o.TLS == nil) || e.TLS != nil && *e.TLS != *o.TLS {
		return false
	}
	e.TLS, o.TLS = nil, nil
	return e == o
}
