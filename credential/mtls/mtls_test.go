package mtls

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"
)

func testCert(t testing.TB) []byte {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// escape is how nginx escapes $ssl_client_escaped_cert (a space is %20).
func escape(der []byte) string {
	return strings.ReplaceAll(url.QueryEscape(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))), "+", "%20")
}

func TestFromHeader(t *testing.T) {
	der := testCert(t)
	escaped := escape(der)
	cases := []struct {
		name, value, format string
		want                error
	}{
		{"nginx", escaped, Nginx, nil},
		{"envoy one element", `By=spiffe://a;Hash=x;Cert="` + escaped + `";Subject="CN=client"`, Envoy, nil},
		{"envoy last element is read", `Cert="garbage",By=x;Cert="` + escaped + `"`, Envoy, nil},
		{"envoy last element without cert", `Cert="` + escaped + `",By=x;Hash=y`, Envoy, ErrNoCert},
		{"nginx none", "", Nginx, ErrNoCert},
		{"nginx dash", "-", Nginx, ErrNoCert},
		{"not pem", "hello", Nginx, ErrBadCert},
		{"bad escape", "%zz", Nginx, ErrBadCert},
		{"too large", string(make([]byte, MaxHeaderBytes+1)), Nginx, ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := FromHeader(c.value, c.format)
			if !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
			if c.want == nil && !bytes.Equal(got, der) {
				t.Fatal("another certificate came out")
			}
		})
	}
}

func FuzzFromHeader(f *testing.F) {
	der := testCert(f)
	f.Add(escape(der), true)
	f.Add(`By=a;Cert="%2D%2D";Hash=b`, false)
	f.Fuzz(func(t *testing.T, v string, nginx bool) {
		format := Envoy
		if nginx {
			format = Nginx
		}
		got, err := FromHeader(v, format)
		if err == nil {
			if _, perr := x509.ParseCertificate(got); perr != nil {
				t.Fatal("FromHeader returned a certificate that does not parse")
			}
		}
	})
}
