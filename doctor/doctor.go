package doctor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/authgate/authgate/api"
)

// Options tune a diagnosis.
type Options struct {
	// Timeout bounds each request (default 10s).
	Timeout time.Duration
	// Origin, when set, adds a CORS preflight from that origin.
	Origin string
	// JWKS is a key set URL to verify a JWT's signature with.
	JWKS string
	// ExpectEnv is the environment the user means to call (live, test).
	ExpectEnv string
	// TokenEnv names the environment variable holding the token.
	TokenEnv string
	// EnvFile is a .env file to check.
	EnvFile string
	// Lookup reads environment variables (default: none).
	Lookup func(string) (string, bool)
	// Transport sends the requests (default: a fresh http.Transport).
	Transport http.RoundTripper
	// ExplainVia is an authgate admin URL: the gateway's own view of the
	// request (POST /admin/v1/explain) is shown beside the findings.
	ExplainVia string
	// AdminKey authenticates to ExplainVia.
	AdminKey string
	// OpenAPI is the API's OpenAPI or Swagger description, a file or an
	// http(s) URL; without it the doctor looks for one (NoDiscover).
	OpenAPI string
	// NoDiscover: look for no description (no Link rel service-desc or
	// describedby, no well-known address) when OpenAPI is not given.
	NoDiscover bool
	// Now is the clock that token times, signed-request timestamps and the
	// server's Date are judged against (default time.Now); set it to replay
	// a recorded exchange at the time it was recorded.
	Now func() time.Time
}

// now reads the doctor's clock.
func (o *Options) now() time.Time {
	if o.Now == nil {
		return time.Now()
	}
	return o.Now()
}

// Schema names the JSON report format (docs/doctor.md).
const Schema = "authgate.doctor/v1"

// Report is the result of a diagnosis.
type Report struct {
	Schema string `json:"schema"`
	Method string `json:"method"`
	URL    string `json:"url"`
	// Status is the final HTTP status (0 when no answer came).
	Status    int       `json:"status"`
	Succeeded bool      `json:"succeeded"`
	Hops      []Hop     `json:"hops,omitempty"`
	Top       *Finding  `json:"top,omitempty"`
	Findings  []Finding `json:"findings"`
	Notes     []string  `json:"notes,omitempty"`
	// ServerSays is what the final answer states, normalised.
	ServerSays *ServerSays `json:"server_says,omitempty"`
	// ServerView is the gateway's explanation (with --explain-via).
	ServerView *api.Explanation `json:"server_view,omitempty"`
	// APIDescription is the OpenAPI or Swagger description read (masked
	// like every URL shown), when one was.
	APIDescription string `json:"api_description,omitempty"`
	// ExitCode: 0 the request succeeded, 1 a problem was diagnosed, 2 the
	// server could not be reached.
	ExitCode int `json:"exit_code"`
}

// Hop is one request of a redirect chain.
type Hop struct {
	Method   string `json:"method"`
	URL      string `json:"url"`
	Status   int    `json:"status"`
	Location string `json:"location,omitempty"`
	// SentCredentials: the hop carried the credential headers (clients
	// drop them when a redirect changes host, port or scheme).
	SentCredentials bool `json:"sent_credentials"`
}

// Run diagnoses req. An error means req's URL is not an http(s) URL or
// the server could not be reached.
func Run(ctx context.Context, req *Request, opts Options) (*Report, error) {
	if u, err := url.Parse(req.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// Not echoed: a URL may carry a credential (user info, a query key).
		return nil, errors.New("the URL to diagnose is not an http:// or https:// URL with a host")
	}
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Lookup == nil {
		opts.Lookup = func(string) (string, bool) { return "", false }
	}
	if opts.Transport == nil {
		opts.Transport = &http.Transport{Proxy: http.ProxyFromEnvironment}
	}
	if opts.TokenEnv != "" && len(req.Get("Authorization")) == 0 {
		if v, ok := opts.Lookup(opts.TokenEnv); ok && v != "" {
			req.Headers = append(req.Headers, Header{Name: "Authorization", Value: "Bearer " + v})
		}
	}
	off := &offline{req: req, opts: &opts, mask: newMasker()}
	off.run()
	p := &prober{off: off, opts: &opts, client: &http.Client{Transport: opts.Transport, Timeout: opts.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	rep := &Report{Schema: Schema, Method: req.Method, URL: shownURL(req.URL), Notes: req.Notes}
	final, err := p.run(ctx, rep)
	if err != nil {
		return nil, masked(err, secretsSent(req))
	}
	if opts.ExplainVia != "" {
		rep.ServerView, err = p.explainVia(ctx)
		if err != nil {
			rep.Notes = append(rep.Notes, "explain via "+opts.ExplainVia+" failed: "+err.Error())
		}
	}
	rep.Status = final.status
	rep.Succeeded = final.status >= 200 && final.status < 300 && !p.failedIn2xx
	rep.Findings = settle(off.findings, rep.Succeeded, final.status)
	for i, f := range rep.Findings {
		if f.Status == Fail || f.Status == Warn || f.Code == RequestSucceeded {
			rep.Top = &rep.Findings[i]
			break
		}
	}
	if t := rep.Top; t != nil && p.documentedWay != "" && t.Status == Fail && t.Basis != Documented {
		t.Fix = strings.TrimSpace(t.Fix + " The API's description documents " + p.documentedWay + ".")
	}
	scrub(rep, secretsSent(req))
	rep.ExitCode = 1
	if rep.Succeeded {
		rep.ExitCode = 0
	}
	return rep, nil
}

// settle drops findings the server's answer made moot, and ranks the rest.
func settle(fs []Finding, succeeded bool, status int) []Finding {
	out := fs[:0]
	for _, f := range fs {
		if succeeded && f.Code == CredentialsMissing {
			continue // the server did not need any
		}
		if !succeeded && (f.Code == IDTokenSent || f.Code == TokenForOtherAPI) && f.Status == Warn {
			f.Status = Fail // an ID token where the call failed is the likely cause
		}
		if !succeeded && refusedPromotes[f.Code] && f.Status == Info && onlyRefused(fs) {
			f.Status = Fail // a kind or convention many APIs refuse, and nothing more precise
		}
		out = append(out, f)
	}
	if succeeded {
		out = append(out, Finding{Code: RequestSucceeded, Status: OK, Title: fmt.Sprintf("The request succeeded (%d)", status)})
	}
	rank(out)
	return out
}

// refusedPromotes are the notes read in what is sent that become the
// failure when the server only refuses: a token of a kind many APIs do
// not take (claimKind), a key in a Basic slot whose convention varies
// (keySlot).
var refusedPromotes = map[Code]bool{WrongTokenKind: true, BasicUsernameWrong: true}

// onlyRefused reports whether the failures found say no more than that
// the credential was refused (a bare or generic refusal).
func onlyRefused(fs []Finding) bool {
	for _, f := range fs {
		if f.Status == Fail && !genericStated[f.Code] {
			return false
		}
	}
	return true
}

func nonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
