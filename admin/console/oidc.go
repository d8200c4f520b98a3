package console

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/internal/outbound"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/reason"
)

// OIDC sign-in bounds.
const (
	// oidcPendingTTL is how long a started sign-in may take at the
	// provider.
	oidcPendingTTL = 10 * time.Minute
	// maxPending bounds the sign-ins in flight; the oldest is dropped.
	maxPending = 1000
	// maxMetadata bounds the discovery document.
	maxMetadata = 64 << 10
	// metadataTTL is how long the discovery document is believed.
	metadataTTL = time.Hour
	// oidcCookie binds a started sign-in to the browser that started it
	// (no login CSRF: a callback carrying someone else's state is refused).
	oidcCookieTLS   = "__Host-authgate_console_oidc"
	oidcCookiePlain = "authgate_console_oidc"
)

// oidcClient signs operators in with the configured OpenID Connect
// provider: authorization code with PKCE (S256), state bound to the
// browser by a cookie, nonce checked in the ID token, whose signature,
// issuer, audience and times are checked by the gateway's own JWT
// verifier against the keys the provider's discovery names.
type oidcClient struct {
	cfg      *config.ConsoleOIDC
	now      func() time.Time
	http     *http.Client
	verifier *jwt.Verifier

	mu      sync.Mutex
	meta    *oidcMetadata
	fetched time.Time
	pending map[[32]byte]*pendingSignIn
}

// oidcMetadata is what the console reads of the discovery document.
type oidcMetadata struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	ChallengeMethods      []string `json:"code_challenge_methods_supported"`
}

// pendingSignIn is one sign-in started and not yet back.
type pendingSignIn struct {
	// browser is the SHA-256 of the binding cookie's value.
	browser  [32]byte
	nonce    string
	verifier string
	next     string
	started  time.Time
}

func newOIDCClient(cfg *config.ConsoleOIDC, now func() time.Time) *oidcClient {
	client := outbound.NoRedirects(&http.Client{Timeout: 10 * time.Second})
	ic := &jwt.IssuerConfig{Name: "console-oidc", Issuer: cfg.Issuer, Audiences: []string{cfg.ClientID}, Discovery: new(true)}
	o := &oidcClient{cfg: cfg, now: now, http: client, pending: map[[32]byte]*pendingSignIn{}}
	if err := ic.Provision(nil); err != nil {
		// config validated the issuer; a failure here leaves sign-in
		// refusing with the reason below.
		return o
	}
	is := ic.Runtime()
	is.Keys = &jwt.RemoteKeys{Discover: cfg.Issuer, RefreshEvery: ic.JWKSRefresh, MinRefetch: ic.JWKSMinRefetch, Client: client}
	o.verifier, _ = jwt.New([]*jwt.Issuer{is}, jwt.Options{Now: now, CacheSize: -1, Client: client})
	return o
}

// metadata returns the provider's endpoints, read from its discovery
// document at most once an hour.
func (o *oidcClient) metadata(ctx context.Context) (*oidcMetadata, error) {
	o.mu.Lock()
	m, at := o.meta, o.fetched
	o.mu.Unlock()
	if m != nil && o.now().Sub(at) < metadataTTL {
		return m, nil
	}
	where := strings.TrimSuffix(o.cfg.Issuer, "/") + "/.well-known/openid-configuration"
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, where, nil)
	resp, err := o.http.Do(req)
	if err != nil {
		return nil, unavailable("the identity provider's discovery document (%s) cannot be read: %v", where, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadata+1))
	m = &oidcMetadata{}
	switch {
	case err != nil || resp.StatusCode != http.StatusOK:
		return nil, unavailable("GET %s answered %d", where, resp.StatusCode)
	case len(body) > maxMetadata:
		return nil, unavailable("GET %s: the document is larger than %d KiB", where, maxMetadata>>10)
	case json.Unmarshal(body, m) != nil:
		return nil, unavailable("GET %s: not a JSON discovery document", where)
	case m.Issuer != o.cfg.Issuer:
		return nil, unavailable("GET %s: the document is for issuer %q, not %q (not used)", where, cutText(m.Issuer, 100), o.cfg.Issuer)
	case jwt.CheckFetchURL(m.AuthorizationEndpoint) != nil || jwt.CheckFetchURL(m.TokenEndpoint) != nil:
		return nil, unavailable("GET %s: authorization_endpoint and token_endpoint must be https URLs (http only on loopback)", where)
	case len(m.ChallengeMethods) > 0 && !slices.Contains(m.ChallengeMethods, "S256"):
		return nil, unavailable("the identity provider does not support PKCE with S256, which the console requires")
	}
	o.mu.Lock()
	o.meta, o.fetched = m, o.now()
	o.mu.Unlock()
	return m, nil
}

