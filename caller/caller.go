// Package caller is an http.RoundTripper for clients of any API that
// attaches a credential to each request and explains every failure.
//
// It does what a careful client does by hand. It sends the credential —
// a static Bearer token, an API key in a header, Basic, or the tokens of
// an oauth2.TokenSource. When a server rejects a token as invalid_token
// (or authgate says token_expired), it fetches a new one and retries,
// once, and only when the request's body can be sent again; it never
// retries any other 401, since the same credential will be refused again
// (RFC 9110 §15.5.2). On 429 and 503 it waits as Retry-After or RateLimit
// asks, with jitter, a bounded number of times, and stops waiting when
// the request's context ends.
//
// Every failure comes back as an *Error: the status, the reason code
// (authgate's problem+json reason, else the challenge's RFC 6750 error),
// the server's words, the Request-Id, the challenges, and what the
// offline checks of package credential/diagnose — the doctor's — found in
// the credential that was sent: a placeholder or unexpanded $VARIABLE,
// whitespace or invisible characters, a key in quotes or <…>, the wrong
// kind of token, a Basic password that is a stored hash or a user name
// the service's convention does not use, a token expired by this
// machine's clock, an ID token sent as an access token, a scheme the
// server does not ask for, a test key on live. So
// err.Error() reads like the doctor's first line, and errors.Is(err,
// ErrExpired) and its siblings sort the common reasons.
//
// The credential never appears in an error, a log line or a panic: the
// Transport names it by kind and a keyed fingerprint, and scrubs the
// server's words of any run of 8 or more of its characters.
//
// A failure is a 401, 403, 407, 429 or 503 answer, or a 400 that carries a
// challenge or an authgate problem about a malformed credential;
// RoundTrip returns every other answer as it came, for the client to
// read. Through an http.Client, the *Error arrives wrapped in a
// *url.Error: errors.As and errors.Is see through it.
package caller

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/diagnose"
	"github.com/authgate/authgate/reason"
)

// Config configures a Transport.
type Config struct {
	// Credential is attached to every request (Bearer, APIKey, Basic or
	// TokenSource). Without one, requests go out as they are and failures
	// are still explained.
	Credential Credential
	// Base sends the requests (default http.DefaultTransport).
	Base http.RoundTripper
	// MaxRetries bounds the retries after 429 and 503 (default 2; a
	// negative value: none). The one retry after a refresh is not counted.
	MaxRetries int
	// MaxWait is the longest wait honoured before one retry (default
	// 30s): an answer that asks for longer ends the call with
	// ErrRateLimited or ErrUnavailable and its RetryAfter.
	MaxWait time.Duration
	// ExpectEnv is the environment the client means to call (live,
	// test): a key whose prefix names another is diagnosed.
	ExpectEnv string
	// Logger receives a line per refresh and per wait (nil: none). Lines
	// name the credential by fingerprint only.
	Logger *slog.Logger
	// Now is the clock of the offline checks (nil: time.Now).
	Now func() time.Time
}

// Transport is the RoundTripper New returns; safe for concurrent use.
type Transport struct {
	cfg    Config
	base   http.RoundTripper
	tokens *tokens
	fp     *credential.Fingerprinter
	sleep  func(context.Context, time.Duration) error
}

// New returns a Transport for cfg.
func New(cfg Config) *Transport {
	t := &Transport{cfg: cfg, base: cfg.Base, sleep: sleep}
	if t.base == nil {
		t.base = http.DefaultTransport
	}
	if t.cfg.MaxRetries == 0 {
		t.cfg.MaxRetries = 2
	}
	if t.cfg.MaxWait == 0 {
		t.cfg.MaxWait = 30 * time.Second
	}
	if t.cfg.Now == nil {
		t.cfg.Now = time.Now
	}
	if cfg.Credential.kind == "tokensource" {
		t.tokens = &tokens{src: cfg.Credential.src}
	}
	key := make([]byte, 32)
	rand.Read(key)
	t.fp = credential.NewFingerprinter(key)
	return t
}

// Client is an http.Client that sends through the Transport.
func (t *Transport) Client() *http.Client { return &http.Client{Transport: t} }

// refreshable are authgate's reasons a new token can cure; a
// challenge's invalid_token from any other server counts as one too.
var refreshable = map[string]bool{
	string(reason.TokenExpired): true, string(reason.TokenInactive): true,
	string(reason.TokenKeyUnknown): true, "invalid_token": true,
}

