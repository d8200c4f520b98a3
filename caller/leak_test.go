package caller_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/authgate/authgate/caller"
	"github.com/authgate/authgate/internal/gatewaytest"
	"github.com/authgate/authgate/reason"
)

// TestNoCredentialInOutput: for every kind of credential, against the
// demo, neither the error (%v, %+v, %#v), nor the log, nor the printed
// Config holds 8 bytes in a row of the credential.
func TestNoCredentialInOutput(t *testing.T) {
	d := gatewaytest.Demo(t, false)
	pw := caller.Basic(d.File.Basic.User, "wr0ng-pw-"+d.File.Basic.Password)
	encoded := base64.StdEncoding.EncodeToString([]byte(d.File.Basic.User + ":wr0ng-pw-" + d.File.Basic.Password))
	cases := []struct {
		name   string
		cred   caller.Credential
		secret []string
		reason reason.Code
	}{
		{"Basic, wrong password", pw, []string{"wr0ng-pw-" + d.File.Basic.Password, encoded}, reason.BasicInvalid},
		{"Basic, password read with its newline", caller.Basic(d.File.Basic.User, d.File.Basic.Password+"\n"), []string{d.File.Basic.Password,
			base64.StdEncoding.EncodeToString([]byte(d.File.Basic.User + ":" + d.File.Basic.Password + "\n"))}, reason.BasicMalformed},
		{"Bearer, bad signature", caller.Bearer(d.File.Tokens["bad_signature"]), []string{d.File.Tokens["bad_signature"]}, reason.TokenSignatureInvalid},
		{"Bearer, wrong audience", caller.Bearer(d.File.Tokens["wrong_audience"]), []string{d.File.Tokens["wrong_audience"]}, reason.TokenAudienceMismatch},
		{"API key, test on live", caller.APIKey("X-API-Key", d.File.APIKeys["test"]), []string{d.File.APIKeys["test"]}, reason.CredentialWrongEnvironment},
		{"Bearer, an API key in Authorization with a newline", caller.Bearer(d.File.APIKeys["live"] + "\n"), []string{d.File.APIKeys["live"]}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			cfg := caller.Config{Credential: tc.cred, ExpectEnv: "live", Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
			_, err := caller.New(cfg).Client().Get(d.File.URL + "/v1/data")
			var ce *caller.Error
			if !errors.As(err, &ce) || string(ce.Reason) != string(tc.reason) {
				t.Fatalf("%+v", err)
			}
			t.Logf("%v", err)
			noLeak(t, tc.secret, err.Error(), fmt.Sprintf("%+v", ce), fmt.Sprintf("%#v", ce), fmt.Sprintf("%+v", err),
				logs.String(), fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, tc.cred))
		})
	}
}

// TestNoCredentialNoRetry: without a credential the demo's 401 is
// explained as such, and not retried.
func TestNoCredential(t *testing.T) {
	d := gatewaytest.Demo(t, false)
	_, err := caller.New(caller.Config{}).Client().Get(d.File.URL + "/v1/data")
	var ce *caller.Error
	if !errors.As(err, &ce) || ce.Reason != string(reason.CredentialsMissing) || !errors.Is(err, caller.ErrMissing) || ce.Attempts != 1 {
		t.Fatalf("%+v", err)
	}
	if ce.Status != http.StatusUnauthorized || len(ce.Challenges) != 4 { // Bearer, DPoP, ApiKey, Basic
		t.Fatalf("%+v", ce)
	}
	t.Logf("%v", err)
}
