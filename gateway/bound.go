package gateway

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/url"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/dpop"
	"github.com/authgate/authgate/credential/mtls"
)

// newProofVerifier is the DPoP proof verifier of cfg, or nil when no
// issuer or route takes DPoP. Its nonces are keyed with the fingerprint
// key, which every instance of a fleet shares: any instance accepts the
// nonce another issued. Used proofs are remembered in the state's replay
// cache (Redis across a fleet), which outlives reloads.
func newProofVerifier(cfg *config.Config, state *State, now func() time.Time) *dpop.Verifier {
	if !cfg.DPoPUsed() {
		return nil
	}
	secret := []byte(cfg.FingerprintKey)
	if len(secret) == 0 {
		secret = make([]byte, 32)
		rand.Read(secret)
	}
	return dpop.NewVerifier(cfg.DPoP, state.replay, dpop.NewNonces(secret, cfg.DPoP.NonceLifetime), now)
}

// binding is what a sender-constrained token of this request must match:
// the method and URL the client used (in a decision, the original
// request the trusted proxy describes), its DPoP proofs, and its client
// certificate — from this listener's TLS, or from a trusted proxy's
// header. It is nil, at no cost, for a request that carries none of them
// on a route that sets no dpop.
func (g *Gateway) binding(r *http.Request, ex *exchange) *credential.Binding {
	proofs := r.Header.Values(api.DPoPHeader)
	var cert []byte
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		cert = r.TLS.PeerCertificates[0].Raw
	}
	certHeader := g.clientCert.Header != "" && ex.viaProxy && len(r.Header.Values(g.clientCert.Header)) > 0
	if len(proofs) == 0 && cert == nil && !certHeader && ex.route.DPoP == "" {
		return nil
	}
	b := &credential.Binding{Proofs: proofs, Certificate: cert, DPoP: ex.route.DPoP, Method: r.Method}
	if certHeader && cert == nil {
		b.Certificate, b.CertificateError = g.proxyCertificate(r.Header)
	}
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if v := r.Header.Get("X-Forwarded-Proto"); ex.viaProxy && (v == "http" || v == "https") {
		scheme = v
	}
	if ex.decision && !g.convention.PathSuffix {
		b.Method, host = ex.origin.method, ex.origin.host
		scheme = cmp.Or(ex.origin.scheme, scheme)
	}
	b.URL = (&url.URL{Scheme: scheme, Host: host, Path: ex.path}).String()
	return b
}

// forgetProof lets a refused verdict-only decision's DPoP proof be used
// again: nginx asks once more, in full, with the same proof, to give the
// client the whole answer, and that answer must be the refusal's reason,
// not "replayed". The proof reached no upstream.
func (g *Gateway) forgetProof(ex *exchange) {
	if b := ex.presented.Binding; b != nil && b.Recorded != "" {
		g.state.replay.Forget(context.Background(), b.Recorded)
	}
}

// proxyCertificate reads the client certificate a trusted proxy passes:
// the header in its configured spelling, once.
func (g *Gateway) proxyCertificate(h http.Header) ([]byte, string) {
	values := h.Values(g.clientCert.Header)
	if len(values) > 1 {
		return nil, "the header " + g.clientCert.Header + " came more than once"
	}
	der, err := mtls.FromHeader(values[0], g.clientCert.Format)
	if err != nil {
		return nil, err.Error()
	}
	return der, ""
}

// certHeaderSpelling reports whether name spells the client-certificate
// header (in any spelling: a client's copy is removed or refused).
func (g *Gateway) certHeaderSpelling(name string) bool {
	return g.clientCert.Header != "" && spelledAs(name, g.clientCert.Header)
}

// clientAuthTLS is the listener's TLS configuration for tls.client_auth:
// request or require a client certificate; with client_ca_file, one
// that chains to those CAs. A CA file that cannot be read (it was
// readable when the configuration was checked) fails closed: an empty
// pool, which no certificate chains to.
func clientAuthTLS(t *config.TLS) *tls.Config {
	if t == nil || t.ClientAuth == "" || t.ClientAuth == config.ClientAuthNone {
		return nil
	}
	pool, err := t.ClientCAs()
	if err != nil {
		pool = x509.NewCertPool()
	}
	c := &tls.Config{ClientCAs: pool}
	switch {
	case t.ClientAuth == config.ClientAuthRequire && pool != nil:
		c.ClientAuth = tls.RequireAndVerifyClientCert
	case t.ClientAuth == config.ClientAuthRequire:
		c.ClientAuth = tls.RequireAnyClientCert
	case pool != nil:
		c.ClientAuth = tls.VerifyClientCertIfGiven
	default:
		c.ClientAuth = tls.RequestClientCert
	}
	return c
}