// RoundTrip sends req with the credential, refreshes once, waits and
// retries as the answers ask, and returns the answer or an *Error.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	refreshed := false
	waits := 0
	var rejected *sent
	var last *answer // the answer that made the Transport try again
	for attempt := 1; ; attempt++ {
		out := req.Clone(ctx)
		if attempt > 1 && req.Body != nil && req.Body != http.NoBody {
			body, err := req.GetBody()
			if err != nil {
				return nil, t.fail(req, nil, nil, attempt-1, refreshed, fmt.Errorf("replaying the body: %w", err))
			}
			out.Body = body
		}
		s, err := t.attach(out, rejected)
		if err != nil {
			if out.Body != nil {
				out.Body.Close() // req.Body itself on the first attempt: RoundTrip must close it
			}
			return nil, t.fail(req, rejected, last, attempt-1, refreshed, err)
		}
		rejected = nil
		resp, err := t.base.RoundTrip(out)
		if err != nil {
			return nil, t.fail(req, s, nil, attempt, refreshed, err)
		}
		if !failed(resp) {
			return resp, nil
		}
		a := readAnswer(resp)
		last = a
		switch {
		case a.status == http.StatusUnauthorized && t.tokens != nil && !refreshed && replayable && refreshable[a.reason]:
			refreshed, rejected = true, s
			t.log(ctx, "caller: token rejected, fetching a new one", a, s)
			continue
		case (a.status == http.StatusTooManyRequests || a.status == http.StatusServiceUnavailable) && replayable && waits < t.cfg.MaxRetries:
			d, named := Delay(a.header, t.cfg.Now())
			if named && d > t.cfg.MaxWait {
				break
			}
			if !named {
				d = 500 * time.Millisecond << waits
			}
			d += jitter(d)
			t.log(ctx, "caller: waiting before a retry", a, s, slog.Duration("wait", d))
			if err := t.sleep(ctx, d); err != nil {
				return nil, t.fail(req, s, a, attempt, refreshed, err)
			}
			waits++
			continue
		}
		e := t.fail(req, s, a, attempt, refreshed, nil)
		e.NotRetried = t.whyNot(a, replayable, refreshed, waits)
		return nil, e
	}
}

// whyNot says why a failed answer that a retry might have cured was not
// retried, for the error's %+v.
func (t *Transport) whyNot(a *answer, replayable, refreshed bool, waits int) string {
	retriable := a.status == http.StatusTooManyRequests || a.status == http.StatusServiceUnavailable ||
		a.status == http.StatusUnauthorized && refreshable[a.reason]
	switch {
	case !retriable:
		return ""
	case !replayable:
		return "the request's body cannot be sent again (set Request.GetBody, as http.NewRequest does for bytes, strings and bytes.Buffer bodies)"
	case a.status == http.StatusUnauthorized && t.tokens == nil:
		return "the credential is static: only a TokenSource can be refreshed"
	case a.status == http.StatusUnauthorized && refreshed:
		return "the new token was refused too"
	case waits >= t.cfg.MaxRetries:
		return fmt.Sprintf("%d retries made (Config.MaxRetries)", waits)
	}
	return fmt.Sprintf("the answer asks for a longer wait than Config.MaxWait (%s)", t.cfg.MaxWait)
}

// failed reports whether resp is a failure the Transport explains. A
// 400 is one when it carries a challenge, or a problem whose reason is a
// malformed credential (authgate's basic_malformed has no challenge); to
// tell, it reads the problem and puts it back for the client.
func failed(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusProxyAuthRequired,
		http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return true
	case http.StatusBadRequest:
		if resp.Header.Get("WWW-Authenticate") != "" {
			return true
		}
		if media, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); media != "application/problem+json" {
			return false
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		var p struct {
			Reason string `json:"reason"`
		}
		json.Unmarshal(body, &p)
		return sentinels[p.Reason] == ErrMalformed
	}
	return false
}

// attach sets the credential on out; after a rejection of a source's
// token it fetches a new one.
func (t *Transport) attach(out *http.Request, rejected *sent) (*sent, error) {
	c := t.cfg.Credential
	s := &sent{}
	if !sameOrigin(out) {
		return s, nil
	}
	switch c.kind {
	case "bearer":
		s.Credential = diagnose.Credential{Scheme: "Bearer", Header: "Authorization", Value: c.value}
	case "basic":
		s.Credential = diagnose.Credential{Scheme: "Basic", Header: "Authorization", Value: basicValue(c.value, c.password)}
	case "apikey":
		s.Credential = diagnose.Credential{Header: c.header, Value: c.value}
	case "tokensource":
		var tok *oauth2.Token
		var err error
		if rejected != nil {
			tok, err = t.tokens.renew(rejected.token)
		} else {
			tok, err = t.tokens.get()
		}
		if err != nil {
			return nil, err
		}
		s.token = tok
		s.Credential = diagnose.Credential{Scheme: tok.Type(), Header: "Authorization", Value: tok.AccessToken}
	default:
		return s, nil
	}
	if s.Scheme != "" {
		out.Header.Set("Authorization", s.Scheme+" "+s.Value)
	} else {
		out.Header.Set(s.Header, s.Value)
	}
	return s, nil
}

