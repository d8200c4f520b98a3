package doctor

import (
	"net/http"
	"strings"
	"testing"

	"github.com/authgate/authgate/challenge"
)

// TestServerWordsToFindings maps real messages, as services send them, to
// the finding each states. Every line is a message copied from the
// service's documentation or issue tracker (the comment names it).
func TestServerWordsToFindings(t *testing.T) {
	tests := []struct {
		text string
		want Code
	}{
		// GitHub REST API docs and community threads.
		{"Bad credentials", CredentialsRejected},
		{"Requires authentication", CredentialsMissing},
		{"Resource not accessible by integration", InsufficientScope},
		{"Resource not accessible by personal access token", InsufficientScope},
		{"Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.", Forbidden},
		{"Must specify two-factor authentication OTP code.", OTPRequired},
		// GitLab.
		{"The request requires higher privileges than provided by the access token.", InsufficientScope},
		{"Token is expired. You can either do re-authorization or token refresh.", TokenExpired},
		{"insufficient_scope", InsufficientScope},
		{"Token was revoked. You have to re-authorize from the user.", CredentialRevoked},
		// Stripe.
		{"Invalid API Key provided: sk_test_****1234", CredentialUnknown},
		{"You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth", CredentialsMissing},
		{"No such customer: 'cus_1'; a similar object exists in test mode, but a live mode key was used to make this request.", WrongEnvironment},
		{"This API call cannot be made with a publishable API key. Please use a secret API key.", WrongTokenKind},
		{"The provided key 'rk_live_***' does not have the required permissions for this endpoint on account 'acct_1'.", InsufficientScope},
		// Slack.
		{"invalid_auth", CredentialsRejected},
		{"not_authed", CredentialsMissing},
		{"token_revoked", CredentialRevoked},
		{"account_inactive", CredentialRevoked},
		{"missing_scope", InsufficientScope},
		{"token_expired", TokenExpired},
		// OpenAI, Anthropic.
		{"Incorrect API key provided: sk-proj-****abcd. You can find your API key at https://platform.openai.com/account/api-keys.", CredentialUnknown},
		{"You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth", CredentialsMissing},
		{"invalid x-api-key", CredentialUnknown},
		{"x-api-key header is required", CredentialsMissing},
		{"anthropic-version: header is required", CompanionHeaderMissing},
		// AWS.
		{"Missing Authentication Token", CredentialsMissing},
		{"The incoming token has expired", TokenExpired},
		{"User is not authorized to access this resource with an explicit deny", InsufficientScope},
		{"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.", RequestSignatureInvalid},
		{"SignatureDoesNotMatch", RequestSignatureInvalid},
		{"The security token included in the request is invalid.", CredentialUnknown},
		{"The security token included in the request is expired", TokenExpired},
		{"RequestTimeTooSkewed", ClockSkew},
		{"Signature expired: 20260101T000000Z is now earlier than 20260101T000500Z (20260101T001000Z - 5 min.)", ClockSkew},
		{"Request has expired", TokenExpired},
		{"Access Token has expired", TokenExpired},
		{"User is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::1:role/x", InsufficientScope},
		// Microsoft identity platform, Graph, ASP.NET Core.
		{"The audience 'api://other' is invalid", TokenAudienceMismatch},
		{"IDX10214: Audience validation failed.", TokenAudienceMismatch},
		{"The issuer 'https://sts.windows.net/t/' is invalid", TokenIssuerMismatch},
		{"IDX10205: Issuer validation failed.", TokenIssuerMismatch},
		{"The signature key was not found", TokenKeyUnknown},
		{"IDX10503: Signature validation failed. Token does not have a kid.", TokenKeyUnknown},
		{"IDX10511: Signature validation failed. Keys tried: ...", TokenSignatureInvalid},
		{"The token expired at '01/01/2026 10:00:00'", TokenExpired},
		{"IDX10223: Lifetime validation failed. The token is expired.", TokenExpired},
		{"IDX10222: Lifetime validation failed. The token is not yet valid.", TokenNotYetValid},
		{"Access token validation failure. Invalid audience.", TokenAudienceMismatch},
		{"Lifetime validation failed, the token is expired.", TokenExpired},
		{"Insufficient privileges to complete the operation.", InsufficientScope},
		{"IDX14100: JWT is not well formed, there are no dots (.).", HeaderFormat},
		{"AuthorizationPermissionMismatch", InsufficientScope},
		// Google.
		{"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.", CredentialsRejected},
		{"Request had insufficient authentication scopes.", InsufficientScope},
		{"ACCESS_TOKEN_SCOPE_INSUFFICIENT", InsufficientScope},
		{"Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.", CredentialsMissing},
		{"API key not valid. Please pass a valid API key.", CredentialUnknown},
		{"TOKEN_EXPIRED", TokenExpired},
		{"The caller does not have permission", InsufficientScope},
		// Auth0, Okta, Keycloak, Cognito.
		{"Bad audience: https://acme.eu.auth0.com/userinfo", TokenAudienceMismatch},
		{"Expired token received for JSON Web Token validation", TokenExpired},
		{"Invalid token provided", CredentialsRejected},
		{"The token has expired.", TokenExpired},
		{"Invalid token issuer. Expected 'http://localhost:8080/realms/acme'", TokenIssuerMismatch},
		{"Token verification failed", CredentialsRejected},
		// Kubernetes, Elasticsearch, registries.
		{`pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "default"`, CredentialsMissing},
		{"missing authentication credentials for REST request [/_search]", CredentialsMissing},
		{"unable to authenticate with provided credentials and anonymous access is not allowed for this request", CredentialsRejected},
		{"action [indices:admin/delete] is unauthorized for user [reader] with effective roles [viewer]", InsufficientScope},
		{"authentication required", CredentialsMissing},
		// Frameworks and servers.
		{"Authentication credentials were not provided.", CredentialsMissing},
		{"Invalid token.", CredentialsRejected},
		{"Token is invalid or expired", CredentialsRejected},
		{"Not authenticated", CredentialsMissing},
		{"Jwt expired at 2026-01-01T10:00:00Z", TokenExpired},
		{"An error occurred while attempting to decode the Jwt: Signed JWT rejected: Another algorithm expected, or no matching key(s) found", TokenKeyUnknown},
		{"jwt audience invalid. expected: https://my-api", TokenAudienceMismatch},
		{"jwt expired", TokenExpired},
		{"invalid signature", TokenSignatureInvalid},
		{"No authorization token was found", CredentialsMissing},
		{"jwt malformed", HeaderFormat},
		{"This server could not verify that you are authorized to access the document requested.", CredentialsRejected},
		// Others.
		{"Basic authentication with passwords is deprecated.", WrongTokenKind},
		{"Session expired or invalid", CredentialsRejected},
		{"INVALID_SESSION_ID", TokenExpired},
		{"[API] Invalid API key or access token (unrecognized login or wrong password)", CredentialUnknown},
		{"Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.", CompanionHeaderMissing},
		{"API token is invalid.", CredentialsRejected},
		{"The provided authorization grant is invalid, expired, or revoked", CredentialsRejected},
		{"Your API key may be invalid, or you've attempted to access the wrong datacenter.", CredentialsRejected},
		{"No API key found in request", CredentialsMissing},
		{"JWT expired", TokenExpired},
		{"Invalid format for Authorization header", HeaderFormat},
		{"Invalid API Token", CredentialUnknown},
		{"Access to model meta-llama/Llama-3.1-8B is restricted and you are not in the authorized list.", Forbidden},
		{"Too many requests, please slow down", TooManyFailures},
		{"Authenticate", CredentialsRejected},
		// HubSpot, Dropbox, PostgREST, Zoom, Box.
		{"Authentication credentials not found. This API supports OAuth 2.0 authentication", CredentialsMissing},
		{"expired_access_token/", TokenExpired},
		{"Anonymous access is disabled", CredentialsMissing},
		{"Invalid access token.", CredentialsRejected},
		{"The access token provided is invalid.", CredentialsRejected},
		// RFC 9470 step-up.
		{"insufficient_user_authentication", StepUpRequired},
		{"A different authentication level is required", StepUpRequired},
	}
	if len(tests) < 60 {
		t.Fatalf("%d messages; the table keeps at least 60", len(tests))
	}
	for _, tt := range tests {
		i := classify(Statement{Text: tt.text})
		got := Code("(none)")
		if i >= 0 {
			got = rules[i].code
		}
		if got != tt.want {
			t.Errorf("%q: %s, want %s", tt.text, got, tt.want)
		}
	}
	// Words that say nothing about credentials name nothing.
	for _, text := range []string{"Not Found", "Internal Server Error", "Bad Request", "Validation failed: title is required", "OK"} {
		if i := classify(Statement{Text: text}); i >= 0 {
			t.Errorf("%q: %s, want nothing", text, rules[i].code)
		}
	}
}

