// Package mtls reads the client certificate a proxy that terminates
// mutual TLS passes on in a header, for certificate-bound tokens (RFC
// 8705): nginx's $ssl_client_escaped_cert and Envoy's
// X-Forwarded-Client-Cert. Whether the header is believed (only from
// trusted proxies) is the gateway's rule; this package only parses.
package mtls

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/url"
	"strings"
)

// Header formats.
const (
	// Nginx is $ssl_client_escaped_cert: the PEM certificate, URL-escaped.
	Nginx = "nginx"
	// Envoy is X-Forwarded-Client-Cert: elements separated by ',', each
	// of key=value pairs separated by ';', the certificate in Cert as a
	// URL-escaped PEM. The last element is the one the nearest proxy
	// added, about its own client.
	Envoy = "envoy"
)

// MaxHeaderBytes bounds a certificate header before any parsing.
const MaxHeaderBytes = 16 << 10

// Errors of FromHeader; their text names no part of the header.
var (
	ErrTooLarge = errors.New("the certificate header is larger than 16 KiB")
	ErrNoCert   = errors.New("the certificate header holds no certificate")
	ErrBadCert  = errors.New("the certificate header's certificate is not a PEM X.509 certificate")
)

// FromHeader returns the DER client certificate in value, written in
// format (Nginx or Envoy). An empty value, or nginx's "-" or "" for no
// certificate, yields ErrNoCert.
func FromHeader(value, format string) ([]byte, error) {
	if len(value) > MaxHeaderBytes {
		return nil, ErrTooLarge
	}
	escaped := value
	if format == Envoy {
		escaped = xfccCert(value)
	}
	if escaped == "" || escaped == "-" {
		return nil, ErrNoCert
	}
	text, err := url.PathUnescape(escaped)
	if err != nil {
		return nil, ErrBadCert
	}
	block, _ := pem.Decode([]byte(text))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, ErrBadCert
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		return nil, ErrBadCert
	}
	return block.Bytes, nil
}

// xfccCert is the Cert value of the last element of an XFCC header
// ("" when it has none). Values may be quoted; the certificate's is
// URL-escaped, so it holds no ',', ';' or '"' of its own.
func xfccCert(v string) string {
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	for _, pair := range strings.Split(v, ";") {
		k, val, _ := strings.Cut(strings.TrimSpace(pair), "=")
		if strings.EqualFold(k, "Cert") {
			return strings.Trim(val, `"`)
		}
	}
	return ""
}
