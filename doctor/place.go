package doctor

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/authgate/authgate/credential/diagnose"
	"github.com/authgate/authgate/credential/jwt"
)

// sentCredential is one credential the request carries: the header, the
// Authorization scheme ("" for a key header) and the value.
type sentCredential struct {
	header, scheme, value string
}

func (o *offline) credentials() []sentCredential {
	var out []sentCredential
	for _, h := range o.req.Headers {
		if !isCredentialHeader(h.Name) || strings.EqualFold(h.Name, "Cookie") {
			continue
		}
		if strings.EqualFold(h.Name, "Authorization") {
			scheme, value, _ := strings.Cut(h.Value, " ")
			out = append(out, sentCredential{"Authorization", scheme, value})
			continue
		}
		out = append(out, sentCredential{h.Name, "", h.Value})
	}
	return out
}

// misplaced says where the credential should go when it is sent where
// the API does not read it (by the provider table): an API key in
// Authorization for an API that reads a key header, a key header an API
// does not read, a scheme it does not take. "" when nothing is known to
// be wrong. The code is CredentialWrongHeader for a header, SchemeMismatch
// for an Authorization scheme.
func (p *prober) misplaced() (Code, string) {
	for _, c := range p.off.credentials() {
		owner, _ := providerOfCredential(c.value)
		if c.header == "Authorization" && owner != nil && owner.KeyHeader != "" && diagnose.HasPrefix(c.value, owner.KeyPrefixes) {
			return CredentialWrongHeader, fmt.Sprintf("%s keys (%s…) go in the %s header, not in Authorization", owner.Name, diagnose.PrefixOf(c.value, owner.KeyPrefixes), owner.KeyHeader)
		}
		pr := p.provider
		if pr == nil {
			continue
		}
		switch {
		case c.header == "Authorization" && len(pr.Schemes) == 0 && pr.KeyHeader != "":
			return CredentialWrongHeader, fmt.Sprintf("%s reads the credential from %s, not from Authorization", pr.Name, pr.KeyHeader)
		case c.header == "Authorization" && len(pr.Schemes) > 0 && !slices.ContainsFunc(pr.Schemes, func(s string) bool { return strings.EqualFold(s, c.scheme) }):
			return SchemeMismatch, fmt.Sprintf("%s takes Authorization with %s, not %s", pr.Name, strings.Join(pr.Schemes, " or "), c.scheme)
		case c.header != "Authorization" && !strings.EqualFold(c.header, pr.KeyHeader):
			where := "Authorization"
			if pr.KeyHeader != "" {
				where = pr.KeyHeader + " or Authorization"
			}
			if len(pr.Schemes) == 0 {
				where = pr.KeyHeader
			}
			return CredentialWrongHeader, fmt.Sprintf("%s does not read %s: it takes %s", pr.Name, c.header, where)
		}
	}
	return "", ""
}

// credentialPlace checks a failed request's credential against what the
// provider table knows: the header and scheme it reads, the provider its
// prefix belongs to, the kind of token it takes.
func (p *prober) credentialPlace(final *answer) {
	if final.status < 400 && !p.failedIn2xx || final.status >= 500 || final.status == 429 {
		return
	}
	if code, where := p.misplaced(); where != "" {
		f := Finding{Code: code, Status: Fail, Basis: Proven, Cause: "3. Incorrect authentication scheme",
			Title: "The credential is sent where this API does not read it: " + where,
			Fix:   "Send it the way the API documents it."}
		if pr := p.provider; pr != nil {
			f.Fix = pr.Name + " expects " + pr.Expects + " (" + pr.Docs + ")."
			if pr.KeyHeader != "" && len(pr.Schemes) == 0 || diagnose.HasPrefix(p.firstValue(), pr.KeyPrefixes) {
				f.Command = p.off.command(func(r *Request) {
					r.removeHeader("Authorization")
					r.Headers = append(r.Headers, Header{Name: pr.KeyHeader, Value: "x"})
				})
			}
		}
		p.add(f)
	}
	p.passwordForToken()
	p.challengeWantsAuthorization(final)
	p.listNamesOtherHeader(final)
	if pr := p.provider; pr != nil {
		for _, h := range pr.Companions {
			if len(p.off.req.Get(h)) == 0 {
				p.add(Finding{Code: CompanionHeaderMissing, Status: Fail, Basis: Proven, Cause: "Environment notes",
					Title: fmt.Sprintf("%s requires the %s header beside the credential, and it is not sent", pr.Name, h),
					Fix:   pr.Name + " expects " + pr.Expects + " (" + pr.Docs + ")."})
			}
		}
	}
	for _, c := range p.off.credentials() {
		owner, prefix := providerOfCredential(c.value)
		if owner != nil && p.provider != nil && owner != p.provider && prefix != "" {
			p.add(Finding{Code: TokenForOtherAPI, Status: Fail, Basis: Decoded, Cause: "5. Wrong credentials for environment",
				Title:    fmt.Sprintf("A %s credential (%s…) is sent to %s", owner.Name, prefix, p.provider.Name),
				Evidence: []string{"the answer is " + p.provider.Name + "'s (" + p.provider.Docs + ")"},
				Fix:      p.provider.Name + " expects " + p.provider.Expects + "."})
		}
		if p.provider != nil && p.provider.WantsIDToken && c.scheme != "" && !looksLikeIDToken(c.value) {
			p.add(Finding{Code: WrongTokenKind, Status: Fail, Basis: Proven, Cause: "2. Invalid token",
				Title:   p.provider.Name + " takes an OpenID Connect ID token, and this is not one",
				Fix:     p.provider.Name + " expects " + p.provider.Expects + ": for example gcloud auth print-identity-token --audiences=<service URL>.",
				Command: p.off.command(nil)})
		}
	}
}

