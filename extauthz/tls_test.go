package extauthz_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// TestMutualTLS: with ext_authz_grpc.tls and client_ca_file, a client
// with a certificate of that CA is judged; one with another CA's
// certificate, or none, never gets a Check answered.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := newCert(t, nil, nil, "ca")
	server, serverKey := newCert(t, ca, caKey, "server")
	client, clientKey := newCert(t, ca, caKey, "envoy")
	stranger, strangerKey := newCert(t, nil, nil, "stranger")
	s := startStack(t, "envoy", "ext_authz_grpc: {listen: \"127.0.0.1:0\", tls: {cert_file: "+pemFile(t, dir, "server.pem", server, nil)+
		", key_file: "+pemFile(t, dir, "server-key.pem", nil, serverKey)+", client_ca_file: "+pemFile(t, dir, "ca.pem", ca, nil)+"}}\n")
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	bearer := "Bearer " + s.file.Tokens["valid"]
	check := func(certs []tls.Certificate) (*authv3.CheckResponse, error) {
		conn, err := grpc.NewClient(s.grpcAddr, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: roots, ServerName: "127.0.0.1", Certificates: certs})))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return authv3.NewAuthorizationClient(conn).Check(ctx, s.envoyRequest("GET", "/v1/data", "Authorization", bearer))
	}
	if resp, err := check([]tls.Certificate{{Certificate: [][]byte{client.Raw}, PrivateKey: clientKey}}); err != nil || resp.GetOkResponse() == nil {
		t.Fatalf("a client certificate of the CA: %v %v", resp, err)
	}
	if resp, err := check([]tls.Certificate{{Certificate: [][]byte{stranger.Raw}, PrivateKey: strangerKey}}); err == nil {
		t.Errorf("another CA's certificate got an answer: %v", resp)
	}
	if resp, err := check(nil); err == nil {
		t.Errorf("no client certificate got an answer: %v", resp)
	}
}

// newCert makes a certificate for 127.0.0.1 signed by parent (self-signed
// when nil).
func newCert(t *testing.T, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IsCA: parent == nil, BasicConstraintsValid: true}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// pemFile writes a certificate or a key as PEM and returns its path.
func pemFile(t *testing.T, dir, name string, cert *x509.Certificate, key *ecdsa.PrivateKey) string {
	t.Helper()
	block := &pem.Block{}
	if cert != nil {
		block.Type, block.Bytes = "CERTIFICATE", cert.Raw
	} else {
		der, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		block.Type, block.Bytes = "EC PRIVATE KEY", der
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
