package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestExtAuthzSettings: ext_authz_grpc is off by default; on, it needs
// an address of its own and the decision endpoint, a bounded timeout
// (default 5s), and a usable certificate, key and client CA.
func TestExtAuthzSettings(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeCert(t, dir)
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

// writeCert writes a self-signed certificate and its key.
func writeCert(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "authgate"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(k)
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return cert, key
}
