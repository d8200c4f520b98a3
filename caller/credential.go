package caller

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"golang.org/x/oauth2"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/credential/diagnose"
)

// Credential is what the Transport attaches to each request: build one
// with Bearer, APIKey, Basic or TokenSource. It never prints its secret:
// fmt shows its kind alone, under every verb.
type Credential struct {
	kind     string // "bearer", "apikey", "basic", "tokensource"
	header   string
	value    string
	password string
	src      oauth2.TokenSource
}

// Bearer is a static Bearer token (RFC 6750), sent as Authorization:
// Bearer <token>. It cannot be refreshed: a 401 ends the call.
func Bearer(token string) Credential { return Credential{kind: "bearer", value: token} }

// APIKey is a key sent alone in the header named header (default
// X-API-Key when header is "").
func APIKey(header, key string) Credential {
	if header == "" {
		header = api.DefaultAPIKeyHeader
	}
	return Credential{kind: "apikey", header: http.CanonicalHeaderKey(header), value: key}
}

// Basic is a user name and password (RFC 7617), sent UTF-8 in standard
// base64.
func Basic(user, password string) Credential {
	return Credential{kind: "basic", value: user, password: password}
}

// TokenSource takes access tokens from src (x/oauth2's client
// credentials, a refresh token, a workload identity…). The Transport
// keeps the token src hands out until it expires or a server rejects it
// as invalid_token; then it asks src again, once per rejected token. So
// src must mint a new token when asked: give the uncached source (a
// clientcredentials.Config's Token method through TokenFunc, or
// RefreshingSource for a refresh token), not an oauth2.ReuseTokenSource,
// whose cache the Transport cannot empty. A source that hands back the
// token just rejected ends the call with a diagnosis that says so.
func TokenSource(src oauth2.TokenSource) Credential {
	return Credential{kind: "tokensource", src: src}
}

// TokenFunc adapts a function to oauth2.TokenSource, e.g.
// TokenFunc(func() (*oauth2.Token, error) { return cc.Token(ctx) }) for a
// clientcredentials.Config cc, which fetches a new token on every call.
type TokenFunc func() (*oauth2.Token, error)

// Token calls f.
func (f TokenFunc) Token() (*oauth2.Token, error) { return f() }

// Format prints the credential's kind, never its secret.
func (c Credential) Format(f fmt.State, verb rune) {
	switch c.kind {
	case "apikey":
		fmt.Fprintf(f, "caller.APIKey(%s, [redacted])", c.header)
	case "":
		fmt.Fprint(f, "caller.Credential(none)")
	default:
		fmt.Fprintf(f, "caller.Credential(%s, [redacted])", c.kind)
	}
}

// String is Format's %s.
func (c Credential) String() string { return fmt.Sprint(c) }

// GoString is Format's %#v.
func (c Credential) GoString() string { return fmt.Sprint(c) }

// secrets lists what must never be shown: the values that were sent
// (the last token of a source included).
func (c Credential) secrets() []string {
	switch c.kind {
	case "basic":
		return []string{c.password, basicValue(c.value, c.password)}
	case "tokensource":
		return nil
	}
	return []string{c.value}
}

func basicValue(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}

// sent is the credential as one attempt sent it.
type sent struct {
	diagnose.Credential
	token *oauth2.Token // tokensource only
}

// errSameToken: the source handed back the token just rejected.
var errSameToken = errors.New("the TokenSource handed back the token the server just rejected: it caches (an oauth2.ReuseTokenSource?); give caller.TokenSource an uncached source")

// tokens caches a source's token for one Transport.
type tokens struct {
	mu  sync.Mutex
	src oauth2.TokenSource
	cur *oauth2.Token
}

// get returns the cached token while it is valid, else a new one.
func (t *tokens) get() (*oauth2.Token, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cur.Valid() {
		return t.cur, nil
	}
	return t.fetch()
}

// renew replaces rejected: unless another request already did, it asks
// the source for a new token.
func (t *tokens) renew(rejected *oauth2.Token) (*oauth2.Token, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cur != nil && rejected != nil && t.cur.AccessToken != rejected.AccessToken && t.cur.Valid() {
		return t.cur, nil
	}
	tok, err := t.fetch()
	if err == nil && rejected != nil && tok.AccessToken == rejected.AccessToken {
		return nil, errSameToken
	}
	return tok, err
}

func (t *tokens) fetch() (*oauth2.Token, error) {
	tok, err := t.src.Token()
	if err != nil {
		return nil, fmt.Errorf("token source: %w", err)
	}
	if tok == nil || tok.AccessToken == "" {
		return nil, errors.New("token source: it returned no access token")
	}
	t.cur = tok
	return tok, nil
}

// RefreshingSource is an uncached TokenSource for the refresh-token grant
// of conf: it hands out tok first while tok is valid, and after that
// redeems the refresh token at conf's token endpoint each time it is
// asked, keeping the rotated refresh token the endpoint returns. The
// Transport caches what it hands out.
func RefreshingSource(ctx context.Context, conf *oauth2.Config, tok *oauth2.Token) oauth2.TokenSource {
	return &refreshing{ctx: ctx, conf: conf, cur: tok, first: true}
}

type refreshing struct {
	mu    sync.Mutex
	ctx   context.Context
	conf  *oauth2.Config
	cur   *oauth2.Token
	first bool
}

func (r *refreshing) Token() (*oauth2.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.first && r.cur.Valid() {
		r.first = false
		return r.cur, nil
	}
	r.first = false
	if r.cur == nil || r.cur.RefreshToken == "" {
		return nil, errors.New("no refresh token to redeem")
	}
	// A token without an access token is never valid: the source
	// redeems the refresh token at once.
	tok, err := r.conf.TokenSource(r.ctx, &oauth2.Token{RefreshToken: r.cur.RefreshToken}).Token()
	if err != nil {
		return nil, err
	}
	r.cur = tok
	return tok, nil
}
