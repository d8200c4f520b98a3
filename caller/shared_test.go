package caller_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/authgate/authgate/caller"
	"github.com/authgate/authgate/credential/diagnose"
	"github.com/authgate/authgate/internal/gatewaytest"
)

// TestSharedValueChecks: the doctor's API-key value and Basic pair
// checks (package diagnose) reach a caller.Error, against the demo; the
// error leads with the finding and holds no part of the credential.
func TestSharedValueChecks(t *testing.T) {
	d := gatewaytest.Demo(t, false)
	key := d.File.APIKeys["live"]
	bcrypt := "$2b$12$" + strings.Repeat("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", 2)[:53]
	jwtUser := d.File.Tokens["bad_signature"]
	cases := []struct {
		name   string
		cred   caller.Credential
		secret []string
		want   diagnose.Code
	}{
		{"API key: documentation's placeholder", caller.APIKey("X-API-Key", "YOUR_API_KEY"), nil, diagnose.CredentialPlaceholder},
		{"API key: unexpanded shell variable", caller.APIKey("X-API-Key", "${API_KEY}"), nil, diagnose.VariableUnset},
		{"API key: unexpanded command substitution", caller.APIKey("X-API-Key", "$(cat key.txt)"), nil, diagnose.ShellSubstitution},
		{"API key: in angle brackets", caller.APIKey("X-API-Key", "<"+key+">"), []string{key}, diagnose.CredentialWrapped},
		{"API key: with a scheme word", caller.APIKey("X-API-Key", "Bearer "+key), []string{key}, diagnose.HeaderFormat},
		{"API key: a publishable key", caller.APIKey("X-API-Key", "pk_live_c2VjcmV0c2VjcmV0c2VjcmV0"), []string{"pk_live_c2VjcmV0c2VjcmV0c2VjcmV0"}, diagnose.WrongTokenKind},
		{"Basic: a bcrypt hash for the password", caller.Basic(d.File.Basic.User, bcrypt), []string{bcrypt}, diagnose.PasswordIsHash},
		{"Basic: a placeholder user name", caller.Basic("YOUR_USERNAME", "hunter2hunter2"), []string{"hunter2hunter2"}, diagnose.CredentialPlaceholder},
		{"Basic: a JWT for the user name", caller.Basic(jwtUser, "hunter2hunter2"), []string{"hunter2hunter2"}, diagnose.BasicUsernameWrong},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := caller.New(caller.Config{Credential: tc.cred}).Client().Get(d.File.URL + "/v1/data")
			var ce *caller.Error
			if !errors.As(err, &ce) || ce.Status != 401 {
				t.Fatalf("%+v", err)
			}
			if !slices.ContainsFunc(ce.Diagnosis, func(f diagnose.Finding) bool { return f.Code == tc.want }) {
				t.Fatalf("diagnosis %+v, want %s", ce.Diagnosis, tc.want)
			}
			if ce.Diagnosis[0].Code != tc.want || !strings.Contains(err.Error(), ce.Diagnosis[0].Title) {
				t.Errorf("the error does not lead with %s: %v (%+v)", tc.want, err, ce.Diagnosis)
			}
			t.Logf("%v", err)
			noLeak(t, tc.secret, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", ce))
			if tc.want == diagnose.BasicUsernameWrong {
				noLeak(t, []string{jwtUser}, err.Error())
			}
		})
	}
}
