package api

import "time"

// AdminScope is the scope an admin credential must hold to change
// anything on the admin listener.
const AdminScope = "admin"

// AdminReadScope opens the admin listener read-only: the admin API's
// reads and the console's pages, never a change (a viewer key holds it).
const AdminReadScope = "admin:read"

// Failure is one refused request as the admin API shows it: never a
// credential, only its fingerprint.
type Failure struct {
	Time        time.Time `json:"time"`
	RequestID   string    `json:"request_id"`
	Method      string    `json:"method"`
	Path        string    `json:"path"`
	Route       string    `json:"route,omitempty"`
	Status      int       `json:"status"`
	Reason      string    `json:"reason"`
	Detail      string    `json:"detail"`
	Scheme      string    `json:"scheme,omitempty"`
	Fingerprint string    `json:"fingerprint,omitempty"`
	// Subject is the caller's principal when it was authenticated before
	// the refusal (a 403, a quota's 429): "apikey:<id>", "basic:<user>",
	// "token:<issuer>:<sub>".
	Subject string `json:"subject,omitempty"`
	Client  string `json:"client"`
	// Instance names the gateway instance that refused the request.
	Instance string `json:"instance,omitempty"`
	// Checks are the steps of the decision as the request path recorded
	// them: what passed before the one that failed.
	Checks []Check `json:"checks,omitempty"`
	// Challenges are the WWW-Authenticate values the client got.
	Challenges []string `json:"challenges,omitempty"`
	// Problem is the body the client got (as its detail level allowed).
	Problem *Problem `json:"problem,omitempty"`
}

// RequestRecord is one finished request, allowed or refused, as the
// console's recent-requests ring keeps it: never a credential, only its
// fingerprint.
type RequestRecord struct {
	Time      time.Time `json:"time"`
	RequestID string    `json:"request_id"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Route     string    `json:"route"`
	Status    int       `json:"status"`
	// Outcome is OutcomeAllowed, OutcomeDenied or OutcomeFault.
	Outcome     string `json:"outcome"`
	Reason      string `json:"reason,omitempty"`
	Detail      string `json:"detail,omitempty"`
	Scheme      string `json:"scheme,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	// Subject is the authenticated caller's principal (see Failure).
	Subject string `json:"subject,omitempty"`
	Client  string `json:"client"`
	// LatencyMS is how long the gateway took, in milliseconds.
	LatencyMS float64 `json:"latency_ms"`
}

// Outcomes of a request, as metrics and the traffic timeline count them.
const (
	OutcomeAllowed = "allowed"
	OutcomeDenied  = "denied"
	OutcomeFault   = "fault"
)

// TrafficMinute counts one minute's finished requests by outcome, and
// the refused ones by reason.
type TrafficMinute struct {
	Start    time.Time      `json:"start"`
	Allowed  int64          `json:"allowed"`
	Denied   int64          `json:"denied"`
	Fault    int64          `json:"fault"`
	ByReason map[string]int `json:"by_reason,omitempty"`
}

// Traffic is the last hour of requests, oldest minute first, as counted by
// this instance (the same events as authgate_requests_total).
type Traffic struct {
	Minutes []TrafficMinute `json:"minutes"`
}

// AuditEvent is one change to keys or users, as the admin API shows it.
type AuditEvent struct {
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"`
	Subject string    `json:"subject"`
	Detail  string    `json:"detail,omitempty"`
}

// FailureSummary counts failures by reason over the last minutes.
type FailureSummary struct {
	Minutes  int            `json:"minutes"`
	Total    int            `json:"total"`
	ByReason map[string]int `json:"by_reason"`
}

// KeyView is an API key as the admin API shows it.
type KeyView struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Environment string     `json:"environment"`
	Scopes      []string   `json:"scopes"`
	Created     time.Time  `json:"created"`
	Expires     *time.Time `json:"expires,omitempty"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	LastUsed    *time.Time `json:"last_used,omitempty"`
	ReplacedBy  string     `json:"replaced_by,omitempty"`
	// State is the key's state when the view was made, as the API-key
	// package says it: "active", "rotating" (replaced, in its grace),
	// "expired" or "revoked".
	State string `json:"state"`
	// Kind is "api" (opens the API's routes), "admin" (opens the admin
	// API and nothing else) or "viewer" (the admin API read-only).
	Kind string `json:"kind"`
	// Quota is the key's own request budget on every route, if any.
	Quota *Quota `json:"quota,omitempty"`
	// Key is present only in the answer that created the key.
	Key string `json:"key,omitempty"`
}

// UserView is a Basic user as the admin API shows it: never its hash,
// only its kind.
type UserView struct {
	Name    string    `json:"name"`
	Scopes  []string  `json:"scopes"`
	Hash    string    `json:"hash_kind"`
	Updated time.Time `json:"updated"`
}

// KeyCreate is the body of POST /admin/v1/keys.
type KeyCreate struct {
	Name string `json:"name"`
	// Kind is "api" (the default), "admin" or "viewer" (the admin
	// listener, read-only).
	Kind        string    `json:"kind,omitempty"`
	Environment string    `json:"environment"`
	Scopes      []string  `json:"scopes,omitempty"`
	Expires     time.Time `json:"expires,omitzero"`
	// Quota, when set, bounds the key's requests on every route.
	Quota *Quota `json:"quota,omitempty"`
}

// Quota is a request budget: Requests per Per (a Go duration, "1m").
type Quota struct {
	Requests int    `json:"requests"`
	Per      string `json:"per"`
}

// KeyRotate is the body of POST /admin/v1/keys/{id}/rotate.
type KeyRotate struct {
	// Grace is how long the old key stays valid, as a Go duration ("24h").
	Grace string `json:"grace"`
}

// UserCreate is the body of POST /admin/v1/users.
type UserCreate struct {
	Name     string   `json:"name"`
	Password string   `json:"password"`
	Scopes   []string `json:"scopes,omitempty"`
}

// PasswordChange is the body of PUT /admin/v1/users/{name}/password.
type PasswordChange struct {
	Password string `json:"password"`
}

// Dependency is one thing the gateway needs to judge credentials — the
// store, an issuer's key set, an introspection endpoint — and how it is.
type Dependency struct {
	// Kind is "store", "key_set" or "introspection".
	Kind string `json:"kind"`
	// Name names it: the issuer, or the store's driver.
	Name    string `json:"name"`
	Healthy bool   `json:"healthy"`
	// Since is when it last worked: the key set's fetch, the endpoint's
	// last answer (absent: never yet, or not tracked for the store).
	Since  *time.Time `json:"since,omitempty"`
	Detail string     `json:"detail,omitempty"`
}
