// Package reason is the catalogue of every way a request can fail
// authentication or authorization at authgate. The gateway, its logs, the
// doctor and the docs all speak these codes; nothing else invents its own.
package reason

import (
	"net/http"
	"sort"
)

// Code is a stable snake_case identifier of one failure. Codes are never
// renamed once released.
type Code string

// The catalogue. Keep in step with docs/reasons.md (a test checks).
const (
	CredentialsMissing         Code = "credentials_missing"
	SchemeUnsupported          Code = "scheme_unsupported"
	HeaderMalformed            Code = "header_malformed"
	CredentialPlaceholder      Code = "credential_placeholder"
	TokenTooLarge              Code = "token_too_large"
	TokenMalformed             Code = "token_malformed"
	TokenAlgorithmRejected     Code = "token_algorithm_rejected"
	TokenKeyUnknown            Code = "token_key_unknown"
	TokenSignatureInvalid      Code = "token_signature_invalid"
	TokenExpired               Code = "token_expired"
	TokenNotYetValid           Code = "token_not_yet_valid"
	TokenIssuerUntrusted       Code = "token_issuer_untrusted"
	TokenAudienceMismatch      Code = "token_audience_mismatch"
	TokenTypeMismatch          Code = "token_type_mismatch"
	APIKeyMalformed            Code = "api_key_malformed"
	CredentialInQuery          Code = "credential_in_query"
	CredentialRevoked          Code = "credential_revoked"
	CredentialExpired          Code = "credential_expired"
	CredentialUnknown          Code = "credential_unknown"
	CredentialWrongEnvironment Code = "credential_wrong_environment"
	BasicMalformed             Code = "basic_malformed"
	BasicInvalid               Code = "basic_invalid"
	TooManyFailures            Code = "too_many_failures"
	InsufficientScope          Code = "insufficient_scope"
	Forbidden                  Code = "forbidden"
	ClientNetworkDenied        Code = "client_network_denied"
	ClaimMismatch              Code = "claim_mismatch"
	TokenInactive              Code = "token_inactive"
	// InsufficientUserAuthentication is RFC 9470's step-up error.
	InsufficientUserAuthentication Code = "insufficient_user_authentication"
	PathMalformed                  Code = "path_malformed"
	HeadersTooMany                 Code = "headers_too_many"
	ProxyUntrusted                 Code = "proxy_untrusted"
	ProxyRequestInvalid            Code = "proxy_request_invalid"
	CORSOriginDenied               Code = "cors_origin_denied"
	RouteNotFound                  Code = "route_not_found"
	AuthUnavailable                Code = "auth_unavailable"
	UpstreamUnreachable            Code = "upstream_unreachable"
	UpstreamTimeout                Code = "upstream_timeout"
	CredentialWrongKind            Code = "credential_wrong_kind"
	QuotaExceeded                  Code = "quota_exceeded"
	MethodMalformed                Code = "method_malformed"
	RequestBodyTooLarge            Code = "request_body_too_large"
	RequestBodyTimeout             Code = "request_body_timeout"
	RequestBodyMalformed           Code = "request_body_malformed"
	UpgradeNotAllowed              Code = "upgrade_not_allowed"
	// Sender-constrained tokens: DPoP (RFC 9449) and certificate-bound
	// tokens (RFC 8705).
	DPoPProofMissing       Code = "dpop_proof_missing"
	DPoPProofInvalid       Code = "dpop_proof_invalid"
	DPoPProofMismatch      Code = "dpop_proof_request_mismatch"
	DPoPProofReplayed      Code = "dpop_proof_replayed"
	DPoPProofTokenMismatch Code = "dpop_proof_token_mismatch"
	DPoPNonceRequired      Code = "dpop_nonce_required"
	DPoPKeyMismatch        Code = "dpop_key_mismatch"
	DPoPTokenUnbound       Code = "dpop_token_unbound"
	DPoPBoundTokenAsBearer Code = "dpop_bound_token_as_bearer"
	DPoPRequired           Code = "dpop_required"
	CertificateMissing     Code = "certificate_missing"
	CertificateMismatch    Code = "certificate_mismatch"
	// Admin API answers: the same problem shape as the gateway's.
	RequestInvalid     Code = "request_invalid"
	NotFound           Code = "not_found"
	AlreadyExists      Code = "already_exists"
	StoreNotConfigured Code = "store_not_configured"
)

