package gateway

import (
	"net/http"
	"strings"

	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/apikey"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/reason"
)

// queryCredentialNames are query parameters that usually carry a
// credential; one found where the route takes none is refused by name.
var queryCredentialNames = []string{"access_token", "api_key", "apikey", "key", "token", "auth"}

// presented is the one credential a request carries.
type presented struct {
	// scheme is the route scheme it needs; "" for an unknown scheme.
	scheme policy.Scheme
	// header is how it arrived (for format checks and messages).
	header credential.Presented
	// inAuthorization: it came in the Authorization header.
	inAuthorization bool
}

// extract finds the request's one credential: in Authorization, in an
// API-key header, or in the route's API-key query parameter.
func (g *Gateway) extract(r *http.Request, rt *policy.Route) (presented, error) {
	hasAuthz := len(r.Header.Values("Authorization")) > 0
	keyHeader, keyValues := "", []string(nil)
	for _, h := range g.apiKeyHeaders {
		if vs := r.Header.Values(h); len(vs) > 0 {
			keyHeader, keyValues = h, vs
			break
		}
	}
	switch {
	case hasAuthz && keyHeader != "":
		return presented{}, reason.New(reason.HeaderMalformed,
			"the request carries two credentials (Authorization and %s); send exactly one (RFC 6750 section 2)", keyHeader)
	case hasAuthz:
		p, err := credential.FromAuthorization(r.Header)
		if err != nil {
			return presented{}, err
		}
		found := presented{header: p, inAuthorization: true}
		switch {
		case strings.EqualFold(p.Scheme, "Bearer") && apikey.Looks(p.Value):
			found.scheme = policy.SchemeAPIKey
		case strings.EqualFold(p.Scheme, "Bearer"):
			found.scheme = policy.SchemeBearer
		case strings.EqualFold(p.Scheme, "Basic"):
			found.scheme = policy.SchemeBasic
		}
		return found, nil
	case keyHeader != "":
		if len(keyValues) > 1 {
			return presented{}, reason.New(reason.HeaderMalformed, "%d %s headers; send exactly one", len(keyValues), keyHeader)
		}
		return presented{scheme: policy.SchemeAPIKey, header: credential.Presented{Scheme: keyHeader, Value: keyValues[0]}}, nil
	}
	if r.URL.RawQuery != "" {
		q := r.URL.Query()
		if rt.APIKeyQuery != "" && q.Has(rt.APIKeyQuery) {
			return presented{scheme: policy.SchemeAPIKey, header: credential.Presented{Scheme: "query parameter " + rt.APIKeyQuery, Value: q.Get(rt.APIKeyQuery)}}, nil
		}
		for _, name := range queryCredentialNames {
			if q.Get(name) != "" {
				return presented{}, reason.New(reason.CredentialInQuery,
					"a credential was sent in the query parameter '%s'; route '%s' takes credentials only in headers", name, rt.Name)
			}
		}
	}
	return presented{}, reason.New(reason.CredentialsMissing, "no Authorization or %s header", strings.Join(g.apiKeyHeaders, "/"))
}

// authenticate extracts the credential and runs the verifier of its scheme.
func (g *Gateway) authenticate(r *http.Request, ex *exchange) error {
	p, err := g.extract(r, ex.route)
	if err != nil {
		return err
	}
	ex.scheme = p.scheme
	if p.header.Value != "" {
		ex.fp = g.fingerprint.Of(p.header.Value)
	}
	if p.scheme == "" || !ex.route.Accepts(p.scheme) {
		return reason.New(reason.SchemeUnsupported, "route '%s' accepts %s; the request sent %s",
			ex.route.Name, schemeNames(ex.route), describeScheme(p))
	}
	client := ex.client
	dry := credential.DryRun(r.Context())
	if !dry {
		if err := g.limiter.check(client, ex.fp); err != nil {
			return err
		}
	}
	id, err := g.verify(r, p)
	if err != nil {
		if !dry && reason.From(err).Entry().Status == http.StatusUnauthorized {
			g.limiter.fail(client, ex.fp)
		}
		return err
	}
	id.Fingerprint = ex.fp
	ex.identity = id
	return nil
}

func (g *Gateway) verify(r *http.Request, p presented) (credential.Identity, error) {
	if p.inAuthorization {
		if err := credential.CheckFormat(p.header); err != nil {
			return credential.Identity{}, err
		}
	} else if kind := credential.Placeholder(p.header.Value); kind != "" {
		return credential.Identity{}, reason.New(reason.CredentialPlaceholder, "the API key in %s is a placeholder (%s)", p.header.Scheme, kind)
	}
	switch p.scheme {
	case policy.SchemeAPIKey:
		return g.keys.Verify(r.Context(), p.header.Value)
	case policy.SchemeBasic:
		return g.basic.Verify(r.Context(), p.header.Value)
	}
	return g.verifier.Verify(r.Context(), p.header.Value)
}

func describeScheme(p presented) string {
	switch p.scheme {
	case policy.SchemeAPIKey:
		return "an API key"
	case policy.SchemeBearer:
		return "a Bearer token (JWT)"
	case policy.SchemeBasic:
		return "Basic credentials"
	}
	return "the scheme '" + sanitizeToken(p.header.Scheme, 20) + "'"
}

func schemeNames(rt *policy.Route) string {
	names := make([]string, len(rt.Schemes))
	for i, s := range rt.Schemes {
		names[i] = map[policy.Scheme]string{policy.SchemeBearer: "Bearer JWTs", policy.SchemeAPIKey: "API keys", policy.SchemeBasic: "Basic"}[s]
	}
	return strings.Join(names, ", ")
}

func sanitizeToken(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x21 || r > 0x7e || r == '"' || r == '\\' {
			return '?'
		}
		return r
	}, s)
}
