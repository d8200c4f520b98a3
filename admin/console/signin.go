package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/internal/capture"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/reason"
)

// signInData is the sign-in page's.
type signInData struct {
	Next string
	// RequestID names the refused sign-in, so it can be looked up.
	RequestID string
	// OIDC names the identity provider to sign in with ("": none).
	OIDC string
}

func (c *console) signInPage(w http.ResponseWriter, r *http.Request) {
	c.renderSignIn(w, r, http.StatusOK, nil, "")
}

// renderSignIn writes the sign-in form with a fresh pre-session CSRF
// token (a cookie the form must repeat).
func (c *console) renderSignIn(w http.ResponseWriter, r *http.Request, status int, p *problemView, requestID string) {
	token := randomToken()
	setCookie(w, r, signInCookieTLS, signInCookiePlain, token, 600)
	next := r.FormValue("next")
	if !localNext(next) {
		next = ""
	}
	d := signInData{Next: next, RequestID: requestID}
	if c.oidc != nil {
		d.OIDC = c.oidc.cfg.Name
	}
	c.render(w, status, "sign-in", pageData{Title: "Sign in", CSRF: token, Problem: p, Data: d})
}

// localNext reports whether next is a console page of this listener (no
// open redirect).
func localNext(next string) bool {
	return strings.HasPrefix(next, Prefix) && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n")
}

// signIn exchanges an admin key (or an admin JWT) for a session. The
// credential is judged by the gateway's own admin guard, so a wrong key
// is logged, counted and rate limited like any failed admin request —
// and named only by its fingerprint.
func (c *console) signIn(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r); err != nil {
		p := problemOf(err)
		c.renderSignIn(w, r, p.Status, p, "")
		return
	}
	if !sameOrigin(r) || !sameToken(r.PostFormValue("csrf"), cookieValue(r, signInCookieTLS, signInCookiePlain)) {
		c.renderSignIn(w, r, http.StatusForbidden, staleForm(), "")
		return
	}
	id, refusal, requestID := c.judge(r, strings.TrimSpace(r.PostFormValue("key")))
	if refusal != nil {
		c.renderSignIn(w, r, refusal.Status, refusal, requestID)
		return
	}
	// The credential's scope sets the role (an admin key or a token with
	// scope admin: admin; a viewer key or scope admin:read: viewer); an
	// admin JWT's roles claim, when it has one, may only lower it.
	role := config.RoleViewer
	if id.HasScope(api.AdminScope) {
		role = config.RoleAdmin
	}
	if claimed, present := roleOf(id.Claims, c.cfg.Console.Roles); id.Kind != "apikey" && present && claimed != config.RoleAdmin {
		role = claimed
	}
	if role == "" {
		c.renderSignIn(w, r, http.StatusForbidden, noRole(c.cfg.Console.Roles), requestID)
		return
	}
	c.startSession(w, r, id.Subject, c.operatorName(r, id), role, id.ExpiresAt, r.PostFormValue("next"))
}

// noRole is the refusal of a sign-in whose claims name no console role.
func noRole(roles config.ConsoleRoles) *problemView {
	return &problemView{Status: http.StatusForbidden, Code: string(reason.Forbidden), Title: "No console role",
		Detail: fmt.Sprintf("Your identity is known, but its %s claim holds none of %s (admin) or %s (viewer).", roles.Claim,
			strings.Join(roles.Admin, ", "), strings.Join(roles.Viewer, ", ")),
		Hint: "Ask your identity provider's administrator for the console role (console.roles in the configuration names the values)."}
}

// startSession signs the operator in with role and sends the browser to
// next (a console page) or the overview.
func (c *console) startSession(w http.ResponseWriter, r *http.Request, subject, name, role string, expires time.Time, next string) {
	value, _ := c.sessions.start(subject, name, role, expires)
	setCookie(w, r, cookieTLS, cookiePlain, value, 0)
	setCookie(w, r, signInCookieTLS, signInCookiePlain, "", -1)
	c.log.Info("console: signed in", "subject", subject, "role", role, "client", r.RemoteAddr)
	if !localNext(next) {
		next = Prefix
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// operatorName is how pages name the signed-in operator: an admin key's
// name and id, a token's e-mail or subject.
func (c *console) operatorName(r *http.Request, id credential.Identity) string {
	if key, ok := strings.CutPrefix(id.Subject, "apikey:"); ok && c.store != nil {
		if k, err := c.store.KeyByID(r.Context(), key); err == nil {
			return cutText(k.Name, 60) + " (" + key + ")"
		}
	}
	if email, ok := policy.ClaimText(id.Claims, "email"); ok {
		return cutText(email, 60)
	}
	return cutText(id.Subject, 60)
}

// judge runs the admin guard on a request carrying key the way an admin
// client sends it: the identity it names, or the refusal the guard
// answered (in the catalogue's words) and that answer's request id.
func (c *console) judge(r *http.Request, key string) (credential.Identity, *problemView, string) {
	req := r.Clone(r.Context())
	req.Header = http.Header{}
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip"} {
		if vs := r.Header.Values(h); len(vs) > 0 {
			req.Header[h] = vs
		}
	}
	switch {
	case key == "":
	case strings.Count(key, ".") == 2:
		req.Header.Set("Authorization", "Bearer "+key)
	default:
		req.Header.Set(c.gw.APIKeyHeader(), key)
	}
	req.Body, req.ContentLength = http.NoBody, 0
	var id credential.Identity
	rec := capture.New(64 << 10)
	c.gw.Guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ = gateway.Caller(r)
		w.WriteHeader(http.StatusNoContent)
	})).ServeHTTP(rec, req)
	requestID := rec.Header().Get(api.RequestIDHeader)
	if rec.Status == http.StatusNoContent && id.Subject != "" {
		return id, nil, requestID
	}
	var p api.Problem
	json.Unmarshal(rec.Body(), &p)
	if p.Status == 0 {
		p.Status, p.Title = rec.Status, http.StatusText(rec.Status)
	}
	if key == "" {
		p.Detail = "Paste an admin or viewer key (made with `authgate keys create --kind admin` or `--kind viewer`) or an admin JWT."
	}
	return credential.Identity{}, &problemView{Status: p.Status, Code: p.Reason, Title: p.Title, Detail: p.Detail, Hint: p.Hint}, requestID
}

func (c *console) signOut(r *http.Request, ss *session) (view, error) {
	c.sessions.end(cookieValue(r, cookieTLS, cookiePlain))
	return view{redirect: "/console/sign-in", signedOut: true}, nil
}