// Entry describes one code: what status it answers with, what RFC 6750
// error value goes into a Bearer challenge, and what to tell the client.
type Entry struct {
	Code Code
	// Status is the HTTP status of a response carrying this reason.
	Status int
	// BearerError is the RFC 6750 §3.1 error value, or "" when the
	// challenge must carry no error (no credentials, unsupported scheme).
	BearerError string
	// Title is a short public summary (RFC 9457 title).
	Title string
	// Hint tells the client what to do about it.
	Hint string
	// Cause is the http-401-guide cause this corresponds to.
	Cause string
}

// Challenged reports whether a response with this reason carries
// WWW-Authenticate challenges (every 401, and 400/403 from a Bearer check).
func (e Entry) Challenged() bool {
	return e.Status == http.StatusUnauthorized || e.BearerError != ""
}

var catalogue = map[Code]Entry{
	CredentialsMissing: {Status: 401, Title: "Credentials missing",
		Hint:  "Send an Authorization header with one of the schemes in WWW-Authenticate.",
		Cause: "1. Missing Authorization header"},
	SchemeUnsupported: {Status: 401, Title: "Authentication scheme not accepted",
		Hint:  "Use one of the schemes named in WWW-Authenticate for this route.",
		Cause: "3. Incorrect authentication scheme"},
	HeaderMalformed: {Status: 400, BearerError: "invalid_request", Title: "Authorization header malformed",
		Hint:  "Send exactly one Authorization header of the form 'Bearer <token>', with no quotes, extra spaces or repeated scheme.",
		Cause: "4. Incorrect token format"},
	CredentialPlaceholder: {Status: 401, BearerError: "invalid_token", Title: "Credential is a placeholder",
		Hint:  "Replace the placeholder with a real credential; check the variable is set and that the shell expands it (double quotes, not single).",
		Cause: "4. Incorrect token format"},
	TokenTooLarge: {Status: 401, BearerError: "invalid_token", Title: "Token too large",
		Hint:  "Send the access token itself; a token this large is usually several tokens or a whole response pasted together.",
		Cause: "4. Incorrect token format"},
	TokenMalformed: {Status: 401, BearerError: "invalid_token", Title: "Token malformed",
		Hint:  "Send the access token exactly as issued: a signed JWT of three base64url parts separated by dots.",
		Cause: "4. Incorrect token format"},
	TokenAlgorithmRejected: {Status: 401, BearerError: "invalid_token", Title: "Token algorithm rejected",
		Hint:  "Use a token issued by the configured issuer; its signing algorithm is not accepted here.",
		Cause: "2. Invalid token"},
	TokenKeyUnknown: {Status: 401, BearerError: "invalid_token", Title: "Token signing key unknown",
		Hint:  "The token was signed by a key this issuer does not publish; obtain a token from the right issuer or environment.",
		Cause: "2. Invalid token (wrong signing key)"},
	TokenSignatureInvalid: {Status: 401, BearerError: "invalid_token", Title: "Token signature invalid",
		Hint:  "The token was altered or signed by another key; obtain a fresh token from the issuer.",
		Cause: "2. Invalid token (signature / key mismatch)"},
	TokenExpired: {Status: 401, BearerError: "invalid_token", Title: "Token expired",
		Hint:  "Obtain a new access token (refresh it) and retry.",
		Cause: "2. Expired token"},
	TokenNotYetValid: {Status: 401, BearerError: "invalid_token", Title: "Token not yet valid",
		Hint:  "The token is dated in the future: check the clocks of the issuer and this server (NTP).",
		Cause: "6. Clock skew"},
	TokenIssuerUntrusted: {Status: 401, BearerError: "invalid_token", Title: "Token issuer not trusted",
		Hint:  "Use a token from the issuer this API trusts; compare the iss claim exactly, including scheme and trailing slash.",
		Cause: "5. Wrong credentials for environment"},
	TokenAudienceMismatch: {Status: 401, BearerError: "invalid_token", Title: "Token audience mismatch",
		Hint:  "Request an access token for this API's audience; an ID token or a token for another API will not do.",
		Cause: "2. Invalid token (wrong audience)"},
	TokenTypeMismatch: {Status: 401, BearerError: "invalid_token", Title: "Token type mismatch",
		Hint:  "Send an access token (typ at+jwt), not an ID token or another kind of JWT.",
		Cause: "2. Invalid token (wrong token type)"},
	APIKeyMalformed: {Status: 401, BearerError: "invalid_token", Title: "API key malformed",
		Hint:  "Copy the whole API key again: its checksum shows it was truncated, extended or mistyped.",
		Cause: "4. Incorrect token format"},
	CredentialInQuery: {Status: 400, BearerError: "invalid_request", Title: "Credential in the URL",
		Hint:  "Send the credential in a header (Authorization or the API-key header), not in the query string, where logs and proxies record it.",
		Cause: "4. Incorrect token format"},
	CredentialRevoked: {Status: 401, BearerError: "invalid_token", Title: "Credential revoked",
		Hint:  "This credential was revoked; obtain a new one.",
		Cause: "2. Revoked token or key"},
	CredentialExpired: {Status: 401, BearerError: "invalid_token", Title: "Credential expired",
		Hint:  "This API key is past its expiry; create or rotate a key.",
		Cause: "2. Expired API key"},
	CredentialUnknown: {Status: 401, BearerError: "invalid_token", Title: "Credential unknown",
		Hint:  "No such credential here: check for typos, truncation, or a key from another service.",
		Cause: "2. Invalid API key"},
	CredentialWrongEnvironment: {Status: 401, BearerError: "invalid_token", Title: "Credential for another environment",
		Hint:  "Use the credential issued for this environment (live vs test).",
		Cause: "5. Wrong credentials for environment"},
	BasicMalformed: {Status: 400, Title: "Basic credentials malformed",
		Hint:  "Send 'Basic ' followed by standard base64 of 'user:password' (UTF-8, no trailing newline).",
		Cause: "4. Incorrect format"},
	BasicInvalid: {Status: 401, Title: "User name or password wrong",
		Hint:  "Check the user name and password.",
		Cause: "2. Invalid credentials"},
	TooManyFailures: {Status: 429, Title: "Too many failed attempts",
		Hint:  "Wait for Retry-After seconds, then retry with correct credentials.",
		Cause: "2. Invalid credentials (repeated)"},
	InsufficientScope: {Status: 403, BearerError: "insufficient_scope", Title: "Insufficient scope",
		Hint:  "Authenticated, but the token lacks a scope this route needs; request a token with the scopes named in the challenge.",
		Cause: "FAQ: 401 vs 403"},
	Forbidden: {Status: 403, Title: "Forbidden",
		Hint:  "Authenticated, but a policy denies this request; retrying with the same credentials will not help.",
		Cause: "FAQ: 401 vs 403"},
	TokenInactive: {Status: 401, BearerError: "invalid_token", Title: "Token not active",
		Hint:  "The issuer says this token is not active (expired, revoked or never issued): obtain a new one.",
		Cause: "2. Invalid or expired token"},
	ClaimMismatch: {Status: 403, Title: "Claim requirement not met",
		Hint:  "Authenticated, but the token lacks a claim value this route requires (a role, a group); obtain a token that carries it.",
		Cause: "FAQ: 401 vs 403"},
	InsufficientUserAuthentication: {Status: 401, BearerError: "insufficient_user_authentication", Title: "Stronger or fresher authentication needed",
		Hint:  "Sign in again as the challenge asks (acr_values, max_age) and send the new token (RFC 9470).",
		Cause: "2. Invalid token"},
	ClientNetworkDenied: {Status: 403, Title: "Client network not allowed",
		Hint:  "This route takes requests only from certain networks (allow_cidrs, deny_cidrs); call it from an allowed network. Credentials will not help.",
		Cause: "FAQ: 401 vs 403"},
	PathMalformed: {Status: 400, Title: "Request path not canonical",
		Hint:  "Send the path in canonical form: no dot segments, doubled or encoded slashes, backslashes or NUL.",
		Cause: "Environment notes: proxies"},
	HeadersTooMany: {Status: 431, Title: "Too many request headers",
		Hint:  "Send fewer header lines; the gateway bounds how many it reads.",
		Cause: "Environment notes: proxies"},
	ProxyUntrusted: {Status: 403, Title: "Decision request from an untrusted address",
		Hint:  "Forward-auth decisions are answered only for the proxies listed in trusted_proxies.",
		Cause: "Environment notes: proxies"},
	ProxyRequestInvalid: {Status: 400, Title: "Decision request invalid",
		Hint:  "The proxy must describe the original request in the headers of the convention decision_proxy names (nginx: X-Original-Method, -URI, -Host; caddy, traefik: X-Forwarded-Method, -Uri, -Host; ingress-nginx: X-Original-Method and the whole URL in X-Original-URL), once each, and pass on no client copy of another convention's header or of a path rewrite.",
		Cause: "Environment notes: proxies"},
	CORSOriginDenied: {Status: 403, Title: "Origin not allowed",
		Hint:  "This origin is not among the route's allowed CORS origins; browsers will not send the request.",
		Cause: "8. CORS preflight failure"},
	RouteNotFound: {Status: 404, Title: "No route",
		Hint:  "No route of this gateway matches the method and path; check the URL.",
		Cause: "-"},
	AuthUnavailable: {Status: 503, Title: "Authentication temporarily unavailable",
		Hint:  "The gateway could not check credentials (its own dependency failed); retry later. Your credentials were not judged.",
		Cause: "Environment notes: network configuration"},
	UpstreamUnreachable: {Status: 502, Title: "Upstream unreachable",
		Hint:  "The request was authenticated but the service behind the gateway could not be reached; retry later.",
		Cause: "-"},
	UpstreamTimeout: {Status: 504, Title: "Upstream timed out",
		Hint:  "The request was authenticated but the service behind the gateway did not answer in time; retry later.",
		Cause: "-"},
	CredentialWrongKind: {Status: 401, BearerError: "invalid_token", Title: "Credential of another kind",
		Hint:  "Admin keys open only the admin API, and API keys never open it: use the kind of key this endpoint takes.",
		Cause: "5. Wrong credentials for environment"},
	QuotaExceeded: {Status: 429, Title: "Quota exceeded",
		Hint:  "This credential made all the requests its quota allows on this route for now; wait for Retry-After (RateLimit says what is left).",
		Cause: "-"},
	MethodMalformed: {Status: 400, Title: "Method not canonical",
		Hint:  "Send the method in upper case (GET, POST, DELETE): methods are case-sensitive, and the gateway will not let the upstream read one differently than it did.",
		Cause: "Environment notes: proxies"},
	RequestBodyTooLarge: {Status: 413, Title: "Request body too large",
		Hint:  "Send a smaller body; the route's limit is in the detail.",
		Cause: "-"},
	RequestBodyTimeout: {Status: 408, Title: "Request body too slow",
		Hint:  "Send the request body without long pauses; the gateway does not wait for a body without end.",
		Cause: "-"},
	RequestBodyMalformed: {Status: 400, Title: "Request body malformed",
		Hint:  "The request body's framing is broken (chunked encoding); the request never reached the service.",
		Cause: "-"},
	UpgradeNotAllowed: {Status: 400, Title: "Protocol upgrade not allowed",
		Hint:  "This route does not take protocol upgrades (h2c never; WebSocket only where the route allows it). Send a plain HTTP request.",
		Cause: "Environment notes: proxies"},
	DPoPProofMissing: {Status: 401, BearerError: "invalid_dpop_proof", Title: "DPoP proof missing",
		Hint:  "A DPoP token needs a proof: send one DPoP header with a proof JWT made for this request (RFC 9449 section 4).",
		Cause: "3. Incorrect authentication scheme (DPoP)"},
	DPoPProofInvalid: {Status: 401, BearerError: "invalid_dpop_proof", Title: "DPoP proof invalid",
		Hint:  "Make a new proof for each request: typ dpop+jwt, an algorithm named in the DPoP challenge's algs, the public key in jwk, signed with its private key, iat now, a fresh jti.",
		Cause: "2. Invalid token (DPoP proof)"},
	DPoPProofMismatch: {Status: 401, BearerError: "invalid_dpop_proof", Title: "DPoP proof made for another request",
		Hint:  "The proof's htm and htu must be this request's method and URL (no query, no fragment), as the client sent it: behind a proxy, the URL the client used, not the upstream's.",
		Cause: "2. Invalid token (DPoP proof)"},
	DPoPProofReplayed: {Status: 401, BearerError: "invalid_dpop_proof", Title: "DPoP proof replayed",
		Hint:  "A proof is good for one request: make a new one (a new jti) for every request, retries included.",
		Cause: "2. Invalid token (DPoP proof)"},
	DPoPProofTokenMismatch: {Status: 401, BearerError: "invalid_dpop_proof", Title: "DPoP proof made for another token",
		Hint:  "The proof's ath must be the base64url SHA-256 of the access token sent with it: make the proof after the token is refreshed.",
		Cause: "2. Invalid token (DPoP proof)"},
	DPoPNonceRequired: {Status: 401, BearerError: "use_dpop_nonce", Title: "DPoP nonce required",
		Hint:  "Put the DPoP-Nonce header's value of this answer in a new proof's nonce claim and retry (RFC 9449 section 8).",
		Cause: "2. Invalid token (DPoP proof)"},
	DPoPKeyMismatch: {Status: 401, BearerError: "invalid_token", Title: "Token bound to another key",
		Hint:  "The token is bound (cnf.jkt) to another key than the proof's: sign proofs with the key the token was issued for.",
		Cause: "2. Invalid token (DPoP binding)"},
	DPoPTokenUnbound: {Status: 401, BearerError: "invalid_token", Title: "Token not DPoP-bound",
		Hint:  "The token was sent with the DPoP scheme but is not bound to a key (no cnf.jkt): ask the authorization server for a DPoP-bound token (send a DPoP proof to its token endpoint), or send it as Bearer where that is allowed.",
		Cause: "3. Incorrect authentication scheme (DPoP)"},
	DPoPBoundTokenAsBearer: {Status: 401, BearerError: "invalid_token", Title: "DPoP-bound token sent as Bearer",
		Hint:  "This token is bound to a key (cnf.jkt): send it as 'Authorization: DPoP <token>' with a DPoP proof header, not as Bearer.",
		Cause: "3. Incorrect authentication scheme (DPoP)"},
	DPoPRequired: {Status: 401, BearerError: "invalid_token", Title: "DPoP required",
		Hint:  "This API takes only DPoP-bound tokens: obtain one with a DPoP proof at the token endpoint and send it with the DPoP scheme and a proof.",
		Cause: "3. Incorrect authentication scheme (DPoP)"},
	CertificateMissing: {Status: 401, BearerError: "invalid_token", Title: "Client certificate missing",
		Hint:  "The token is bound to a client certificate (cnf x5t#S256): call over mutual TLS with that certificate.",
		Cause: "2. Invalid token (certificate binding)"},
	CertificateMismatch: {Status: 401, BearerError: "invalid_token", Title: "Token bound to another certificate",
		Hint:  "The token is bound to another client certificate than the one presented: use the certificate the token was issued to, or obtain a token with this one.",
		Cause: "2. Invalid token (certificate binding)"},
	RequestInvalid: {Status: 400, Title: "Request invalid",
		Hint:  "Correct the request body or parameters as the detail says (admin API, explain).",
		Cause: "-"},
	NotFound: {Status: 404, Title: "Not found",
		Hint:  "No key or user of that id or name exists; list them to find it.",
		Cause: "-"},
	AlreadyExists: {Status: 409, Title: "Already exists",
		Hint:  "A user or key of that name already exists; choose another name or change the existing one.",
		Cause: "-"},
	StoreNotConfigured: {Status: 501, Title: "No store",
		Hint:  "This gateway has no key and user store (no route takes API keys or Basic, and the admin API is off).",
		Cause: "-"},
}

func init() {
	for code, e := range catalogue {
		e.Code = code
		catalogue[code] = e
	}
}

// Lookup returns the catalogue entry of code. An unknown code yields the
// entry of AuthUnavailable: failing closed, and blaming the gateway.
func Lookup(code Code) Entry {
	if e, ok := catalogue[code]; ok {
		return e
	}
	return catalogue[AuthUnavailable]
}

// Known reports whether code is in the catalogue.
func Known(code Code) bool {
	_, ok := catalogue[code]
	return ok
}

// All returns every entry, ordered by code.
func All() []Entry {
	out := make([]Entry, 0, len(catalogue))
	for _, e := range catalogue {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}
