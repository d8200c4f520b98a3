package doctor

import "testing"

// TestLexiconParaphrases checks that each cause's rules are written as
// phrases and synonyms, not as one provider's sentence: the same causes in
// other words than the cited messages of testdata/lexicon.yaml. These
// phrasings are the doctor's own, so they do not count in the lexicon's
// size.
func TestLexiconParaphrases(t *testing.T) {
	tests := map[Code][]string{
		CredentialsMissing:     {"No token provided", "Access token is missing", "Authorization header not found", "Please provide an API key", "API key required", "This endpoint requires an API key", "Bearer token required", "Missing authorization header", "An API key is required to access this resource", "Authentication token is required", "no auth token", "You must provide a token", "Token not provided", "credentials required", "Login is required", "You need to be logged in"},
		TokenExpired:           {"Your session has expired, please log in again", "token has expired", "The access token has expired", "OAuth token expired", "Session timed out", "Your token is no longer valid because it expired"},
		CredentialRevoked:      {"This token has been revoked", "API key has been disabled", "Your API key was deleted", "The key has been deactivated", "User account is disabled", "This account has been suspended", "The app was uninstalled"},
		CredentialUnknown:      {"Unknown API key", "API key not found", "The API key provided is not valid", "No such API key", "Invalid API key provided", "Invalid key", "That key doesn't exist", "Unrecognized API key", "invalid_api_key", "bad api key", "API key is incorrect"},
		InsufficientScope:      {"Requires admin privileges", "You need the admin role to do this", "Only organization owners can do this", "This action requires the 'write' scope", "Token lacks the required scope", "Insufficient permissions", "You don't have permission to delete this project", "User does not have access to this project", "Administrator access required", "Permission 'repo:write' required", "The token does not have the scope required"},
		ClientIPNotAllowed:     {"Your IP address is not whitelisted", "Request from unauthorized IP", "IP not in allowlist", "Access from your IP address is blocked", "This API key can only be used from allowed IP addresses", "Requests from this IP are not allowed", "Client IP 1.2.3.4 is not permitted", "Your IP has been banned", "Access restricted to local network", "Only local sign-in is allowed for this account"},
		AccountLocked:          {"Account locked due to too many failed login attempts", "Your account has been temporarily locked", "Too many failed attempts, please try again later", "Please complete the CAPTCHA", "User is locked out", "account is locked"},
		OTPRequired:            {"Two-factor authentication code required", "2FA code missing", "OTP required", "Please provide your one-time password", "A verification code is required", "MFA code required"},
		WrongBaseURL:           {"This account is hosted in the EU region; use api.eu.example.com", "Wrong datacenter", "Please use the correct region endpoint", "Your organization is on a different instance", "Invalid region", "This key belongs to the EU data center"},
		CompanionHeaderMissing: {"Missing required header: X-Client-Id", "X-Api-Version header is required", "The header 'Client-Id' is missing", "Required header 'X-Tenant' not present"},
		WrongTokenKind:         {"This endpoint requires a user access token, not an app token", "App access tokens are not allowed", "Please use an app-specific password", "Personal access tokens are not supported; use OAuth", "Service accounts cannot call this endpoint", "API keys cannot be used for this endpoint"},
		CSRFTokenRequired:      {"CSRF token invalid", "Missing X-XSRF-TOKEN header", "Invalid CSRF token"},
		CORSOriginDenied:       {"Origin not allowed", "CORS: origin https://app.example.com is not allowed", "Not allowed by CORS"},
		TokenAudienceMismatch:  {"Token audience does not match", "invalid audience"},
		TokenSignatureInvalid:  {"Invalid token signature", "JWT signature does not match"},
	}
	for want, list := range tests {
		for _, m := range list {
			if got := lexiconCause(m); got != string(want) {
				t.Errorf("%s: %q read as %s", want, m, got)
			}
		}
	}
}

// TestCodeWords: error codes are read as the words they spell.
func TestCodeWords(t *testing.T) {
	tests := map[string]Code{
		"MISSING_API_KEY": CredentialsMissing, "ExpiredAccessToken": TokenExpired, "ip-not-whitelisted": ClientIPNotAllowed,
		"ACCOUNT_LOCKED_OUT": AccountLocked, "InvalidApiKey": CredentialUnknown, "OTP_REQUIRED": OTPRequired,
		"CsrfTokenMismatch": CSRFTokenRequired, "TOKEN_REVOKED": CredentialRevoked, "WRONG_REGION": WrongBaseURL,
	}
	for code, want := range tests {
		if got := lexiconCause(code); got != string(want) {
			t.Errorf("%s read as %s, want %s", code, got, want)
		}
	}
}

// TestLexiconParaphrasesOfFormat: more causes in words other than the
// cited ones (format, keys, time, environment, policy, headers).
func TestLexiconParaphrasesOfFormat(t *testing.T) {
	tests := map[Code][]string{
		HeaderFormat:           {"Malformed token", "Token format is invalid", "Authorization header must start with Bearer", "Bearer prefix missing", "Authorization header is badly formatted", "Invalid Authorization header format", "Could not parse token", "JWT is not well formed"},
		TokenIssuerMismatch:    {"Untrusted issuer", "Token issuer not recognised", "iss claim mismatch"},
		TokenKeyUnknown:        {"Unknown signing key", "kid not found in JWKS", "No matching signing key"},
		TokenNotYetValid:       {"Token not active yet", "Token is not valid yet", "nbf claim is in the future"},
		ClockSkew:              {"Request timestamp too old", "Clock skew too large", "Your system clock is out of sync"},
		WrongEnvironment:       {"This key is for the sandbox environment", "Live keys cannot be used in test mode"},
		StepUpRequired:         {"Step-up authentication required", "Re-authentication required: MFA needed for this operation"},
		TooManyFailures:        {"Too many requests", "Quota exceeded", "Rate limit exceeded, retry in 30 seconds"},
		CredentialsRejected:    {"Invalid credentials", "Wrong username or password", "The token is invalid"},
		Forbidden:              {"Access to this resource is restricted by policy", "Your plan does not include API access", "This feature is not enabled for your account"},
		CompanionHeaderMissing: {"Missing Client-Id header", "Please include the X-Workspace-Id header"},
		CredentialRevoked:      {"This API key has been revoked", "The token was revoked by the user"},
		SchemeMismatch:         {"Unsupported authorization scheme", "Basic authentication is not supported", "Expected a Bearer token", "Only Bearer tokens are accepted"},
		TokenExpired:           {"Signature has expired", "Your session ended, please sign in again", "Token expired at 2026-01-01"},
	}
	for want, list := range tests {
		for _, m := range list {
			if got := lexiconCause(m); got != string(want) {
				t.Errorf("%s: %q read as %s", want, m, got)
			}
		}
	}
}

// TestBoilerplateIsBare: web servers' and CDNs' stock refusals name no
// cause.
func TestBoilerplateIsBare(t *testing.T) {
	for _, m := range []string{
		"You don't have permission to access this resource.",
		`You don't have permission to access "http://www.example.com/api/" on this server.`,
		"Access denied",
		"403 Forbidden",
	} {
		if !isBare(Statement{Text: m}) {
			t.Errorf("%q is not read as a bare refusal", m)
		}
	}
}
