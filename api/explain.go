package api

import "time"

// ExplainRequest describes a request to explain: its method, path, and
// credential — a whole Authorization value, a bare token (sent as
// Bearer), an API key (sent in the API-key header), or headers.
type ExplainRequest struct {
	Method string `json:"method,omitempty"`
	Path   string `json:"path"`
	// Host is the request's host name, for routes that serve only some
	// hosts (default: none, which only host-less routes serve).
	Host          string            `json:"host,omitempty"`
	Authorization string            `json:"authorization,omitempty"`
	Token         string            `json:"token,omitempty"`
	APIKey        string            `json:"api_key,omitempty"`
	Headers       map[string]string `json:"headers,omitempty"`
}

// Check results.
const (
	CheckPass    = "pass"
	CheckFail    = "fail"
	CheckSkipped = "skipped"
)

// Check is one step of a decision, as the code that ran it recorded it.
type Check struct {
	Check  string `json:"check"`
	Result string `json:"result"` // pass, fail, skipped
	Detail string `json:"detail,omitempty"`
}

// Identity is who a good credential names, as explain shows it.
type Identity struct {
	Kind      string     `json:"kind"`
	Subject   string     `json:"subject"`
	Issuer    string     `json:"issuer,omitempty"`
	Scopes    []string   `json:"scopes"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	IssuedAt  *time.Time `json:"issued_at,omitempty"`
}

// Explanation is the decision the gateway would take, step by step.
type Explanation struct {
	Status   int       `json:"status"`
	Reason   string    `json:"reason,omitempty"`
	Detail   string    `json:"detail,omitempty"`
	Route    string    `json:"route,omitempty"`
	Scheme   string    `json:"scheme,omitempty"`
	Identity *Identity `json:"identity,omitempty"`
	Checks   []Check   `json:"checks"`
}