// TestReadSaysShapes reads the error body shapes real APIs send into the
// server-says record.
func TestReadSaysShapes(t *testing.T) {
	tests := []struct {
		name, contentType, body, challenge string
		code, message                      string
	}{
		{"oauth json", "application/json", `{"error":"invalid_token","error_description":"The access token expired"}`, "", "invalid_token", "The access token expired"},
		{"google", "application/json", `{"error":{"code":403,"message":"Request had insufficient authentication scopes.","status":"PERMISSION_DENIED"}}`, "", "PERMISSION_DENIED", "Request had insufficient authentication scopes."},
		{"problem+json", "application/problem+json", `{"type":"about:blank","title":"Unauthorized","status":401,"detail":"token expired"}`, "", "", "token expired"},
		{"salesforce list", "application/json", `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`, "", "INVALID_SESSION_ID", "Session expired or invalid"},
		{"kubernetes", "application/json", `{"kind":"Status","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`, "", "Unauthorized", "Unauthorized"},
		{"aws xml", "text/xml", `<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message></Error></ErrorResponse>`, "", "SignatureDoesNotMatch", "The request signature we calculated does not match"},
		{"html", "text/html", `<html><head><title>401 Authorization Required</title></head><body><h1>401 Authorization Required</h1></body></html>`, "", "", ""},
		{"challenge", "", "", `Bearer error="invalid_token", error_description="Jwt expired at 2026-01-01T00:00:00Z"`, "invalid_token", "Jwt expired at 2026-01-01T00:00:00Z"},
		{"text", "text/plain", "401 Unauthorized\n", "", "", "401 Unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &answer{status: 401, header: http.Header{"Content-Type": {tt.contentType}}, body: []byte(tt.body)}
			if tt.challenge != "" {
				a.challenges, _ = challenge.Parse(tt.challenge)
			}
			s := readSays(a)
			if s.Code != tt.code || s.Message != tt.message {
				t.Errorf("code %q message %q, want %q %q (statements %v)", s.Code, s.Message, tt.code, tt.message, s.Statements)
			}
			if len(s.Statements) == 0 {
				t.Error("no statements read")
			}
		})
	}
}

