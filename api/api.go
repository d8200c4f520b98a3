// Package api is authgate's wire contract: every type that crosses the
// network (the problem body of a rejection, the echo, explain, the admin
// API's requests and answers, the failure feed) and the paths and header
// names they travel on. It imports nothing of authgate but reason, so a
// client — the doctor, the CLI's --admin mode, configtest, package client —
// decodes answers without pulling in the gateway.
package api

// Header names authgate reads or writes.
const (
	// RequestIDHeader carries the id of a request in both directions.
	RequestIDHeader = "Request-Id"
	// DPoPHeader carries a DPoP proof (RFC 9449 section 4.1).
	DPoPHeader = "Dpop"
	// DPoPNonceHeader carries the server nonce a DPoP proof must hold
	// (RFC 9449 section 8).
	DPoPNonceHeader = "Dpop-Nonce"
	// DefaultAPIKeyHeader is the first API-key header of the default
	// configuration and the one admin clients send their key in.
	DefaultAPIKeyHeader = "X-API-Key"
	// EchoNonceHeader carries a client-chosen nonce; the echo then also
	// returns HMAC-SHA-256(nonce, credential) so the client can check that
	// what arrived is byte for byte what it sent, without the credential
	// travelling back.
	EchoNonceHeader = "Authgate-Echo-Nonce"
	// DecisionModeHeader, sent by a trusted proxy with the value
	// DecisionStatusOnly, asks the decision endpoint for the verdict alone:
	// a refusal then carries no challenge and no body, and is neither
	// counted nor logged as a failure, because the proxy will ask again
	// for the whole answer (nginx auth_request, which drops the body and
	// would otherwise send the challenges twice).
	DecisionModeHeader = "Authgate-Decision"
	DecisionStatusOnly = "status"
)

// Identity headers tell an upstream who called: each is the configured
// prefix (identity_header_prefix) followed by one of these names.
const (
	// DefaultIdentityHeaderPrefix is identity_header_prefix's default.
	DefaultIdentityHeaderPrefix = "X-Authgate-"
	// IdentitySubject names the principal, namespaced by kind and issuer
	// (token:<issuer name>:<sub>, apikey:<id>, basic:<user>).
	IdentitySubject = "Subject"
	// IdentityIssuer is a token's iss.
	IdentityIssuer = "Issuer"
	// IdentityScopes lists the granted scopes, space-separated.
	IdentityScopes = "Scopes"
	// IdentityCredential is the credential's kind and fingerprint
	// (kind:fingerprint), never the credential.
	IdentityCredential = "Credential"
)

// IdentityTokenType is the typ header of the gateway's identity tokens
// (RFC 8725 §3.11 explicit typing): no other JWT can pass for one.
const IdentityTokenType = "authgate-identity+jwt"

// Paths of authgate's own endpoints.
const (
	// HealthzPath answers 200 while the process serves (both listeners).
	HealthzPath = "/.authgate/healthz"
	// ReadyzPath answers 200 when the store answers and every issuer has
	// keys, else 503.
	ReadyzPath = "/.authgate/readyz"
	// EchoPath ends the path of the echo endpoint; it answers under any
	// prefix, so a client can reach it through the same proxy location as
	// its API.
	EchoPath = "/.authgate/echo"
	// IdentityJWKSPath serves the key set of the identity tokens the
	// gateway signs for upstreams (identity_token), on the public listener.
	IdentityJWKSPath = "/.authgate/jwks.json"
	// MetricsPath is the Prometheus exposition on the admin listener.
	MetricsPath = "/metrics"
	// AdminPrefix starts every admin API path.
	AdminPrefix = "/admin/v1"
)

// Health is the answer of the health endpoints. Problems are named only
// on the admin listener.
type Health struct {
	Status   string   `json:"status"`
	Reason   string   `json:"reason,omitempty"`
	Problems []string `json:"problems,omitempty"`
}
