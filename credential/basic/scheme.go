package basic

import (
	"context"
	"strings"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/credential"
)

// SchemeName is what routes list to accept Basic users.
const SchemeName = "basic"

func init() {
	credential.RegisterScheme(credential.SchemeInfo{Name: SchemeName, Title: "Basic", UsesStore: true})
}

// Scheme implements credential.Authenticator.
func (v *Verifier) Scheme() string { return SchemeName }

// Claims takes Basic Authorization credentials.
func (v *Verifier) Claims(p credential.Presented) bool {
	return p.InAuthorization() && strings.EqualFold(p.Scheme, "Basic")
}

// Authenticate implements credential.Authenticator.
func (v *Verifier) Authenticate(ctx context.Context, p credential.Presented, t *credential.Trace) (credential.Identity, error) {
	if err := credential.CheckPresented(p, t); err != nil {
		return credential.Identity{}, err
	}
	return v.verify(ctx, p.Value, t)
}

// Challenges offers Basic with charset UTF-8 (RFC 7617); it takes no error
// parameters.
func (v *Verifier) Challenges(realm string) []credential.Challenge {
	return []credential.Challenge{{Challenge: challenge.Challenge{Scheme: "Basic",
		Params: []challenge.Param{{Name: "realm", Value: realm}, {Name: "charset", Value: "UTF-8"}}}}}
}

// Account names the user a Basic credential is for ("" when it does not
// parse); failures are limited per user name as well.
func (v *Verifier) Account(p credential.Presented) string {
	user, _, err := Parse(p.Value)
	if err != nil {
		return ""
	}
	return "basic:" + user
}