// FuzzReadSays: whatever a server answers, reading it never panics, and
// what is kept stays bounded.
func FuzzReadSays(f *testing.F) {
	f.Add("application/json", `{"error":{"message":"x","details":[{"reason":"y"}]}}`)
	f.Add("text/xml", `<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>`)
	f.Add("text/html", `<html><title>401</title><h1>Unauthorized</h1></html>`)
	f.Add("application/json", strings.Repeat(`{"a":`, 100)+`"x"`+strings.Repeat("}", 100))
	f.Fuzz(func(t *testing.T, contentType, body string) {
		a := &answer{status: 401, header: http.Header{"Content-Type": {contentType}}, body: []byte(body)}
		s := readSays(a)
		if len(s.Statements) > maxStatements {
			t.Fatalf("%d statements kept", len(s.Statements))
		}
		for _, st := range s.Statements {
			if len(st.Text) > 304 {
				t.Fatalf("a statement of %d bytes kept", len(st.Text))
			}
		}
		s.statedCause()
	})
}

// TestChallengeVendorParams: a challenge's own message or reason
// parameters (beside error and error_description) are statements too.
func TestChallengeVendorParams(t *testing.T) {
	a := &answer{status: 401, header: http.Header{}}
	a.challenges, _ = challenge.Parse(`Bearer realm="api", message="This endpoint requires a user token", scope="read"`)
	s := readSays(a)
	if st, ok := s.statedCause(); !ok || st.code != WrongTokenKind || st.says.Where != "WWW-Authenticate message" {
		t.Errorf("stated %v %v, want %s from the challenge's message (statements %v)", st, ok, WrongTokenKind, s.Statements)
	}
	for _, st := range s.Statements {
		if st.Text == "api" || st.Text == "read" {
			t.Errorf("the realm or scope %q is read as a statement", st.Text)
		}
	}
}
