package caller

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/credential/diagnose"
	"github.com/authgate/authgate/reason"
)

// Sentinels for the common reasons, for errors.Is. An *Error matches the
// one its reason maps to in one table (docs/caller.md lists it), else the
// one of its status.
var (
	// ErrMissing: the server saw no credential it takes.
	ErrMissing = errors.New("credentials missing")
	// ErrMalformed: the credential or its header is malformed (a
	// placeholder included).
	ErrMalformed = errors.New("credential malformed")
	// ErrExpired: the token or key is past its expiry.
	ErrExpired = errors.New("credential expired")
	// ErrRevoked: the credential was revoked, or its issuer says it is
	// not active.
	ErrRevoked = errors.New("credential revoked")
	// ErrInvalidCredential: the credential was judged and refused
	// (signature, issuer, audience, unknown key, wrong password, …).
	ErrInvalidCredential = errors.New("credential invalid")
	// ErrInsufficientScope: authenticated, but the token lacks a scope.
	ErrInsufficientScope = errors.New("insufficient scope")
	// ErrStepUp: the server wants stronger or fresher authentication
	// (RFC 9470).
	ErrStepUp = errors.New("stronger authentication required")
	// ErrForbidden: authenticated, and a policy denies the request.
	ErrForbidden = errors.New("forbidden")
	// ErrRateLimited: 429, after the retries the Transport may make.
	ErrRateLimited = errors.New("rate limited")
	// ErrUnavailable: 503 (or the server's own dependency failed), after
	// the retries the Transport may make.
	ErrUnavailable = errors.New("service unavailable")
	// ErrTransport: no answer came (connection, TLS, timeout, a
	// credential net/http refuses to send), or the TokenSource failed.
	ErrTransport = errors.New("no answer")
)

// sentinels maps reason codes (authgate's catalogue and RFC 6750's error
// values) to the sentinels: the one table.
var sentinels = map[string]error{
	string(reason.CredentialsMissing): ErrMissing, string(reason.SchemeUnsupported): ErrMissing,

	string(reason.HeaderMalformed): ErrMalformed, string(reason.CredentialPlaceholder): ErrMalformed,
	string(reason.TokenTooLarge): ErrMalformed, string(reason.TokenMalformed): ErrMalformed,
	string(reason.APIKeyMalformed): ErrMalformed, string(reason.BasicMalformed): ErrMalformed,
	string(reason.CredentialInQuery): ErrMalformed, "invalid_request": ErrMalformed,

	string(reason.TokenExpired): ErrExpired, string(reason.CredentialExpired): ErrExpired,

	string(reason.CredentialRevoked): ErrRevoked, string(reason.TokenInactive): ErrRevoked,

	string(reason.TokenAlgorithmRejected): ErrInvalidCredential, string(reason.TokenKeyUnknown): ErrInvalidCredential,
	string(reason.TokenSignatureInvalid): ErrInvalidCredential, string(reason.TokenNotYetValid): ErrInvalidCredential,
	string(reason.TokenIssuerUntrusted): ErrInvalidCredential, string(reason.TokenAudienceMismatch): ErrInvalidCredential,
	string(reason.TokenTypeMismatch): ErrInvalidCredential, string(reason.CredentialUnknown): ErrInvalidCredential,
	string(reason.CredentialWrongEnvironment): ErrInvalidCredential, string(reason.CredentialWrongKind): ErrInvalidCredential,
	string(reason.BasicInvalid): ErrInvalidCredential, "invalid_token": ErrInvalidCredential,

	string(reason.InsufficientScope): ErrInsufficientScope,

	string(reason.InsufficientUserAuthentication): ErrStepUp,

	string(reason.Forbidden): ErrForbidden, string(reason.ClaimMismatch): ErrForbidden,
	string(reason.ClientNetworkDenied): ErrForbidden, string(reason.CORSOriginDenied): ErrForbidden,

	string(reason.TooManyFailures): ErrRateLimited, string(reason.QuotaExceeded): ErrRateLimited,

	string(reason.AuthUnavailable): ErrUnavailable,
}

// byStatus is the sentinel of a status when the reason names none.
var byStatus = map[int]error{
	http.StatusBadRequest: ErrMalformed, http.StatusUnauthorized: ErrInvalidCredential,
	http.StatusForbidden: ErrForbidden, http.StatusProxyAuthRequired: ErrInvalidCredential,
	http.StatusTooManyRequests: ErrRateLimited, http.StatusServiceUnavailable: ErrUnavailable,
}

