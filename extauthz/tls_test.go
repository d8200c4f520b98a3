package extauthz_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/authgate/authgate/internal/certtest"
)

// TestMutualTLS: with ext_authz_grpc.tls and client_ca_file, a client
// with a certificate of that CA is judged; one with another CA's
// certificate, or none, never gets a Check answered.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := certtest.New(t, nil, "ca")
	caFile, _ := ca.Files(t, dir, "ca")
	serverCert, serverKey := certtest.New(t, ca, "server").Files(t, dir, "server")
	s := startStack(t, "envoy", "ext_authz_grpc: {listen: \"127.0.0.1:0\", tls: {cert_file: "+serverCert+", key_file: "+serverKey+", client_ca_file: "+caFile+"}}\n")
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
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
	if resp, err := check([]tls.Certificate{certtest.New(t, ca, "envoy").TLS()}); err != nil || resp.GetOkResponse() == nil {
		t.Fatalf("a client certificate of the CA: %v %v", resp, err)
	}
	if resp, err := check([]tls.Certificate{certtest.New(t, nil, "stranger").TLS()}); err == nil {
		t.Errorf("another CA's certificate got an answer: %v", resp)
	}
	if resp, err := check(nil); err == nil {
		t.Errorf("no client certificate got an answer: %v", resp)
	}
}
