package config

import (
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/authgate/authgate/internal/certtest"
)

// TestExtAuthzSettings: ext_authz_grpc is off by default; on, it needs
// an address of its own and the decision endpoint, a bounded timeout
// (default 5s), and a usable certificate, key and client CA.
func TestExtAuthzSettings(t *testing.T) {
	dir := t.TempDir()
	cert, key := certtest.New(t, nil, "authgate").Files(t, dir, "authgate")
	empty := filepath.Join(dir, "empty.pem")
	os.WriteFile(empty, []byte("no certificate here\n"), 0o600)
	for _, tt := range []struct{ name, doc, key string }{
		{"tls without listen", "ext_authz_grpc: {tls: {cert_file: a, key_file: b}}\n", "ext_authz_grpc.tls"},
		{"not host:port", "ext_authz_grpc: {listen: nine}\n", "ext_authz_grpc.listen"},
		{"the gateway's address", "ext_authz_grpc: {listen: \"127.0.0.1:9999\"}\n", "ext_authz_grpc.listen"},
		{"no decision endpoint", "decision_path: \"\"\next_authz_grpc: {listen: \":9191\"}\n", "ext_authz_grpc"},
		{"timeout too short", "ext_authz_grpc: {listen: \":9191\", timeout: 1ms}\n", "ext_authz_grpc.timeout"},
		{"certificate without key", "ext_authz_grpc: {listen: \":9191\", tls: {cert_file: " + cert + "}}\n", "ext_authz_grpc.tls"},
		{"client CA without certificates", "ext_authz_grpc: {listen: \":9191\", tls: {cert_file: " + cert + ", key_file: " + key + ", client_ca_file: " + empty + "}}\n", "ext_authz_grpc.tls"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("gw.yaml", []byte(base+tt.doc), env(nil))
			var ce *Error
			if !errors.As(err, &ce) || ce.Key != tt.key {
				t.Fatalf("err = %v, want one at %s", err, tt.key)
			}
		})
	}
	cfg, err := Parse("gw.yaml", []byte(base), env(nil))
	if err != nil || cfg.ExtAuthzGRPC.Listen != "" {
		t.Fatalf("off by default: %v %+v", err, cfg.ExtAuthzGRPC)
	}
	cfg, err = Parse("gw.yaml", []byte(base+"ext_authz_grpc: {listen: \":9191\", tls: {cert_file: "+cert+", key_file: "+key+", client_ca_file: "+cert+"}}\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ExtAuthzGRPC.Timeout != DefaultExtAuthzTimeout {
		t.Errorf("timeout %s, want the default", cfg.ExtAuthzGRPC.Timeout)
	}
	tc, err := cfg.ExtAuthzGRPC.TLS.ServerTLS()
	if err != nil || tc.ClientAuth != tls.RequireAndVerifyClientCert || tc.ClientCAs == nil {
		t.Errorf("client certificates are not required: %v", err)
	}
	other := cfg.ExtAuthzGRPC
	other.TLS = &GRPCTLS{CertFile: cert, KeyFile: key}
	if !cfg.ExtAuthzGRPC.Same(cfg.ExtAuthzGRPC) || cfg.ExtAuthzGRPC.Same(other) {
		t.Error("Same does not compare the TLS settings")
	}
}