// unavailable is the provider's fault: 503, never a refusal of the
// operator.
func unavailable(format string, args ...any) error {
	return &reason.Error{Code: reason.AuthUnavailable, Detail: fmt.Sprintf(format, args...)}
}

func (o *oidcClient) oauth(m *oidcMetadata) *oauth2.Config {
	return &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, RedirectURL: o.cfg.RedirectURL,
		Endpoint: oauth2.Endpoint{AuthURL: m.AuthorizationEndpoint, TokenURL: m.TokenEndpoint},
		Scopes:   append([]string{"openid"}, o.cfg.Scopes...)}
}

// begin records a new sign-in for the browser holding binding and
// returns the provider's authorization URL.
func (o *oidcClient) begin(m *oidcMetadata, binding, next string) string {
	state, nonce, verifier := randomToken(), randomToken(), oauth2.GenerateVerifier()
	now := o.now()
	o.mu.Lock()
	for k, p := range o.pending {
		if now.Sub(p.started) >= oidcPendingTTL {
			delete(o.pending, k)
		}
	}
	if len(o.pending) >= maxPending {
		evictOldest(o.pending, func(p *pendingSignIn) time.Time { return p.started })
	}
	o.pending[sha256.Sum256([]byte(state))] = &pendingSignIn{browser: sha256.Sum256([]byte(binding)), nonce: nonce, verifier: verifier,
		next: next, started: now}
	o.mu.Unlock()
	return o.oauth(m).AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", nonce))
}

// take removes and returns the sign-in of state, if it was started by the
// browser holding binding and is not too old. A state is used once.
func (o *oidcClient) take(state, binding string) (*pendingSignIn, bool) {
	key := sha256.Sum256([]byte(state))
	o.mu.Lock()
	p, ok := o.pending[key]
	if ok {
		delete(o.pending, key)
	}
	o.mu.Unlock()
	browser := sha256.Sum256([]byte(binding))
	return p, ok && binding != "" && subtle.ConstantTimeCompare(p.browser[:], browser[:]) == 1 && o.now().Sub(p.started) < oidcPendingTTL
}

// finish exchanges code (with the PKCE verifier) and checks the ID token:
// signature, issuer, audience and times by the JWT verifier, then the
// nonce and, when several audiences are named, azp. It returns the
// token's identity.
func (o *oidcClient) finish(ctx context.Context, m *oidcMetadata, p *pendingSignIn, code string) (credential.Identity, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, o.http)
	tok, err := o.oauth(m).Exchange(ctx, code, oauth2.VerifierOption(p.verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 {
			return credential.Identity{}, reason.New(reason.Forbidden, "the identity provider refused the sign-in code (%s)", cutText(re.ErrorCode, 60))
		}
		return credential.Identity{}, unavailable("the identity provider's token endpoint failed: %v", cutText(err.Error(), 200))
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return credential.Identity{}, reason.New(reason.Forbidden, "the identity provider sent no ID token (is openid among the client's scopes?)")
	}
	if o.verifier == nil {
		return credential.Identity{}, unavailable("the console's OIDC issuer could not be set up")
	}
	id, err := o.verifier.Verify(ctx, raw)
	if err != nil {
		re := reason.From(err)
		if re.Code == reason.AuthUnavailable {
			return credential.Identity{}, err
		}
		return credential.Identity{}, reason.New(reason.Forbidden, "the ID token is refused: %s (%s)", re.Detail, re.Code)
	}
	nonce, _ := policy.ClaimText(id.Claims, "nonce")
	if subtle.ConstantTimeCompare([]byte(nonce), []byte(p.nonce)) != 1 {
		return credential.Identity{}, reason.New(reason.Forbidden, "the ID token's nonce is not the one this sign-in sent (a replayed or injected token)")
	}
	if aud := jwt.Audiences(id.Claims["aud"]); len(aud) > 1 {
		if azp, _ := policy.ClaimText(id.Claims, "azp"); azp != o.cfg.ClientID {
			return credential.Identity{}, reason.New(reason.Forbidden, "the ID token names several audiences and its azp is not this console's client")
		}
	}
	return id, nil
}

