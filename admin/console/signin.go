package console

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/gateway"
)

// signInData is the sign-in page's.
type signInData struct {
	Next string
	// RequestID names the refused sign-in, so it can be looked up.
	RequestID string
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
	c.render(w, status, "sign-in", pageData{Title: "Sign in", CSRF: token, Problem: p, Data: signInData{Next: next, RequestID: requestID}})
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
		c.renderSignIn(w, r, http.StatusForbidden, &problemView{Status: http.StatusForbidden, Title: "Sign-in form out of date",
			Detail: "The form was not sent by this page (its token is missing or wrong). Nothing was checked; try again."}, "")
		return
	}
	id, refusal, requestID := c.judge(r, strings.TrimSpace(r.PostFormValue("key")))
	if refusal != nil {
		c.renderSignIn(w, r, refusal.Status, refusal, requestID)
		return
	}
	value, _ := c.sessions.start(id.Subject, id.ExpiresAt)
	setCookie(w, r, cookieTLS, cookiePlain, value, 0)
	setCookie(w, r, signInCookieTLS, signInCookiePlain, "", -1)
	c.log.Info("console: signed in", "subject", id.Subject, "client", r.RemoteAddr)
	next := r.PostFormValue("next")
	if !localNext(next) {
		next = Prefix
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
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
	rec := &recorder{header: http.Header{}}
	c.gw.Guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ = gateway.Caller(r)
		w.WriteHeader(http.StatusNoContent)
	})).ServeHTTP(rec, req)
	requestID := rec.header.Get(api.RequestIDHeader)
	if rec.status == http.StatusNoContent && id.Subject != "" {
		return id, nil, requestID
	}
	var p api.Problem
	json.Unmarshal(rec.body.Bytes(), &p)
	if p.Status == 0 {
		p.Status, p.Title = rec.status, http.StatusText(rec.status)
	}
	if key == "" {
		p.Detail = "Paste an admin key (made with `authgate keys create --kind admin`) or an admin JWT."
	}
	return credential.Identity{}, &problemView{Status: p.Status, Code: p.Reason, Title: p.Title, Detail: p.Detail, Hint: p.Hint}, requestID
}

// recorder keeps what the guard answered, its body bounded.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (rec *recorder) Header() http.Header { return rec.header }

func (rec *recorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
	}
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if room := 64<<10 - rec.body.Len(); room > 0 {
		rec.body.Write(b[:min(len(b), room)])
	}
	return len(b), nil
}

func (c *console) signOut(r *http.Request, ss *session) (view, error) {
	c.sessions.end(cookieValue(r, cookieTLS, cookiePlain))
	return view{redirect: "/console/sign-in", signedOut: true}, nil
}
