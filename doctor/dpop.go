package doctor

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/authgate/authgate/internal/rawjson"
	"github.com/authgate/authgate/reason"
)

// Findings of sender-constrained tokens: DPoP (RFC 9449) and
// certificate-bound tokens (RFC 8705).
const (
	DPoPProofMissing   Code = "dpop_proof_missing"
	DPoPProofRefused   Code = "dpop_proof_refused"
	DPoPNonceRequired  Code = "dpop_nonce_required"
	DPoPHTUMismatch    Code = "dpop_htu_mismatch"
	DPoPBoundAsBearer  Code = "dpop_token_sent_as_bearer"
	CertificateMissing Code = "certificate_bound_token_without_certificate"
)

// dpopFix are the fixes of the sender-constraint findings.
var dpopFix = map[Code]string{
	DPoPProofMissing: "Send 'Authorization: DPoP <token>' and a DPoP header with a proof made for this very request: " +
		"a JWT of typ dpop+jwt signed by the key the token is bound to, with htm, htu, iat, a new jti and ath (authgate jwt dpop --key KEY --method M --url URL --token T makes one).",
	DPoPProofRefused: "Make a new proof for each request (a new jti, iat now), with an algorithm the DPoP challenge's algs name, " +
		"signed by the key the token is bound to, and ath the hash of the token sent with it.",
	DPoPNonceRequired: "Put the value of the answer's DPoP-Nonce header in the proof's nonce claim and send the request again; clients that speak DPoP do this once by themselves.",
	DPoPHTUMismatch: "The proof's htu must be the URL the client called, without query or fragment — behind a proxy or load balancer that is the public URL (https, public host and port), not the upstream's; " +
		"htm must be the method. For authgate behind nginx, the decision request needs X-Forwarded-Proto $scheme and X-Original-Host $http_host.",
	DPoPBoundAsBearer: "This token is bound to a key (cnf.jkt): send it as 'Authorization: DPoP <token>' with a DPoP proof header, not as Bearer.",
	CertificateMissing: "The token is bound to a client certificate (cnf x5t#S256): call over mutual TLS with that certificate (curl --cert CERT --key KEY), " +
		"and if a proxy terminates TLS, it must pass the certificate on (nginx $ssl_client_escaped_cert, Envoy X-Forwarded-Client-Cert).",
}

// dpopReasons map authgate's reasons to these findings.
var dpopReasons = map[reason.Code]Code{
	reason.DPoPProofMissing: DPoPProofMissing, reason.DPoPProofInvalid: DPoPProofRefused, reason.DPoPProofReplayed: DPoPProofRefused,
	reason.DPoPProofTokenMismatch: DPoPProofRefused, reason.DPoPKeyMismatch: DPoPProofRefused, reason.DPoPTokenUnbound: DPoPProofRefused,
	reason.DPoPProofMismatch: DPoPHTUMismatch, reason.DPoPNonceRequired: DPoPNonceRequired, reason.DPoPBoundTokenAsBearer: DPoPBoundAsBearer,
	reason.DPoPRequired: DPoPProofMissing, reason.CertificateMissing: CertificateMissing, reason.CertificateMismatch: CertificateMissing,
}

// dpop recognises a refusal about a sender-constrained token — from
// authgate's reason, a DPoP challenge's error, a DPoP-Nonce header, or
// the token's own cnf claim — adds its finding and reports whether it
// did. ev is the answer's evidence.
func (p *prober) dpop(a *answer, ev []string) bool {
	if a.status != 401 && a.status != 400 {
		return false
	}
	code, ok := dpopReasons[reason.Code(a.problem.Reason)]
	for _, c := range a.challenges {
		if ok || !strings.EqualFold(c.Scheme, "DPoP") {
			continue
		}
		switch e, _ := c.Get("error"); {
		case e == "use_dpop_nonce":
			code, ok = DPoPNonceRequired, true
		case e == "invalid_dpop_proof" && strings.Contains(strings.ToLower(c.String()), "htu"):
			code, ok = DPoPHTUMismatch, true
		case e == "invalid_dpop_proof" && len(p.off.req.Get("DPoP")) == 0:
			code, ok = DPoPProofMissing, true
		case e == "invalid_dpop_proof":
			code, ok = DPoPProofRefused, true
		}
	}
	jkt, x5t := p.confirmation()
	switch {
	case ok:
	case jkt != "" && p.sentScheme("Bearer"):
		code, ok = DPoPBoundAsBearer, true
		ev = append(ev, "the token's cnf.jkt binds it to a DPoP key, and it was sent as Bearer")
	case x5t != "":
		code, ok = CertificateMissing, true
		ev = append(ev, "the token's cnf x5t#S256 binds it to a client certificate")
	}
	if !ok {
		return false
	}
	if n := a.header.Get("DPoP-Nonce"); n != "" {
		ev = append(ev, fmt.Sprintf("DPoP-Nonce: (%d characters)", len(n)))
	}
	title := dpopTitle[code]
	if a.problem.Detail != "" {
		title += ": " + clip(a.problem.Detail, 200)
	}
	p.add(Finding{Code: code, Status: Fail, Basis: Stated, Cause: "2. Invalid token (sender-constrained)", Category: "bound token",
		Title: title, Evidence: ev, Fix: dpopFix[code]})
	return true
}

var dpopTitle = map[Code]string{
	DPoPProofMissing:   "The API wants a DPoP proof with this token, and none was sent",
	DPoPProofRefused:   "The API refuses the DPoP proof",
	DPoPNonceRequired:  "The API wants a server nonce in the DPoP proof (use_dpop_nonce)",
	DPoPHTUMismatch:    "The DPoP proof was made for another method or URL than this request's",
	DPoPBoundAsBearer:  "A DPoP-bound token was sent as Bearer",
	CertificateMissing: "The token is bound to a client certificate the request did not present",
}

// sentScheme reports whether the request's Authorization used scheme.
func (p *prober) sentScheme(scheme string) bool {
	for _, h := range p.off.req.Get("Authorization") {
		if s, _, _ := strings.Cut(strings.TrimSpace(h.Value), " "); strings.EqualFold(s, scheme) {
			return true
		}
	}
	return false
}

// confirmation reads the cnf claim of the JWT sent (RFC 7800): a DPoP key
// thumbprint (jkt) and a certificate thumbprint (x5t#S256).
func (p *prober) confirmation() (jkt, x5t string) {
	if p.off.jwtToken == nil {
		return "", ""
	}
	raw, ok := p.off.jwtToken.Claims["cnf"]
	if !ok {
		return "", ""
	}
	cnf, err := rawjson.Object(raw)
	if err != nil {
		return "", ""
	}
	get := func(name string) string {
		s, _ := rawjson.String(json.RawMessage(cnf[name]))
		return s
	}
	return get("jkt"), get("x5t#S256")
}
