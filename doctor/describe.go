package doctor

import "fmt"

// about describes findings that come from the server's own answer.
var about = map[Code]struct{ cause, title, fix string }{
	CredentialsMissing:    {"1. Missing Authorization header", "The server received no credentials", "Send the credential the API expects (see WWW-Authenticate)."},
	SchemeMismatch:        {"3. Incorrect authentication scheme", "The server does not accept the scheme that was sent", "Use a scheme named in WWW-Authenticate."},
	HeaderFormat:          {"4. Incorrect token format", "The server finds the credential malformed", "Send the credential exactly as issued, in 'Scheme value' form."},
	CredentialPlaceholder: {"4. Incorrect token format", "The server received a placeholder, not a credential", "Put the real credential in; check the shell expands it."},
	TokenKeyUnknown:       {"2. Invalid token (wrong signing key)", "The token was signed by a key the server does not know", "Obtain a token from the issuer (and environment) this API trusts."},
	TokenSignatureInvalid: {"2. Invalid token (signature / key mismatch)", "The token's signature is refused", "Obtain a fresh token from the right issuer; do not edit tokens."},
	TokenExpired:          {"2. Invalid or expired token", "The credential has expired", "Obtain a new one (refresh the token, rotate the key)."},
	TokenNotYetValid:      {"6. Clock skew", "The token is not valid yet for the server", "Check the clocks (NTP) of the issuer, the server and this machine."},
	TokenIssuerMismatch:   {"5. Wrong credentials for environment", "The token's issuer is not the one the API trusts", "Compare iss exactly — scheme, host, trailing slash — with the issuer the API is configured for."},
	TokenAudienceMismatch: {"2. Invalid token (wrong audience)", "The token is not meant for this API (aud)", "Request an access token for this API's audience; an ID token will not do."},
	TokenTypeMismatch:     {"2. Invalid token (wrong token type)", "The server wants another kind of token (typ)", "Send an access token (typ at+jwt), not an ID token."},
	CredentialRevoked:     {"2. Revoked token or key", "The credential has been revoked", "Obtain a new credential."},
	CredentialUnknown:     {"2. Invalid API key", "The server does not know this credential", "Check for typos or truncation, or a key from another service or environment."},
	WrongEnvironment:      {"5. Wrong credentials for environment", "The credential is for another environment", "Use the credential issued for this environment (live vs test)."},
	BasicNotBase64:        {"4. Incorrect token format", "The server finds the Basic credentials malformed", "Let the client encode them: curl -u user:password."},
	CredentialsRejected:   {"2. Invalid credentials", "The server rejects the credentials", "Check the credential itself: typos, expiry, revocation, environment."},
	TooManyFailures:       {"2. Invalid credentials (repeated)", "Too many failed attempts", "Wait for Retry-After, then retry with correct credentials."},
	InsufficientScope:     {"FAQ: 401 vs 403", "Authenticated, but the credential lacks a permission (scope) this call needs — not a credential problem", "Request a token or key with the scope named in the challenge; retrying the same one will not help."},
	Forbidden:             {"FAQ: 401 vs 403", "Authenticated, but a policy forbids this call — not a credential problem", "Ask the API's owners for access; retrying with the same credentials will not help."},
	ServerFault:           {"-", "The server failed: this is not about your credentials", "Retry later; if it persists the API's operators must look at their side."},
	ClockSkew:             {"6. Clock skew", "A clock is wrong: the request's time is too far from the server's", "Synchronise this machine's clock (NTP) and sign the request again."},
	RequestSignatureInvalid: {"2. Invalid credentials (signature)", "The request's signature does not verify",
		"Check the secret key, the region and service in the credential scope, and that the signed headers, query and body are sent exactly as signed (use the SDK's signer)."},
	CompanionHeaderMissing: {"Environment notes", "A header the API requires beside the credential is missing",
		"Add the header the server names (an API version, an OTP, a project or client id, an apikey) as its documentation says."},
	WrongTokenKind: {"2. Invalid token", "The server wants another kind of credential",
		"Send the kind of credential the API documents (an access token, an API token, a secret key), not a password, a publishable key or an ID token."},
	IDTokenSent:           {"2. Invalid token (wrong audience)", "An ID token is sent where an access token is wanted", "Send the access_token from the token response, not the id_token."},
	CredentialWrongHeader: {"3. Incorrect authentication scheme", "The credential is not where the API reads it", "Send it in the header the API documents."},
	TokenForOtherAPI:      {"5. Wrong credentials for environment", "The credential is for another API", "Use a credential issued for this API."},
	StepUpRequired: {"2. Invalid token", "The API wants a stronger or fresher sign-in (RFC 9470 step-up)",
		"Sign in again as the challenge's acr_values (a stronger method, such as MFA) or max_age (a recent sign-in) ask, and send the new token."},
	RedirectedToLogin: {"1. Missing Authorization header", "The request was redirected to a login page", "Authenticate the way an API expects (a header), not with a browser session."},
	ClientIPNotAllowed: {"Environment notes: network", "This machine's IP address is not allowed to call the API (an allow-list or ban), whatever the credential",
		"Call from an allowed address (VPN, the server the key is bound to), or add this machine's public IP to the key's or account's allow-list."},
	AccountLocked: {"2. Invalid credentials (repeated)", "The account is locked, banned or behind a CAPTCHA after failed attempts",
		"Stop retrying; unlock the account (wait out the lockout, solve the CAPTCHA in a browser, or ask an administrator), then use the right credentials."},
	BasicUsernameWrong: {"3. Incorrect authentication scheme", "The Basic user name is not the one the service's token convention wants",
		"Send the token as the password with the user name the service documents (x-access-token, api, apikey, token, x-token-auth, your e-mail…)."},
	OTPRequired: {"Environment notes", "A one-time password (2FA code) is required beside the credential",
		"Send the current one-time code in the header or field the API names (X-GitHub-OTP, …), or use a token that needs none (a personal access token)."},
	CSRFTokenRequired: {"Environment notes", "The server wants a CSRF token beside the session",
		"Send the CSRF token the server issued (a cookie echoed in X-CSRF-Token / X-XSRF-TOKEN) with the session, or call the API with a token instead of a browser session."},
	WrongBaseURL: {"5. Wrong credentials for environment", "The request goes to the wrong base URL (region, deployment or data centre) for this account",
		"Call the host the account lives on (the region, data centre, instance or tenant URL the service gave you); the credential is valid only there."},
	TokenLifetimeTooLong: {"2. Invalid token (lifetime)", "The token's lifetime is longer than the server accepts",
		"Mint the token with a shorter lifetime (exp - iat within the maximum the server states, e.g. 10 minutes for a GitHub App JWT)."},
	CORSOriginDenied: {"8. CORS preflight failure", "The server does not allow this origin", "Add the origin to the API's allowed origins."},
	PasswordIsHash:   {"2. Invalid credentials", "The password sent is a hash, not the password", "Send the plain password (or token); the server stores and compares the hash itself."},
	RequestMalformed: {"Environment notes: proxies", "The request itself was refused (its path, method, headers or body), not the credential",
		"Correct the request as the server's detail says; the credential was not the problem."},
	CredentialWrapped: {"4. Incorrect token format", "The credential is wrapped in angle brackets or quotes", "Send the bare credential: documentation writes <token> or \"token\" to mark where it goes."},
}

