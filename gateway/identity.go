package gateway

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/jwt"
)

// identitySigner signs the identity token (identity_token): a short JWT
// the upstream can verify with the gateway's key set (api.IdentityJWKSPath),
// so it knows the identity headers came from the gateway. A token is
// signed once per identity and route and reused for half its life.
type identitySigner struct {
	key      any
	alg, kid string
	issuer   string
	ttl      time.Duration
	header   string
	jwks     []byte
	// audience is each route's: its upstream's origin.
	audience map[string]string
	cache    *otter.Cache[string, *signedIdentity]
	now      func() time.Time
}

// signedIdentity is a token and when to stop reusing it.
type signedIdentity struct {
	token string
	until time.Time
}

// newIdentitySigner builds the signer, or nil when identity tokens are off.
func newIdentitySigner(cfg *config.Config, idPrefix string, now func() time.Time) *identitySigner {
	it := cfg.IdentityToken
	if !it.Enabled {
		return nil
	}
	s := &identitySigner{key: it.Key, alg: it.Alg, kid: it.KeyID, issuer: it.IssuerOrDefault(cfg.Resource), ttl: it.TTLOrDefault(),
		header: http.CanonicalHeaderKey(idPrefix + "Identity"), jwks: jwt.PublicJWKS(map[string]any{it.KeyID: it.Public()}),
		audience: map[string]string{}, now: now,
		cache: otter.Must(&otter.Options[string, *signedIdentity]{MaximumSize: 10000})}
	for _, rc := range cfg.Routes {
		if u, err := url.Parse(rc.Upstream); err == nil {
			s.audience[rc.Name] = u.Scheme + "://" + u.Host
		}
	}
	return s
}

// token is the identity token for id on route; "" when it cannot be signed
// (logged by the caller; the request goes on without it).
func (s *identitySigner) token(route string, id *credential.Identity) (string, error) {
	now := s.now()
	key := route + "\x00" + id.Kind + "\x00" + id.Fingerprint + "\x00" + id.Subject + "\x00" + id.Issuer + "\x00" + strings.Join(id.Scopes, " ")
	if c, ok := s.cache.GetIfPresent(key); ok && now.Before(c.until) {
		return c.token, nil
	}
	exp := now.Add(s.ttl)
	if !id.ExpiresAt.IsZero() && id.ExpiresAt.Before(exp) {
		exp = id.ExpiresAt
	}
	about := map[string]any{"route": route, "kind": id.Kind, "credential": id.Fingerprint}
	if id.Issuer != "" {
		about["issuer"] = id.Issuer
	}
	claims := map[string]any{"iss": s.issuer, "aud": s.audience[route], "sub": id.Principal(), "iat": now.Unix(), "exp": exp.Unix(), "authgate": about}
	if len(id.Scopes) > 0 {
		claims["scope"] = strings.Join(id.Scopes, " ")
	}
	tok, err := jwt.Sign(s.alg, s.key, map[string]any{"kid": s.kid, "typ": api.IdentityTokenType}, claims)
	if err != nil {
		return "", err
	}
	s.cache.Set(key, &signedIdentity{token: tok, until: now.Add(exp.Sub(now) / 2)})
	return tok, nil
}

// serveJWKS answers the key set the identity tokens are signed with.
func (s *identitySigner) serveJWKS(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(s.jwks)
}
