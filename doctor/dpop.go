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

// boundFindings are the findings of sender-constrained tokens: what the
// catalogue's DPoP and certificate reasons map to (serverCodes).
var boundFindings = map[Code]bool{DPoPProofMissing: true, DPoPProofRefused: true, DPoPNonceRequired: true,
	DPoPHTUMismatch: true, DPoPBoundAsBearer: true, CertificateMissing: true}

// dpop recognises a refusal about a sender-constrained token — from
// authgate's reason, a DPoP challenge's error, a DPoP-Nonce header, or
// the token's own cnf claim — adds its finding and reports whether it
// did. ev is the answer's evidence.
func (p *prober) dpop(a *answer, ev []string) bool {
	if a.status != 401 && a.status != 400 {
		return false
	}
	code, ok := serverCodes[reason.Code(a.problem.Reason)]
	ok = ok && boundFindings[code]
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
	title := about[code].title
	if a.problem.Detail != "" {
		title += ": " + clip(a.problem.Detail, 200)
	}
	p.add(Finding{Code: code, Status: Fail, Basis: Stated, Cause: about[code].cause, Category: categoryOf(code),
		Title: title, Evidence: ev, Fix: about[code].fix})
	return true
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