func causeOf(c Code) string { return about[c].cause }

func titleOf(c Code, status int) string {
	if t := about[c].title; t != "" && status < 300 {
		return fmt.Sprintf("%s (in a %d answer whose body says the call failed)", t, status)
	}
	if t := about[c].title; t != "" {
		return fmt.Sprintf("%s (%d)", t, status)
	}
	return fmt.Sprintf("The server answered %d", status)
}

func fixOf(c Code) string { return about[c].fix }

// categories say in a few words what kind of problem a code is, for
// readers who do not know the 401 guide's numbering.
var categories = map[Code]string{
	CredentialsMissing: "no credential", VariableUnset: "no credential", HeaderNameMisspelled: "no credential",
	RedirectedToLogin: "not authenticated", AuthorizationStripped: "lost on the way", RedirectCrossHost: "lost on the way",
	RedirectSchemeDowngrade: "lost on the way", SameWithoutCredentials: "lost on the way",
	CredentialPlaceholder: "malformed credential", ShellSubstitution: "malformed credential", HeaderFormat: "malformed credential",
	BasicNotBase64: "malformed credential", BasicBase64Wrapped: "malformed credential", BasicTrailingNewline: "malformed credential",
	BasicNoColon: "malformed credential", EnvFileProblem: "malformed credential",
	SchemeMismatch: "wrong scheme or place", CredentialWrongHeader: "wrong scheme or place", CompanionHeaderMissing: "missing companion header",
	WrongTokenKind: "wrong kind of credential", IDTokenSent: "wrong kind of credential", TokenTypeMismatch: "wrong kind of credential",
	AlgNone:               "wrong kind of credential",
	TokenAudienceMismatch: "meant for another API", TokenForOtherAPI: "meant for another API", TokenIssuerMismatch: "wrong issuer",
	WrongEnvironment: "wrong environment",
	TokenExpired:     "expired", TokenExpiresSoon: "expired", TokenNotYetValid: "clock", ClockSkew: "clock",
	TokenSignatureInvalid: "signature", TokenKeyUnknown: "signature", RequestSignatureInvalid: "signature",
	CredentialRevoked: "revoked", CredentialUnknown: "unknown credential", CredentialsRejected: "rejected",
	InsufficientScope: "permission", Forbidden: "permission", StepUpRequired: "stronger sign-in needed",
	TooManyFailures: "rate limited", ServerFault: "server fault", MissingChallenge: "server manners",
	CORSPreflightRejected: "CORS", CORSPreflightFailed: "CORS", CORSAuthorizationDenied: "CORS", CORSOriginDenied: "CORS",
	CORSCredentialsWildcard: "CORS", CORSExposeMissing: "CORS",
	ClientIPNotAllowed: "address not allowed", AccountLocked: "account locked", BasicUsernameWrong: "wrong user name for the token",
	OTPRequired: "one-time password needed", CSRFTokenRequired: "CSRF token needed", WrongBaseURL: "wrong base URL",
	TokenLifetimeTooLong: "lifetime too long", PasswordIsHash: "malformed credential", CredentialWrapped: "malformed credential",
	RequestMalformed: "request refused",
}

func categoryOf(c Code) string { return categories[c] }
