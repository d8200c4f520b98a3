package credential

import (
	"net/http"
	"strings"

	"github.com/authgate/authgate/reason"
)

// queryCredentialNames are query parameters that usually carry a
// credential; one found where the route takes none is refused by name.
var queryCredentialNames = []string{"access_token", "api_key", "apikey", "key", "token", "auth"}

// Places says where a credential may arrive besides Authorization.
type Places struct {
	// KeyHeaders are the headers an API key may arrive in.
	KeyHeaders []string
	// Query is the query parameter that may carry an API key ("": none).
	Query string
	// Route names the route in messages.
	Route string
}

// Extract finds the request's one credential: in Authorization, in an
// API-key header, or in the allowed query parameter. Two credentials,
// repeated headers and a credential in a query parameter that is not
// allowed are refused; none at all is credentials_missing.
func Extract(r *http.Request, at Places) (Presented, error) {
	hasAuthz := len(r.Header.Values("Authorization")) > 0
	keyHeader, keyValues := "", []string(nil)
	for _, h := range at.KeyHeaders {
		if vs := r.Header.Values(h); len(vs) > 0 {
			keyHeader, keyValues = h, vs
			break
		}
	}
	switch {
	case hasAuthz && keyHeader != "":
		return Presented{}, reason.New(reason.HeaderMalformed,
			"the request carries two credentials (Authorization and %s); send exactly one (RFC 6750 section 2)", keyHeader)
	case hasAuthz:
		return FromAuthorization(r.Header)
	case keyHeader != "":
		if len(keyValues) > 1 {
			return Presented{}, reason.New(reason.HeaderMalformed, "%d %s headers; send exactly one", len(keyValues), keyHeader)
		}
		return Presented{Value: keyValues[0], Header: keyHeader}, nil
	}
	if r.URL.RawQuery != "" {
		q := r.URL.Query()
		if at.Query != "" && q.Has(at.Query) {
			return Presented{Value: q.Get(at.Query), Query: at.Query}, nil
		}
		for _, name := range queryCredentialNames {
			if q.Get(name) != "" {
				return Presented{}, reason.New(reason.CredentialInQuery,
					"a credential was sent in the query parameter '%s'; route '%s' takes credentials only in headers", name, at.Route)
			}
		}
	}
	if len(at.KeyHeaders) == 0 {
		return Presented{}, reason.New(reason.CredentialsMissing, "no Authorization header")
	}
	return Presented{}, reason.New(reason.CredentialsMissing, "no Authorization or %s header", strings.Join(at.KeyHeaders, "/"))
}

// CheckPresented judges the shape of p before its scheme's own checks:
// an Authorization value must be a well-formed token68 and no
// placeholder; a header or query value must be no placeholder. It
// records the check in t.
func CheckPresented(p Presented, t *Trace) error {
	const check = "credential well-formed"
	if p.InAuthorization() {
		return t.Check(check, CheckFormat(p))
	}
	if kind := Placeholder(p.Value); kind != "" {
		return t.Fail(check, reason.New(reason.CredentialPlaceholder, "the API key in %s is a placeholder (%s)", p.Where(), kind))
	}
	t.Pass(check, "")
	return nil
}
