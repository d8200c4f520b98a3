package doctor

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/reason"
)

// signature verifies a JWT's signature against --jwks, or the issuer's
// published keys when its iss is https.
func (p *prober) signature(ctx context.Context) {
	d := p.off.jwtToken
	if d == nil {
		return
	}
	jwksURL := p.opts.JWKS
	if jwksURL == "" {
		iss, _ := jsonString(d.Claims["iss"])
		if !strings.HasPrefix(iss, "https://") {
			return
		}
		a, err := p.do(ctx, http.MethodGet, strings.TrimSuffix(iss, "/")+"/.well-known/openid-configuration", http.Header{}, "")
		var meta struct {
			JWKSURI string `json:"jwks_uri"`
		}
		if err != nil || a.status != 200 || json.Unmarshal(a.body, &meta) != nil || meta.JWKSURI == "" {
			p.add(Finding{Code: TokenKeyUnknown, Status: Info, Title: "The issuer publishes no OpenID discovery document; signature not checked",
				Fix: "Pass --jwks URL to check the signature."})
			return
		}
		jwksURL = meta.JWKSURI
	}
	a, err := p.do(ctx, http.MethodGet, jwksURL, http.Header{}, "")
	if err != nil || a.status != 200 {
		p.add(Finding{Code: TokenKeyUnknown, Status: Warn, Title: "The key set could not be fetched from " + jwksURL})
		return
	}
	keys, _, err := jwt.ParseJWKS(a.body)
	if err != nil {
		p.add(Finding{Code: TokenKeyUnknown, Status: Warn, Title: "The key set at " + jwksURL + " holds no usable key", Evidence: []string{err.Error()}})
		return
	}
	token := ""
	for _, h := range p.off.req.Get("Authorization") {
		_, token, _ = strings.Cut(h.Value, " ")
	}
	switch err := jwt.CheckSignature(token, keys); {
	case err == nil:
		p.add(Finding{Code: SignatureVerified, Status: OK, Title: "The token's signature verifies with the issuer's published keys"})
	default:
		code := TokenSignatureInvalid
		if reason.CodeOf(err) == reason.TokenKeyUnknown {
			code = TokenKeyUnknown
		}
		p.add(Finding{Code: code, Status: Fail, Cause: "2. Invalid token (wrong signing key)", Title: "The token does not verify with the keys at " + jwksURL,
			Evidence: []string{err.Error()}, Fix: "The token comes from another issuer or environment, or was altered: obtain one from the right issuer."})
	}
}
