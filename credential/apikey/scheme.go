package apikey

import (
	"context"
	"strings"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/apikey/keyformat"
)

// SchemeName is what routes list to accept authgate API keys.
const SchemeName = "apikey"

func init() {
	credential.RegisterScheme(credential.SchemeInfo{Name: SchemeName, Title: "API keys", UsesStore: true})
}

// Scheme implements credential.Authenticator.
func (v *Verifier) Scheme() string { return SchemeName }

// Claims takes every credential from an API-key header or query parameter,
// and Bearer credentials that carry the API-key prefix.
func (v *Verifier) Claims(p credential.Presented) bool {
	if !p.InAuthorization() {
		return true
	}
	return strings.EqualFold(p.Scheme, "Bearer") && keyformat.Looks(p.Value)
}

// Authenticate implements credential.Authenticator.
func (v *Verifier) Authenticate(ctx context.Context, p credential.Presented, t *credential.Trace) (credential.Identity, error) {
	if err := credential.CheckPresented(p, t); err != nil {
		return credential.Identity{}, err
	}
	return v.verify(ctx, p.Value, t)
}

// Challenges offers ApiKey naming the first key header (when keys may
// come in a header) and Bearer, since keys may be sent as Bearer too.
func (v *Verifier) Challenges(realm string) []credential.Challenge {
	out := make([]credential.Challenge, 0, 2)
	if len(v.headers) > 0 {
		out = append(out, credential.Challenge{Challenge: challenge.Challenge{Scheme: "ApiKey",
			Params: []challenge.Param{{Name: "realm", Value: realm}, {Name: "header", Value: v.headers[0]}}}, TakesErrors: true})
	}
	return append(out, credential.BearerChallenge(realm))
}
