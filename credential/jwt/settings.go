package jwt

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
)

// settings is everything that decides the issuer's tokens, as one string:
// a cached verification is reused only under the same settings.
func (is *Issuer) settings(environment string) string {
	introspection := ""
	if in := is.Introspection; in != nil {
		introspection = fmt.Sprintf("%s|%s|%s", in.Endpoint, in.ClientID, in.CacheTTL)
	}
	return fmt.Sprintf("%q|%q|%q|%q|%q|%t|%s|%q|%q|%q|%s|%s", is.Name, is.Issuer, is.Audiences, is.Algorithms, is.RequiredType,
		is.RequireExp, is.Leeway, is.Environment, is.EnvironmentClaim, environment, sourceID(is.Keys), introspection)
}

// sourceID names a key source: a JWKS URL (its keys may change, but a
// token verified with a key it once published stays verified until exp),
// or a digest of static keys.
func sourceID(src KeySource) string {
	switch s := src.(type) {
	case *RemoteKeys:
		return "jwks:" + s.URL
	case *StaticKeys:
		h := sha256.New()
		for _, k := range s.set.all {
			fmt.Fprintf(h, "%q|%q|", k.ID, k.Alg)
			if k.Public != nil {
				der, _ := x509.MarshalPKIXPublicKey(k.Public)
				h.Write(der)
			}
			h.Write(k.Secret)
			h.Write([]byte{0})
		}
		return "static:" + hex.EncodeToString(h.Sum(nil))
	}
	return fmt.Sprintf("%T", src)
}
