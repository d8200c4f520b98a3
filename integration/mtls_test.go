package integration

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/internal/gatewaytest"
	"github.com/authgate/authgate/internal/nginxtest"
	"github.com/authgate/authgate/internal/tokentest"
	"github.com/authgate/authgate/reason"
)

// pki is a CA, a server certificate for 127.0.0.1 and two client
// certificates, all made for the test, as PEM files in dir.
type pki struct {
	dir                string
	ca                 *x509.CertPool
	clientA, clientB   tls.Certificate
	serverCert, server string // PEM files of the server certificate and key
	caFile             string
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	p := &pki{dir: t.TempDir(), ca: x509.NewCertPool()}
	os.Chmod(p.dir, 0o755) // nginx's workers read it
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	p.ca.AddCert(caCert)
	p.caFile = p.write(t, "ca.pem", "CERTIFICATE", caDER)
	issue := func(serial int64, name string, usage x509.ExtKeyUsage) (tls.Certificate, []byte, *ecdsa.PrivateKey) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name}, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, der, key
	}
	_, serverDER, serverKey := issue(2, "127.0.0.1", x509.ExtKeyUsageServerAuth)
	p.serverCert = p.write(t, "server.pem", "CERTIFICATE", serverDER)
	keyDER, _ := x509.MarshalPKCS8PrivateKey(serverKey)
	p.server = p.write(t, "server.key", "PRIVATE KEY", keyDER)
	p.clientA, _, _ = issue(3, "client A", x509.ExtKeyUsageClientAuth)
	p.clientB, _, _ = issue(4, "client B", x509.ExtKeyUsageClientAuth)
	return p
}

func (p *pki) write(t *testing.T, name, typ string, der []byte) string {
	f := filepath.Join(p.dir, name)
	if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// client calls over TLS with cert (nil: none), trusting the test CA.
func (p *pki) client(cert *tls.Certificate) *http.Client {
	c := &tls.Config{RootCAs: p.ca}
	if cert != nil {
		c.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: c}, Timeout: 10 * time.Second}
}

// checkCertificateBinding makes the calls every mTLS setup must answer
// alike: a token bound to client A's certificate passes with A only.
func checkCertificateBinding(t *testing.T, p *pki, url string) {
	t.Helper()
	bound := signBound(t, p.clientA)
	a, b := p.clientA, p.clientB
	for _, c := range []struct {
		name   string
		cert   *tls.Certificate
		status int
		reason reason.Code
	}{
		{"the bound certificate", &a, 200, ""},
		{"another certificate", &b, 401, reason.CertificateMismatch},
	} {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+bound)
		resp, err := p.client(c.cert).Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var prob api.Problem
		json.Unmarshal(body, &prob)
		if resp.StatusCode != c.status || prob.Reason != string(c.reason) {
			t.Errorf("%s: %d %q (%s), want %d %q", c.name, resp.StatusCode, prob.Reason, prob.Detail, c.status, c.reason)
		}
	}
}

// signBound is a token bound to cert (cnf x5t#S256, RFC 8705).
func signBound(t *testing.T, cert tls.Certificate) string {
	return tokentest.Sign(t, map[string]any{"iss": issuer, "aud": "api", "sub": "alice", "scope": "read",
		"cnf": map[string]any{"x5t#S256": jwt.CertificateThumbprint(cert.Certificate[0])}}, nil)
}

// TestCertificateBoundOverTLSListener: authgate's own TLS listener asks
// for a client certificate (tls.client_auth: request); a token bound to
// one certificate is refused with another, and without one.
func TestCertificateBoundOverTLSListener(t *testing.T) {
	p := newPKI(t)
	upstream := gatewaytest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	jwksAddr := gatewaytest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(tokentest.JWKS()) }))
	a, cfg := gatewaytest.NewApp(t, fmt.Sprintf(`
admin: {listen: ""}
data_dir: %s
tls: {cert_file: %s, key_file: %s, client_auth: request}
issuers:
  - {name: main, issuer: "%s", audiences: [api], jwks_url: "http://%s/jwks"}
routes:
  - {name: api, path: /v1/*, upstream: "http://%s"}
`, t.TempDir(), p.serverCert, p.server, issuer, jwksAddr, upstream))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := gateway.NewServer(cfg, a.Handler())
	go srv.ServeTLS(ln, cfg.TLS.CertFile, cfg.TLS.KeyFile)
	t.Cleanup(func() { srv.Close() })
	target := "https://" + ln.Addr().String() + "/v1/data"
	checkCertificateBinding(t, p, target)
	req, _ := http.NewRequest("GET", target, nil)
	req.Header.Set("Authorization", "Bearer "+signBound(t, p.clientA))
	resp, err := p.client(nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("without a certificate: %d, want 401", resp.StatusCode)
	}
}

// decisionHeaders describe the original request to the decision
// endpoint (both asks): its method, URI, host with port, scheme, and the
// client certificate nginx verified.
const decisionHeaders = `proxy_pass_request_body off;
        proxy_set_header Content-Length "";
        proxy_set_header X-Original-URI $request_uri;
        proxy_set_header X-Original-Method $request_method;
        proxy_set_header X-Original-Host $http_host;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Client-Cert $ssl_client_escaped_cert;`

// TestCertificateBoundBehindNginx: nginx terminates mutual TLS
// (ssl_verify_client on) and passes the client certificate to the
// decision endpoint in $ssl_client_escaped_cert; a client's own copy of
// the header is replaced by nginx's.
func TestCertificateBoundBehindNginx(t *testing.T) {
	p := newPKI(t)
	s := startStack(t, "nginx", "client_certificate: {header: X-Client-Cert, format: nginx}",
		"routes:\n  - {name: api, path: /v1/*, upstream: \"UP\"}\n", false)
	addr, _ := nginxtest.Start(t, func(addr string) string {
		return fmt.Sprintf(`
upstream authgate { server %[1]s; }
server {
    listen %[2]s ssl;
    ssl_certificate %[3]s;
    ssl_certificate_key %[4]s;
    ssl_client_certificate %[5]s;
    ssl_verify_client on;
    location = /_authgate {
        internal;
        proxy_pass http://authgate/.authgate/decide;
        %[7]s
    }
    location @refused {
        internal;
        rewrite ^ /.authgate/decide break;
        proxy_pass http://authgate;
        %[7]s
    }
    location / {
        auth_request /_authgate;
        error_page 401 403 = @refused;
        proxy_pass http://%[6]s;
    }
}
`, s.gatewayAddr, addr, p.serverCert, p.server, p.caFile, s.upstreamAddr, decisionHeaders)
	})
	target := "https://" + addr + "/v1/data"
	checkCertificateBinding(t, p, target)
	// Client B sends client A's certificate in the header itself.
	req, _ := http.NewRequest("GET", target, nil)
	req.Header.Set("Authorization", "Bearer "+signBound(t, p.clientA))
	req.Header.Set("X-Client-Cert", strings.ReplaceAll(url.QueryEscape(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.clientA.Certificate[0]}))), "+", "%20"))
	resp, err := p.client(&p.clientB).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("client B with client A's certificate in the header: %d, want 401", resp.StatusCode)
	}
}
