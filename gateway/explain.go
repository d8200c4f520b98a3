package gateway

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/reason"
)

// ExplainRequest describes a request to explain: its method, path, and
// credential — a whole Authorization value, a bare token (sent as
// Bearer), an API key (sent in the API-key header), or headers.
type ExplainRequest struct {
	Method        string            `json:"method"`
	Path          string            `json:"path"`
	Authorization string            `json:"authorization,omitempty"`
	Token         string            `json:"token,omitempty"`
	APIKey        string            `json:"api_key,omitempty"`
	Headers       map[string]string `json:"headers,omitempty"`
}

// Check is one step of a decision.
type Check struct {
	Check  string `json:"check"`
	Result string `json:"result"` // pass, fail, skipped
	Detail string `json:"detail,omitempty"`
}

// Explanation is the decision the gateway would take, step by step.
type Explanation struct {
	Status   int                  `json:"status"`
	Reason   string               `json:"reason,omitempty"`
	Detail   string               `json:"detail,omitempty"`
	Route    string               `json:"route,omitempty"`
	Scheme   string               `json:"scheme,omitempty"`
	Identity *credential.Identity `json:"identity,omitempty"`
	Checks   []Check              `json:"checks"`
}

// The checks of each verifier, in the order it runs them, with the
// reasons that mean each failed.
var verifierChecks = map[policy.Scheme][]struct {
	name    string
	reasons []reason.Code
}{
	policy.SchemeBearer: {
		{"token size", []reason.Code{reason.TokenTooLarge}},
		{"token format", []reason.Code{reason.TokenMalformed}},
		{"issuer trusted (iss)", []reason.Code{reason.TokenIssuerUntrusted}},
		{"algorithm allowed (alg)", []reason.Code{reason.TokenAlgorithmRejected}},
		{"signing key found (kid)", []reason.Code{reason.TokenKeyUnknown, reason.AuthUnavailable}},
		{"signature", []reason.Code{reason.TokenSignatureInvalid}},
		{"not expired (exp)", []reason.Code{reason.TokenExpired}},
		{"valid already (nbf, iat)", []reason.Code{reason.TokenNotYetValid}},
		{"audience (aud)", []reason.Code{reason.TokenAudienceMismatch}},
		{"token type (typ)", []reason.Code{reason.TokenTypeMismatch}},
		{"environment", []reason.Code{reason.CredentialWrongEnvironment}},
	},
	policy.SchemeAPIKey: {
		{"key format and checksum", []reason.Code{reason.APIKeyMalformed}},
		{"environment", []reason.Code{reason.CredentialWrongEnvironment}},
		{"key known", []reason.Code{reason.CredentialUnknown, reason.AuthUnavailable}},
		{"not revoked", []reason.Code{reason.CredentialRevoked}},
		{"not expired", []reason.Code{reason.CredentialExpired}},
	},
	policy.SchemeBasic: {
		{"encoding", []reason.Code{reason.BasicMalformed}},
		{"user and password", []reason.Code{reason.BasicInvalid, reason.AuthUnavailable}},
	},
}

// Explain runs the gateway's checks on in without side effects: no
// upstream call, no failure counting, no last-used time, no log line.
func (g *Gateway) Explain(ctx context.Context, in ExplainRequest) (*Explanation, error) {
	if in.Method == "" {
		in.Method = http.MethodGet
	}
	if !strings.HasPrefix(in.Path, "/") {
		return nil, adminBadRequest(http.StatusBadRequest, "path must start with /")
	}
	r, err := http.NewRequestWithContext(credential.WithoutSideEffects(ctx), strings.ToUpper(in.Method), "http://explain"+in.Path, nil)
	if err != nil {
		return nil, adminBadRequest(http.StatusBadRequest, "request: %v", err)
	}
	r.RequestURI = in.Path
	r.RemoteAddr = "192.0.2.1:1" // not a trusted proxy: forwarding headers are not believed
	for k, v := range in.Headers {
		r.Header.Set(k, v)
	}
	switch {
	case in.Authorization != "":
		r.Header.Set("Authorization", in.Authorization)
	case in.Token != "":
		r.Header.Set("Authorization", "Bearer "+in.Token)
	case in.APIKey != "" && len(g.apiKeyHeaders) > 0:
		r.Header.Set(g.apiKeyHeaders[0], in.APIKey)
	}
	var ex *exchange
	allowed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	pipeline := chain(allowed, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ex = &exchange{start: time.Now(), requestID: "explain", method: r.Method, client: peer(r)}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), exchangeKey{}, ex)))
		})
	}, g.withHygiene, g.withRoute, g.withAuthentication, g.withAuthorization)
	rec := &discardWriter{header: http.Header{}, status: http.StatusOK}
	pipeline.ServeHTTP(rec, r)
	return explain(ex, rec.status), nil
}

// discardWriter keeps only the status of an explained request's answer.
type discardWriter struct {
	header http.Header
	status int
	wrote  bool
}

func (d *discardWriter) Header() http.Header { return d.header }

func (d *discardWriter) Write(b []byte) (int, error) {
	d.wrote = true
	return len(b), nil
}

func (d *discardWriter) WriteHeader(code int) {
	if !d.wrote {
		d.status, d.wrote = code, true
	}
}

func explain(ex *exchange, status int) *Explanation {
	out := &Explanation{Status: status, Scheme: string(ex.scheme)}
	pass := func(name, detail string) { out.Checks = append(out.Checks, Check{name, "pass", detail}) }
	if ex.err != nil {
		out.Reason, out.Detail = string(ex.err.Code), ex.err.Detail
	}
	code := reason.Code(out.Reason)
	if code == reason.PathMalformed || ex.path == "" {
		out.Checks = append(out.Checks, Check{"path canonical", "fail", out.Detail})
		return out
	}
	pass("path canonical", ex.path)
	if ex.route == nil {
		out.Checks = append(out.Checks, Check{"route", "fail", out.Detail})
		return out
	}
	out.Route = ex.route.Name
	pass("route", ex.route.Name)
	if ex.route.Public {
		pass("public route: no credential needed", "")
		return out
	}
	steps := verifierChecks[ex.scheme]
	failedAt := -1
	for i, s := range steps {
		for _, c := range s.reasons {
			if c == code {
				failedAt = i
			}
		}
	}
	switch {
	case ex.scheme == "" || !ex.route.Accepts(ex.scheme) || failedAt < 0 && !ex.authed && code != reason.InsufficientScope:
		out.Checks = append(out.Checks, Check{"credential present and well-formed", "fail", out.Detail})
		return out
	}
	pass("credential present and well-formed", string(ex.scheme))
	for i, s := range steps {
		switch {
		case failedAt < 0 || i < failedAt:
			pass(s.name, "")
		case i == failedAt:
			out.Checks = append(out.Checks, Check{s.name, "fail", out.Detail})
		default:
			out.Checks = append(out.Checks, Check{s.name, "skipped", ""})
		}
	}
	if failedAt >= 0 {
		return out
	}
	id := ex.identity
	id.Fingerprint = ""
	out.Identity = &id
	if code == reason.InsufficientScope || code == reason.Forbidden {
		out.Checks = append(out.Checks, Check{"scopes", "fail", out.Detail})
		return out
	}
	pass("scopes", strings.Join(ex.route.ScopesAll, " ")+strings.Join(ex.route.ScopesAny, " "))
	return out
}

func (g *Gateway) adminExplain(w http.ResponseWriter, r *http.Request) error {
	var in ExplainRequest
	if err := readJSON(r, &in); err != nil {
		return err
	}
	e, err := g.Explain(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, e)
}
