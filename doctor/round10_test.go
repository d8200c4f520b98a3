package doctor

import (
	"net/http"
	"strings"
	"testing"
)

// TestLexiconParaphrasesRound10 is the tenth round's paraphrases (#25):
// what a plan, subscription or feature does not include, a retired
// endpoint or version, an id of another cluster, a refresh token where an
// access token goes, a key limited to some resources, a key "is invalid",
// in wordings of the doctor's own.
func TestLexiconParaphrasesRound10(t *testing.T) {
	tests := map[Code][]string{
		InsufficientScope: {"This endpoint is not available on the free tier", "Your subscription does not include the Reports API", "Upgrade to a paid plan to use this API",
			"Premium endpoint: subscribe to unlock it", "Invalid license type for this call", "The feature is not enabled for your account", "This key can only access project 12"},
		WrongBaseURL: {"Unknown workspace id for this region", "Version 2019-01-01 is no longer supported", "The v1 endpoints have been removed",
			"This endpoint is deprecated", "API v1 has been retired; please use v3", "Workspace not found in this region", "Use the EU endpoint for this account"},
		TokenTypeMismatch:   {"Refresh tokens cannot be used to call the API", "The token sent is a refresh token", "Only non-refresh tokens are accepted"},
		CredentialUnknown:   {"The access key is invalid", "INVALID_PARTNER_KEY", "Token not recognised"},
		CredentialsRejected: {"The password is incorrect", "Credentials are not valid"},
	}
	checkReadAs(t, tests)
}

// TestNearCredentialHeader: a header one letter from a common credential
// header, or with two neighbours swapped, misspells it; the same name
// spelt otherwise (X-ApiKey, Auth-Token) and other vendors' headers do
// not.
func TestNearCredentialHeader(t *testing.T) {
	tests := map[string]string{
		"Auth-Tokn": "Auth-Token", "X-Api-Kye": "X-API-Key", "X-Auth-Tokne": "X-Auth-Token", "Apikye": "Api-Key", "X-Acess-Token": "X-Access-Token",
		"X-ApiKey": "", "Auth-Token": "", "X-API-KEY": "", "X-App-Key": "", "X-Auth-Key": "", "X-Api-Key-Id": "", "Api-Version": "", "X-Request-Id": "",
	}
	for name, want := range tests {
		if got := nearCredentialHeader(name); got != want {
			t.Errorf("nearCredentialHeader(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestRound10Answers: the round's rules on whole answers, one a class.
func TestRound10Answers(t *testing.T) {
	tests := []struct {
		name         string
		curl         string
		status       int
		header, body string
		want         Code
	}{
		{"a SOAP client fault in a 500 is the caller's", `curl -u bob:Xk29sLq81 -H "Content-Type: text/xml" -d '<Envelope/>' {URL}/ws`, 500, "text/xml",
			`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>Authentication failed</faultstring></s:Fault></s:Body></s:Envelope>`, CredentialsRejected},
		{"a SOAP server fault stays the server's", `curl -u bob:Xk29sLq81 -H "Content-Type: text/xml" -d '<Envelope/>' {URL}/ws`, 500, "text/xml",
			`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Server</faultcode><faultstring>Authentication failed</faultstring></s:Fault></s:Body></s:Envelope>`, ServerFault},
		{"a 2xx refusing the file called", `curl "{URL}/admin/api.php?api_key=9c4e1a7b3d5f8e2a6c0b"`, 200, "application/json",
			`{"result_code":0,"result_message":"You are not authorized to access this file"}`, CredentialsRejected},
		{"a bare 410", `curl -H "Authorization: Bearer 9c4e1a7b3d5f8e2a6c0b" {URL}/v1/items`, 410, "application/json", `{"message":"Gone"}`, WrongBaseURL},
		{"invalid nonce to a counting nonce", `curl -X POST -d '{"api_key":"9c4e1a7b3d5f8e2a6c0b","nonce":1616561295687,"sig":"ab12"}' {URL}/private/balance`, 400, "application/json",
			`{"code":10007,"message":"INVALID_NONCE"}`, ClockSkew},
		{"a short HTML 200 naming an expiry", `curl -H "Authorization: Bearer 9c4e1a7b3d5f8e2a6c0b" {URL}/v1/items`, 200, "text/html",
			`<html><body><p>Access denied: your token has expired</p></body></html>`, TokenExpired},
		{"a permanent redirect not followed", `curl -H "Authorization: Bearer 9c4e1a7b3d5f8e2a6c0b" {URL}/api/v1/me`, 301, "", "", WrongBaseURL},
		{"a sign-in on another host", `curl -H "Authorization: Bearer 9c4e1a7b3d5f8e2a6c0b" {URL}/api/v1/me`, 302, "", "", RedirectedToLogin},
		{"the reason in a Message header", `curl -H "X-Api-Key: 9c4e1a7b3d5f8e2a6c0b" {URL}/v1/items`, 403, "application/json", "", ClientIPNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var base string
			base = serve(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) {
				switch tt.status {
				case 301:
					if r.URL.Path == "/api/v1/me" {
						w.Header().Set("Location", base+"/api/v2/me")
					}
				case 302:
					w.Header().Set("Location", "https://sso.example.test/adfs/ls/?wa=wsignin1.0")
				case 403:
					w.Header().Set("Message", "Forbidden: Your IP address is not whitelisted.")
				}
				if tt.header != "" {
					w.Header().Set("Content-Type", tt.header)
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			})
			req, err := ParseCurl(strings.ReplaceAll(tt.curl, "{URL}", base), func(string) (string, bool) { return "", false })
			if err != nil {
				t.Fatal(err)
			}
			rep := run(t, req, Options{Transport: loopbackOnly})
			if rep.Top == nil || rep.Top.Code != tt.want {
				t.Errorf("top %v, want %s", rep.Top, tt.want)
			}
		})
	}
}
