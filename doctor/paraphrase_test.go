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
	checkReadAs(t, tests)
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
		Forbidden:              {"Access to this resource is restricted by policy"},
		InsufficientScope:      {"Your plan does not include API access", "This feature is not enabled for your account"},
		CompanionHeaderMissing: {"Missing Client-Id header", "Please include the X-Workspace-Id header"},
		CredentialRevoked:      {"This API key has been revoked", "The token was revoked by the user"},
		SchemeMismatch:         {"Unsupported authorization scheme", "Basic authentication is not supported", "Expected a Bearer token", "Only Bearer tokens are accepted"},
		TokenExpired:           {"Signature has expired", "Your session ended, please sign in again", "Token expired at 2026-01-01"},
	}
	checkReadAs(t, tests)
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

// TestLexiconParaphrasesRound2 is the second round's paraphrases (#25):
// the causes the held-out classes name, each in several wordings of the
// doctor's own (not counted in the lexicon's size).
func TestLexiconParaphrasesRound2(t *testing.T) {
	tests := map[Code][]string{
		TokenExpired:           {"Your session has expired. Please log in again.", "Session timed out", "Login session has expired", "Token has expired", "The access token provided has expired.", "TokenExpiredError: jwt expired", "Your authentication token has expired", "Access token has expired, please refresh", "ERR_JWT_EXPIRED", "The session ID is no longer valid"},
		InsufficientScope:      {"Must have admin rights to Repository.", "You are not authorized to access this resource", "User does not have permission to perform this action", "This action requires the 'admin' role", "Insufficient privileges to complete the operation.", "The API key does not have the required permissions", "Permission denied: missing role roles/storage.admin", "This request requires the manage_users permission", "ACL not found", "Access to this resource requires the scope read:org", "You don't have permission to access this project", "The token lacks the necessary permissions", "Your role does not allow this action", "Requires one of the following scopes: write:packages", "User is not a member of this organization", "You must be an administrator to perform this action", "This endpoint requires admin privileges", "Forbidden: user cannot access this board", "The caller does not have permission", "Missing required permission: channels:history", "insufficient_permissions", "INSUFFICIENT_PERMISSIONS", "MISSING_SCOPE", "Token does not have the required scope", "Request had insufficient authentication scopes.", "Your plan does not include API access", "This endpoint is not available on your current plan"},
		CredentialUnknown:      {"API key not found", "Invalid API key provided", "Unknown API key", "The API key you provided is not valid", "INVALID_API_KEY", "invalidApiKey", "EAPI:Invalid key", "No user with this API key", "Invalid authentication token: token not found", "This API key does not exist", "apikey is invalid", "Invalid App ID", "The access key ID you provided does not exist in our records.", "Unrecognized API key", "key_not_found"},
		WrongTokenKind:         {"This endpoint requires a user access token; an app access token was provided", "App access tokens cannot be used with this endpoint", "This method requires a user token, but a bot token was used", "not_allowed_token_type", "Bot tokens are not allowed for this method", "Client credentials grant tokens cannot access user resources", "Please use an app password", "Password authentication is not supported; use a personal access token", "An application-specific password is required", "Requires user authentication", "This endpoint does not support service account tokens"},
		CompanionHeaderMissing: {"Missing required header: X-Client-Id", "The Notion-Version header is required", "Client ID is required", "Missing Client-Id", "X-Tenant-ID header missing", "api-version query parameter is required", "Please specify an API version", "Missing API version header", "User-Agent header required"},
		CSRFTokenRequired:      {"CSRF token missing or incorrect.", "Invalid nonce", "The CSRF token is invalid. Please try to resubmit the form.", "X-CSRFToken header missing"},
		ClientIPNotAllowed:     {"Your IP address is not allowed to access this resource", "Request from unauthorized IP", "IP address 1.2.3.4 is not whitelisted", "Access from your country is restricted", "Your IP has been banned", "This IP is not in the allowlist", "Access denied: IP not in trusted range", "Service unavailable in your region", "Forbidden: requests from your network are blocked"},
		OTPRequired:            {"Two-factor authentication required", "Must specify two-factor authentication OTP code.", "MFA code required", "A verification code is required", "2FA token required", "TOTP code missing"},
		AccountLocked:          {"Your account has been locked due to too many failed login attempts", "Account is temporarily locked", "User is locked", "Too many login attempts. Please try again later."},
		WrongBaseURL:           {"This account is hosted in the EU region. Use api.eu.example.com", "Invalid region", "Please use the correct API endpoint for your region", "Wrong datacenter"},
		WrongEnvironment:       {"You are using a sandbox key against the production environment", "Live API keys cannot be used in test mode", "This key is for the sandbox environment", "Test credentials are not valid in production", "paper account keys are not valid for live trading"},
		TokenLifetimeTooLong:   {"exp claim must not be more than 10 minutes in the future", "Token lifetime exceeds the maximum allowed", "JWT expiration too far in the future"},
		ClockSkew:              {"Timestamp for this request was 1000ms ahead of the server's time.", "Request timestamp expired", "The request timestamp is outside the allowed window", "recvWindow must be less than 60000", "Invalid timestamp", "Nonce must be greater than the previous"},
		SchemeMismatch:         {"Authorization scheme must be Bearer"},
		CredentialsMissing:     {"No authorization header provided", "Authentication credentials were not provided.", "You must be logged in to do that.", "Missing API key", "API token required", "Anonymous access denied"},
		CredentialRevoked:      {"Token is not active", "This API key is inactive", "Token has been revoked", "This API key has been disabled", "The account has been deactivated"},
		HeaderFormat:           {"Authorization header is malformed", "Bearer token is malformed", "Invalid Authorization header format"},
		Forbidden:              {"Your subscription has expired", "Trial ended: upgrade your plan", "License expired"},
	}
	checkReadAs(t, tests)
}