// Error is every failure of a call through the Transport: the answer's
// status, its reason and words, the challenges, and what the offline
// checks found in the credential that was sent. It never holds the
// credential: the server's own words are scrubbed of it too.
type Error struct {
	Method string
	// URL is the request's URL without its query (which may carry keys).
	URL string
	// Status is the final answer's status (0 when no answer came).
	Status int
	// Reason is the reason code: authgate's problem+json reason, else the
	// RFC 6750 error of the challenge, else "".
	Reason string
	// ServerCode is an API's own error code when it is not a reason
	// (Stripe's error.type, Google's error.status).
	ServerCode string
	// Detail is the server's explanation (problem detail, the challenge's
	// error_description, an error body's message).
	Detail string
	// Hint is what authgate tells the client to do, when it said.
	Hint      string
	RequestID string
	// Challenges are the answer's WWW-Authenticate challenges.
	Challenges []challenge.Challenge
	// RetryAfter is the wait the answer asked for (429, 503).
	RetryAfter time.Duration
	// Attempts counts the requests sent (retries included).
	Attempts int
	// Refreshed reports whether a new token was fetched and tried.
	Refreshed bool
	// NotRetried says why an answer that could have been retried was
	// not ("" when none could).
	NotRetried string
	// Credential names what was sent: its kind, where, and a fingerprint.
	Credential string
	// Diagnosis is what the offline checks found, most telling first.
	Diagnosis []diagnose.Finding
	// Err is the underlying cause (transport or token-source failure).
	Err error
}

// Error reads like the doctor's first line: the status and reason, then
// the most likely cause in plain words.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Status != 0 {
		fmt.Fprintf(&b, "%d", e.Status)
		if e.Reason != "" {
			b.WriteString(" " + e.Reason)
		} else if e.ServerCode != "" {
			b.WriteString(" " + e.ServerCode)
		}
	} else {
		b.WriteString("no answer")
	}
	b.WriteString(": most likely: ")
	b.WriteString(e.likely())
	if e.RequestID != "" {
		b.WriteString(" (Request-Id " + e.RequestID + ")")
	}
	return b.String()
}

// likely is the best explanation, ranked as the doctor ranks: a server
// that states a precise reason (authgate's catalogue) is believed first,
// with an offline finding that agrees with it; where the server says
// less (invalid_token, another API's message), an offline finding leads;
// the weak findings (a scheme the challenges do not name, which some
// APIs take anyway) lead only when the server said nothing.
func (e *Error) likely() string {
	withDetail := func(s string) string {
		if e.Detail != "" {
			s += " (server: " + e.Detail + ")"
		}
		return s
	}
	precise := reason.Known(reason.Code(e.Reason))
	for _, f := range e.Diagnosis {
		if precise && !slices.Contains(agrees[f.Code], reason.Code(e.Reason)) && f.Code != "token_source_caches" {
			continue
		}
		if weak[f.Code] && e.Detail != "" && !precise {
			continue
		}
		return withDetail(f.Title)
	}
	switch {
	case e.Err != nil && e.Status == 0:
		return e.Err.Error()
	case e.Detail != "":
		return e.Detail
	case len(e.Diagnosis) > 0 && !precise:
		return e.Diagnosis[0].Title
	case precise:
		t := reason.Lookup(reason.Code(e.Reason)).Title
		return strings.ToLower(t[:1]) + t[1:]
	}
	return "the server refused the request without saying why (" + http.StatusText(e.Status) + ")"
}

// weak are the offline findings that some APIs contradict in practice.
var weak = map[diagnose.Code]bool{diagnose.SchemeMismatch: true}