// passwordForToken finds Basic with an account password sent to an API
// that takes Basic only with a token as the password.
func (p *prober) passwordForToken() {
	pr := p.provider
	if pr == nil || !pr.TokenAsPassword {
		return
	}
	for _, c := range p.off.credentials() {
		if !strings.EqualFold(c.scheme, "Basic") {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(c.value)
		_, pw, ok := strings.Cut(string(raw), ":")
		if err != nil || !ok || diagnose.HasPrefix(pw, pr.Prefixes) {
			continue
		}
		p.add(Finding{Code: WrongTokenKind, Status: Fail, Basis: Proven, Cause: "2. Invalid credentials",
			Title:    "An account password is sent where " + pr.Name + " wants an API token",
			Evidence: []string{fmt.Sprintf("the Basic password has none of %s's token prefixes (%s)", pr.Name, strings.Join(pr.Prefixes, ", "))},
			Fix:      pr.Name + " expects " + pr.Expects + " (" + pr.Docs + ")."})
	}
}

func (p *prober) firstValue() string {
	if cs := p.off.credentials(); len(cs) > 0 {
		return cs[0].value
	}
	return ""
}

// looksLikeIDToken: a JWT with the claims ID tokens carry (diagnose.IDTokenSigns).
func looksLikeIDToken(v string) bool {
	d, err := jwt.Decode(v)
	return err == nil && diagnose.IDTokenSigns(d) != ""
}

// resourceMetadata reads the API's OAuth protected resource metadata (RFC
// 9728) — from the challenge's resource_metadata, else the well-known
// address — and checks the token's iss against authorization_servers and
// its aud against resource.
func (p *prober) resourceMetadata(ctx context.Context, a *answer) {
	target := ""
	for _, c := range a.challenges {
		if v, ok := c.Get("resource_metadata"); ok {
			target = v
		}
	}
	u, err := url.Parse(p.off.req.URL)
	if err != nil {
		return
	}
	if target == "" {
		if p.off.jwtToken == nil {
			return // only worth a request when there is a token to compare
		}
		wk := *u
		wk.Path, wk.RawPath, wk.RawQuery = "/.well-known/oauth-protected-resource"+strings.TrimSuffix(u.Path, "/"), "", ""
		target = wk.String()
	} else if ref, err := u.Parse(target); err == nil {
		target = ref.String()
	}
	m, err := p.do(ctx, http.MethodGet, target, http.Header{"Accept": {"application/json"}}, "")
	if err != nil || m.status != 200 {
		return
	}
	var meta struct {
		Resource             string   `json:"resource"`
		AuthorizationServers []string `json:"authorization_servers"`
		Scopes               []string `json:"scopes_supported"`
	}
	if json.Unmarshal(m.body, &meta) != nil || len(meta.AuthorizationServers) == 0 {
		return
	}
	ev := []string{fmt.Sprintf("%s: resource %q, authorization_servers %q", target, meta.Resource, meta.AuthorizationServers)}
	p.add(Finding{Code: ResourceMetadata, Status: Info, Title: "The API names its authorization server(s): " + strings.Join(meta.AuthorizationServers, ", "), Evidence: ev})
	d := p.off.jwtToken
	if d == nil {
		return
	}
	iss, _ := jsonString(d.Claims["iss"])
	trim := func(s string) string { return strings.TrimSuffix(s, "/") }
	if iss != "" && !slices.ContainsFunc(meta.AuthorizationServers, func(s string) bool { return trim(s) == trim(iss) }) {
		p.add(Finding{Code: TokenIssuerMismatch, Status: Fail, Basis: Proven, Cause: "5. Wrong credentials for environment",
			Title:    fmt.Sprintf("The token comes from %s; the API's metadata names %s", iss, strings.Join(meta.AuthorizationServers, ", ")),
			Evidence: ev, Fix: "Obtain the token from " + meta.AuthorizationServers[0] + ", for the resource " + meta.Resource + "."})
	}
	// RFC 9728's resource identifies the API; it is not the audience its
	// tokens must carry (authgate's demo: resource http://127.0.0.1:8080,
	// audience demo-api), so a different aud proves nothing.
}