// sameOrigin reports whether r goes to the origin (scheme, host, port)
// of the request that started its redirect chain: an http.Client
// following a redirect elsewhere must not carry the credential there
// (RFC 9110 §15.4; curl drops it on any such change, and so does this
// Transport, which attaches the credential below the Client's own
// stripping).
func sameOrigin(r *http.Request) bool {
	first := r
	for first.Response != nil && first.Response.Request != nil {
		first = first.Response.Request
	}
	return first == r || strings.EqualFold(first.URL.Scheme, r.URL.Scheme) && strings.EqualFold(origin(first), origin(r))
}

// origin is r's host:port, the port filled in from the scheme.
func origin(r *http.Request) string {
	port := r.URL.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(r.URL.Scheme)]
	}
	return r.URL.Hostname() + ":" + port
}

// fail builds the *Error of a failed call.
func (t *Transport) fail(req *http.Request, s *sent, a *answer, attempts int, refreshed bool, cause error) *Error {
	u := *req.URL
	u.RawQuery, u.Fragment, u.User = "", "", nil
	e := &Error{Method: req.Method, URL: u.String(), Attempts: attempts, Refreshed: refreshed, Err: cause}
	if errors.Is(cause, errSameToken) {
		e.Diagnosis = append(e.Diagnosis, diagnose.Finding{Code: "token_source_caches", Title: errSameToken.Error()})
	}
	opts := diagnose.Options{Now: t.cfg.Now(), ExpectEnv: t.cfg.ExpectEnv, Host: strings.ToLower(req.URL.Hostname())}
	if a != nil {
		e.Status, e.Reason, e.ServerCode, e.Detail, e.Hint, e.RequestID, e.Challenges =
			a.status, a.reason, a.serverCode, a.detail, a.hint, a.requestID, a.challenges
		e.RetryAfter, _ = Delay(a.header, t.cfg.Now())
		opts.Challenges = a.challenges
	}
	if s != nil && s.Value+s.Header != "" {
		e.Credential = t.describe(s)
		if c := t.cfg.Credential; c.kind == "basic" {
			// The pair as given: the encoded value hides a colon in the user.
			if f := diagnose.Basic(c.value, c.password); f != nil {
				e.Diagnosis = append(e.Diagnosis, *f)
			}
		}
		for _, f := range diagnose.Check(s.Credential, opts) {
			if !slices.ContainsFunc(e.Diagnosis, func(g diagnose.Finding) bool { return g.Code == f.Code }) {
				e.Diagnosis = append(e.Diagnosis, f)
			}
		}
	} else if a != nil && a.status == http.StatusUnauthorized && t.cfg.Credential.kind == "" {
		e.Diagnosis = append(e.Diagnosis, diagnose.Finding{Code: "credentials_missing",
			Title: "the client sends no credentials (caller.Config has no Credential)",
			Fix:   "Set Config.Credential to the credential the API expects."})
	}
	secrets := t.cfg.Credential.secrets()
	if s != nil {
		secrets = append(secrets, s.Value)
	}
	e.Detail, e.Hint, e.ServerCode, e.Reason = scrub(e.Detail, secrets), scrub(e.Hint, secrets), scrub(e.ServerCode, secrets), scrub(e.Reason, secrets)
	for i := range e.Diagnosis {
		e.Diagnosis[i].Title = scrub(e.Diagnosis[i].Title, secrets)
	}
	if e.Err != nil {
		e.Err = &scrubbed{msg: scrub(e.Err.Error(), secrets), err: e.Err}
	}
	return e
}

// scrubbed is an error whose message was scrubbed of the credential; it
// unwraps to the original for errors.Is and errors.As.
type scrubbed struct {
	msg string
	err error
}

func (s *scrubbed) Error() string { return s.msg }
func (s *scrubbed) Unwrap() error { return s.err }

// describe names a sent credential without revealing it.
func (t *Transport) describe(s *sent) string {
	where := s.Header
	if s.Scheme != "" {
		where = "Authorization " + s.Scheme
	}
	return fmt.Sprintf("%s (%d bytes, fp %s)", where, len(s.Value), t.fp.Of(s.Value))
}

func (t *Transport) log(ctx context.Context, msg string, a *answer, s *sent, extra ...any) {
	if t.cfg.Logger == nil {
		return
	}
	args := []any{slog.Int("status", a.status), slog.String("reason", a.reason), slog.String("request_id", a.requestID)}
	if s != nil && s.Value != "" {
		args = append(args, slog.String("credential", t.describe(s)))
	}
	t.cfg.Logger.InfoContext(ctx, msg, append(args, extra...)...)
}

// jitter is a random extra of up to a tenth of d plus 100ms, so clients
// told the same Retry-After do not all come back in the same instant.
func jitter(d time.Duration) time.Duration {
	return time.Duration(mrand.Int64N(int64(d/10 + 100*time.Millisecond)))
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

var _ http.RoundTripper = (*Transport)(nil)