// agrees lists, for each offline finding, the catalogue's reasons it
// explains: with one of these from the server, the finding leads.
var agrees = map[diagnose.Code][]reason.Code{
	diagnose.VariableUnset:         {reason.CredentialPlaceholder, reason.HeaderMalformed, reason.CredentialsMissing, reason.CredentialUnknown, reason.TokenMalformed, reason.BasicInvalid},
	diagnose.CredentialPlaceholder: {reason.CredentialPlaceholder, reason.HeaderMalformed, reason.CredentialUnknown, reason.TokenMalformed, reason.BasicInvalid},
	diagnose.ShellSubstitution:     {reason.CredentialPlaceholder, reason.HeaderMalformed, reason.CredentialUnknown, reason.TokenMalformed, reason.BasicInvalid},
	diagnose.BasicTrailingNewline:  {reason.BasicInvalid, reason.BasicMalformed},
	diagnose.HeaderFormat:          {reason.HeaderMalformed, reason.TokenMalformed, reason.APIKeyMalformed, reason.CredentialUnknown, reason.BasicMalformed, reason.BasicInvalid},
	diagnose.TokenExpired:          {reason.TokenExpired, reason.TokenInactive},
	diagnose.TokenNotYetValid:      {reason.TokenNotYetValid},
	diagnose.WrongEnvironment:      {reason.CredentialWrongEnvironment, reason.CredentialUnknown, reason.TokenIssuerUntrusted, reason.TokenKeyUnknown},
	diagnose.IDTokenSent:           {reason.TokenTypeMismatch, reason.TokenAudienceMismatch},
	diagnose.SchemeMismatch:        {reason.SchemeUnsupported},
	diagnose.CredentialWrapped:     {reason.CredentialPlaceholder, reason.HeaderMalformed, reason.APIKeyMalformed, reason.CredentialUnknown, reason.TokenMalformed},
	diagnose.WrongTokenKind:        {reason.TokenMalformed, reason.TokenTypeMismatch, reason.CredentialUnknown, reason.APIKeyMalformed},
	diagnose.TokenTypeMismatch:     {reason.TokenTypeMismatch, reason.TokenMalformed, reason.CredentialUnknown},
	diagnose.BasicNotBase64:        {reason.BasicMalformed, reason.HeaderMalformed},
	diagnose.BasicBase64Wrapped:    {reason.BasicMalformed, reason.HeaderMalformed},
	diagnose.BasicNoColon:          {reason.BasicMalformed, reason.HeaderMalformed},
	diagnose.PasswordIsHash:        {reason.BasicInvalid, reason.CredentialUnknown},
	diagnose.BasicUsernameWrong:    {reason.BasicInvalid, reason.CredentialUnknown},
	"credentials_missing":          {reason.CredentialsMissing},
}

// Is matches the sentinel of the error's reason, else of its status.
func (e *Error) Is(target error) bool {
	if e.Status == 0 {
		return target == ErrTransport
	}
	if s, ok := sentinels[e.Reason]; ok {
		return s == target
	}
	return byStatus[e.Status] == target
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Format prints Error() for %v and %s; %+v adds every finding with its
// fix, the challenges, the credential's fingerprint and the attempts.
func (e *Error) Format(f fmt.State, verb rune) {
	io.WriteString(f, e.Error())
	if verb != 'v' || !f.Flag('+') {
		return
	}
	fmt.Fprintf(f, "\n  %s %s (attempts %d, refreshed %v)", e.Method, e.URL, e.Attempts, e.Refreshed)
	if e.Credential != "" {
		fmt.Fprintf(f, "\n  sent: %s", e.Credential)
	}
	if e.Hint != "" {
		fmt.Fprintf(f, "\n  hint: %s", e.Hint)
	}
	for _, c := range e.Challenges {
		fmt.Fprintf(f, "\n  WWW-Authenticate: %s", c.String())
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(f, "\n  retry after: %s", e.RetryAfter)
	}
	if e.NotRetried != "" {
		fmt.Fprintf(f, "\n  not retried: %s", e.NotRetried)
	}
	for _, d := range e.Diagnosis {
		fmt.Fprintf(f, "\n  [%s] %s", d.Code, d.Title)
		for _, ev := range d.Evidence {
			fmt.Fprintf(f, "\n      evidence: %s", ev)
		}
		if d.Fix != "" {
			fmt.Fprintf(f, "\n      fix: %s", d.Fix)
		}
	}
	if e.Err != nil {
		fmt.Fprintf(f, "\n  cause: %v", e.Err)
	}
}

// scrub removes from s every run of 8 or more bytes that also occurs in
// one of secrets, so a server that echoes a credential (or part of one)
// cannot put it in an error.
func scrub(s string, secrets []string) string {
	const minRun = 8
	for _, sec := range secrets {
		if len(sec) < minRun || len(s) < minRun {
			continue
		}
		var b strings.Builder
		for i := 0; i < len(s); {
			n := longestRun(s[i:], sec)
			if n >= minRun {
				b.WriteString("[redacted]")
				i += n
				continue
			}
			b.WriteByte(s[i])
			i++
		}
		s = b.String()
	}
	return s
}

// longestRun is the length of the longest prefix of s found in sec.
func longestRun(s, sec string) int {
	best := 0
	for j := 0; j < len(sec); j++ {
		n := 0
		for n < len(s) && j+n < len(sec) && s[n] == sec[j+n] {
			n++
		}
		best = max(best, n)
	}
	return best
}
