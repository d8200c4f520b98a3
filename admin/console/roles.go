package console

import (
	"encoding/json"
	"net/http"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/reason"
)

// roleOf reads the console role from claims (an ID token's, an admin
// JWT's) by the configured claim and values: admin wins over viewer.
// present says whether the claim is there at all.
func roleOf(claims map[string]json.RawMessage, roles config.ConsoleRoles) (role string, present bool) {
	present = policy.ClaimRule{Claim: roles.Claim, Present: new(true)}.Holds(claims)
	for _, set := range []struct {
		role   string
		values []string
	}{{config.RoleAdmin, roles.Admin}, {config.RoleViewer, roles.Viewer}} {
		for _, v := range set.values {
			if (policy.ClaimRule{Claim: roles.Claim, Contains: v}).Holds(claims) {
				return set.role, present
			}
		}
	}
	return "", present
}

// adminOnly runs h for an admin; a viewer (whatever form it sends) is
// refused with 403 forbidden and nothing changes.
func adminOnly(h handlerFunc) handlerFunc {
	return func(r *http.Request, ss *session) (view, error) {
		if ss.role != config.RoleAdmin {
			return view{}, reason.New(reason.Forbidden, "your console role is %s: only an admin changes keys and users", ss.role)
		}
		return h(r, ss)
	}
}