// TestLexiconParaphrasesRound3 is the third round's paraphrases (#25):
// the words that name a class — a kind of token (server, account, app,
// user-level, bot), an environment, an IP allow-list, the user-name
// convention, the User-Agent — in wordings of the doctor's own.
func TestLexiconParaphrasesRound3(t *testing.T) {
	tests := map[Code][]string{
		WrongTokenKind: {"This endpoint needs a server token", "An account token cannot be used for this request", "Account tokens are not allowed here",
			"This is not a user token", "Workspace tokens are not supported for this operation", "Use a secret key instead", "This method only works with a personal access token",
			"Server token is required", "Bots cannot use this endpoint", "Only users can use this endpoint", "This request is only valid with delegated permissions",
			"API tokens are not enabled for this endpoint", "Wrong kind of token", "Expected a management token", "The key must be a secret key",
			"The token is an app token, but this call acts for a user", "Only user tokens are accepted", "Valid user-level authentication not found", "Search-only API key: method not allowed with this API key"},
		WrongEnvironment: {"This API key belongs to the sandbox environment", "Key was created in test mode and cannot be used here", "The credentials are for the production environment",
			"APIKey does not match the current environment", "Test account credentials cannot access this resource", "Environment mismatch: staging key sent to production"},
		ClientIPNotAllowed: {"Unauthorized IP address: 198.51.100.4", "Request blocked by the IP restriction of this key", "The request did not come from one of the allowed IP addresses",
			"Requests from 198.51.100.4 are not allowed", "Blocked by firewall", "IP 198.51.100.4 is not included in the key's allowed list"},
		BasicUsernameWrong:     {"Use your API token as the password and leave the username empty", "The username must contain your account id", "Send the token as the username"},
		CompanionHeaderMissing: {"Please set a descriptive User-Agent", "A User-Agent header is required", "Requests must identify the client in the User-Agent"},
		TokenExpired:           {"The session token is stale", "Access token has lapsed", "Session has timed out"},
		TokenLifetimeTooLong:   {"exp must be within 1 hour of iat"},
		CredentialsMissing:     {"Missing subscription key", "missing partner key"},
	}
	checkReadAs(t, tests)
}

// checkReadAs fails for each message the lexicon does not read as the
// cause (or group) it is listed under.
func checkReadAs[C ~string](t *testing.T, tests map[C][]string) {
	t.Helper()
	for want, list := range tests {
		for _, m := range list {
			if got := lexiconCause(m); got != string(want) {
				t.Errorf("%s: %q read as %s", want, m, got)
			}
		}
	}
}