// oidcStart begins a sign-in at the provider (the sign-in page's link: a
// GET, as the Content-Security-Policy's form-action would block a form's
// redirect to the provider). Starting is harmless; what protects the
// sign-in is the state bound to this browser's cookie.
func (c *console) oidcStart(w http.ResponseWriter, r *http.Request) {
	if c.oidc == nil {
		c.notFound(w, r)
		return
	}
	m, err := c.oidc.metadata(r.Context())
	if err != nil {
		p := problemOf(err)
		c.renderSignIn(w, r, p.Status, p, "")
		return
	}
	binding := randomToken()
	next := r.URL.Query().Get("next")
	if !localNext(next) {
		next = ""
	}
	// The provider sends the browser back with a top-level GET from its
	// own site: a SameSite=Strict cookie would not come along; Lax does.
	http.SetCookie(w, &http.Cookie{Name: cookieName(r, oidcCookieTLS, oidcCookiePlain), Value: binding, Path: "/", MaxAge: int(oidcPendingTTL / time.Second),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, c.oidc.begin(m, binding, next), http.StatusSeeOther)
}

// staleForm is the refusal of a sign-in form not sent by this page.
func staleForm() *problemView {
	return &problemView{Status: http.StatusForbidden, Title: "Sign-in form out of date",
		Detail: "The form was not sent by this page (its token is missing or wrong). Nothing was checked; try again."}
}

// oidcCallback ends a sign-in: the state must be one this browser started
// (once), the code is exchanged with the PKCE verifier, the ID token
// checked (nonce included), and the role read from its claim.
func (c *console) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if c.oidc == nil {
		c.notFound(w, r)
		return
	}
	q := r.URL.Query()
	binding := cookieValue(r, oidcCookieTLS, oidcCookiePlain)
	http.SetCookie(w, &http.Cookie{Name: cookieName(r, oidcCookieTLS, oidcCookiePlain), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	p, ok := c.oidc.take(q.Get("state"), binding)
	if !ok {
		c.log.Info("console: OIDC sign-in refused", "why", "unknown state", "client", r.RemoteAddr)
		c.renderSignIn(w, r, http.StatusBadRequest, &problemView{Status: http.StatusBadRequest, Code: string(reason.RequestInvalid), Title: "Sign-in not recognised",
			Detail: "This answer from the identity provider does not belong to a sign-in this browser started (its state is unknown, used, or expired). Nothing was signed in; start again."}, "")
		return
	}
	if e := q.Get("error"); e != "" {
		c.renderSignIn(w, r, http.StatusForbidden, &problemView{Status: http.StatusForbidden, Code: string(reason.Forbidden), Title: "The identity provider refused the sign-in",
			Detail: cutText(e, 60) + ": " + cutText(q.Get("error_description"), 200)}, "")
		return
	}
	m, err := c.oidc.metadata(r.Context())
	var id credential.Identity
	if err == nil {
		id, err = c.oidc.finish(r.Context(), m, p, q.Get("code"))
	}
	if err != nil {
		c.log.Info("console: OIDC sign-in refused", "why", reason.From(err).Detail, "client", r.RemoteAddr)
		pv := problemOf(err)
		c.renderSignIn(w, r, pv.Status, pv, "")
		return
	}
	roles := c.cfg.Console.Roles
	role, _ := roleOf(id.Claims, roles)
	if role == "" {
		c.renderSignIn(w, r, http.StatusForbidden, noRole(roles), "")
		return
	}
	c.startSession(w, r, "oidc:"+id.Subject, c.operatorName(r, id), role, time.Time{}, p.next)
}
