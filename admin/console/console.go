// Package console serves authgate's web console on the admin listener,
// under /console/: an operator signs in with an admin key (or an admin
// JWT), sees the traffic of the last hour and the health of what the
// gateway depends on, follows failures live and opens any one of them
// (the checks that ran, the challenge and body the client got, the fix),
// manages keys and users, reads the audit trail and inspects a token.
//
// Pages are rendered on the server with html/template from files
// embedded in the binary; one small script of its own (no library, no
// CDN) adds the live feed, the copy button and browser-relative times.
// Every answer carries a strict Content-Security-Policy (no inline
// script), X-Frame-Options: DENY and Cache-Control: no-store; every
// state-changing request carries the session's CSRF token.
package console

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/credential/apikey"
	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/reason"
	"github.com/authgate/authgate/store"
)

// Prefix is where the console is served on the admin listener.
const Prefix = "/console/"

// Favicon is the console's icon; browsers ask for /favicon.ico on every
// page, which the admin listener redirects here.
const Favicon = "/console/static/favicon.svg"

// maxForm bounds a form body.
const maxForm = 64 << 10

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// contentSecurityPolicy allows the console's own script, style and
// connections only: an injected inline script or handler does not run,
// and no page can frame it.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// console serves one configuration's console; its sessions outlive it.
type console struct {
	sessions *Sessions
	gw       *gateway.Gateway
	store    store.Store
	state    *gateway.State
	// cfg is the configuration in force (routes for the inspector, the
	// console's settings).
	cfg   *config.Config
	oidc  *oidcClient
	log   *slog.Logger
	pages map[string]*template.Template
}

// Handler serves the console under Prefix for gw, built from cfg.
// sessions are the process's (see NewSessions); st may be nil (keys and
// users then say that no store is configured).
func Handler(sessions *Sessions, gw *gateway.Gateway, st store.Store, state *gateway.State, cfg *config.Config, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	c := &console{sessions: sessions, gw: gw, store: st, state: state, cfg: cfg, log: log, pages: parsePages()}
	if cfg.Console.OIDC != nil {
		c.oidc = newOIDCClient(cfg.Console.OIDC, sessions.now)
	}
	static, _ := fs.Sub(staticFS, "static")
	mux := http.NewServeMux()
	mux.Handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /console/sign-in", c.signInPage)
	mux.HandleFunc("POST /console/sign-in", c.signIn)
	mux.HandleFunc("GET /console/oidc/start", c.oidcStart)
	mux.HandleFunc("GET "+config.OIDCCallbackPath, c.oidcCallback)
	mux.Handle("POST /console/sign-out", c.action(c.signOut))
	mux.Handle("GET /console/{$}", c.page(c.overview))
	mux.Handle("GET /console/failures", c.page(c.failuresPage))
	mux.Handle("GET /console/failures/stream", c.signedIn(c.stream))
	mux.Handle("GET /console/failures/{id}", c.page(c.decision))
	mux.Handle("GET /console/requests/{id}", c.page(c.decision))
	mux.Handle("GET /console/keys", c.page(c.withStore(c.keysPage)))
	mux.Handle("POST /console/keys", c.action(adminOnly(c.withStore(c.createKey))))
	mux.Handle("GET /console/keys/{id}/revoke", c.page(adminOnly(c.withStore(c.confirmRevoke))))
	mux.Handle("POST /console/keys/{id}/revoke", c.action(adminOnly(c.withStore(c.revokeKey))))
	mux.Handle("POST /console/keys/{id}/rotate", c.action(adminOnly(c.withStore(c.rotateKey))))
	mux.Handle("GET /console/users", c.page(c.withStore(c.usersPage)))
	mux.Handle("POST /console/users", c.action(adminOnly(c.withStore(c.addUser))))
	mux.Handle("POST /console/users/{name}/password", c.action(adminOnly(c.withStore(c.setPassword))))
	mux.Handle("GET /console/users/{name}/remove", c.page(adminOnly(c.withStore(c.confirmRemove))))
	mux.Handle("POST /console/users/{name}/remove", c.action(adminOnly(c.withStore(c.removeUser))))
	mux.Handle("GET /console/audit", c.page(c.withStore(c.auditPage)))
	mux.Handle("GET /console/inspect", c.page(c.inspectPage))
	mux.Handle("POST /console/inspect", c.action(c.inspect))
	mux.HandleFunc("/console/", c.notFound)
	return withHeaders(mux)
}

// notFound answers an unknown console address, with the navigation for
// a signed-in operator.
func (c *console) notFound(w http.ResponseWriter, r *http.Request) {
	d := pageData{Title: "Not found", Message: "There is no console page at this address."}
	if ss, ok := c.sessions.lookup(cookieValue(r, cookieTLS, cookiePlain)); ok {
		d.fill(ss)
	}
	c.render(w, http.StatusNotFound, "message", d)
}

// withHeaders sets the headers every console answer carries.
func withHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		// same-origin, not no-referrer: under no-referrer a browser sends
		// "Origin: null" on the console's own form posts.
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// view is what a page or an action answers: a template and its data, or
// a redirect.
type view struct {
	status   int
	template string
	data     pageData
	redirect string
	// signedOut deletes the session cookie.
	signedOut bool
}

// pageData is what every template gets.
type pageData struct {
	Title string
	// Nav names the active navigation entry.
	Nav     string
	CSRF    string
	Subject string
	// Role is the signed-in operator's console role; Admin says it may
	// change keys and users (the pages show the forms only then).
	Role  string
	Admin bool
	Now   time.Time
	// Message is a plain sentence (a confirmation, a not-found page).
	Message string
	// Notice says what the last change did (shown once, after it).
	Notice string
	// Problem is what went wrong with the last action, in the catalogue's
	// words.
	Problem *problemView
	Data    any
}

// problemView is a reason as a page shows it.
type problemView struct {
	Status int
	Code   string
	Title  string
	Detail string
	Hint   string
}

func problemOf(err error) *problemView {
	re := store.Reason(err)
	e := re.Entry()
	return &problemView{Status: e.Status, Code: string(e.Code), Title: e.Title, Detail: re.Detail, Hint: e.Hint}
}

// handlerFunc is a signed-in page or action.
type handlerFunc func(r *http.Request, ss *session) (view, error)

// signedIn runs h for a live session whose admin credential still
// holds; anyone else goes to the sign-in page (an event stream gets 401).
func (c *console) signedIn(h func(w http.ResponseWriter, r *http.Request, ss *session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := cookieValue(r, cookieTLS, cookiePlain)
		ss, ok := c.sessions.lookup(id)
		if ok {
			if err := c.stillHolds(r, ss); err != nil {
				c.sessions.end(id)
				ok = false
				if re := store.Reason(err); re.Code == reason.AuthUnavailable {
					c.render(w, http.StatusServiceUnavailable, "message", pageData{Title: "Store unavailable", Problem: problemOf(err)})
					return
				}
			}
		}
		if !ok {
			if r.Method == http.MethodGet && r.Header.Get("Accept") != "text/event-stream" {
				http.Redirect(w, r, "/console/sign-in?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			c.render(w, http.StatusUnauthorized, "message", pageData{Title: "Signed out", Message: "Your console session has ended; sign in again."})
			return
		}
		h(w, r, ss)
	})
}

// stillHolds checks that the session's key (admin or viewer) is neither revoked nor
// expired (a JWT's expiry already bounds its session).
func (c *console) stillHolds(r *http.Request, ss *session) error {
	id, ok := strings.CutPrefix(ss.subject, "apikey:")
	if !ok || c.store == nil {
		return nil
	}
	k, err := c.store.KeyByID(r.Context(), id)
	if err != nil {
		return err
	}
	switch apikey.StateOf(k, time.Now()) {
	case apikey.StateRevoked:
		return reason.New(reason.CredentialRevoked, "the admin key of this session is revoked")
	case apikey.StateExpired:
		return reason.New(reason.CredentialExpired, "the admin key of this session has expired")
	}
	return nil
}

// page serves a signed-in GET page.
func (c *console) page(h handlerFunc) http.Handler {
	return c.signedIn(func(w http.ResponseWriter, r *http.Request, ss *session) {
		c.serve(w, r, ss, h)
	})
}

// action serves a signed-in state-changing request: it must come from
// this origin and carry the session's CSRF token, else it is refused
// with 403 and nothing changes.
func (c *console) action(h handlerFunc) http.Handler {
	return c.signedIn(func(w http.ResponseWriter, r *http.Request, ss *session) {
		if err := readForm(w, r); err != nil {
			p := problemOf(err)
			d := pageData{Title: p.Title, Problem: p}
			d.fill(ss)
			c.render(w, p.Status, "message", d)
			return
		}
		if !sameOrigin(r) || !sameToken(r.PostFormValue("csrf"), ss.csrf) {
			d := pageData{Title: "Request refused",
				Message: "This form was not sent by this console page (its CSRF token is missing or wrong, or it came from another site). Nothing was changed; reload the page and try again."}
			d.fill(ss)
			c.render(w, http.StatusForbidden, "message", d)
			return
		}
		c.serve(w, r, ss, h)
	})
}

// readForm reads a posted form of at most maxForm bytes: a larger one is
// 413 request_body_too_large, one that comes too slowly 408
// request_body_timeout, one that cannot be read 400 request_invalid (and
// then nothing is checked or changed).
func readForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	err := r.ParseForm()
	var tooLarge *http.MaxBytesError
	var re *reason.Error
	switch {
	case errors.As(err, &tooLarge):
		return reason.New(reason.RequestBodyTooLarge, "the form is larger than %d KiB", maxForm>>10)
	case errors.As(err, &re):
		return re // the form came too slowly (gateway.GuardBodies)
	case err != nil:
		return reason.New(reason.RequestInvalid, "the form cannot be read (send application/x-www-form-urlencoded)")
	}
	return nil
}

// sameOrigin refuses a request whose Origin (or, without one, Fetch
// metadata) names another site; browsers send one of them on every POST.
// An opaque origin ("null": a sandboxed frame, a data: page, or a page
// that sends no referrer) passes only with Fetch metadata saying
// same-origin.
func sameOrigin(r *http.Request) bool {
	site := r.Header.Get("Sec-Fetch-Site")
	switch o := r.Header.Get("Origin"); o {
	case "null":
		return site == "same-origin"
	case "":
		return site == "" || site == "same-origin" || site == "none"
	default:
		u, err := url.Parse(o)
		return err == nil && strings.EqualFold(u.Host, r.Host)
	}
}

// fill sets what every page of a signed-in operator shows.
func (d *pageData) fill(ss *session) {
	d.CSRF, d.Subject, d.Role, d.Admin = ss.csrf, ss.name, ss.role, ss.role == config.RoleAdmin
}

func (c *console) serve(w http.ResponseWriter, r *http.Request, ss *session, h handlerFunc) {
	v, err := h(r, ss)
	if err != nil {
		p := problemOf(err)
		v = view{status: p.Status, template: "message", data: pageData{Title: p.Title, Problem: p}}
	}
	if v.signedOut {
		setCookie(w, r, cookieTLS, cookiePlain, "", -1)
	}
	if v.redirect != "" {
		http.Redirect(w, r, v.redirect, http.StatusSeeOther)
		return
	}
	v.data.fill(ss)
	if v.data.Notice == "" {
		v.data.Notice = c.sessions.takeNotice(ss)
	}
	if v.status == 0 {
		v.status = http.StatusOK
	}
	c.render(w, v.status, v.template, v.data)
}

// render writes one page; a template that fails is the console's own
// fault, logged and answered 500 with nothing half-written.
func (c *console) render(w http.ResponseWriter, status int, name string, data pageData) {
	if data.Now.IsZero() {
		data.Now = time.Now().UTC()
	}
	var buf bytes.Buffer
	if err := c.pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		c.log.Error("console: a page did not render", "page", name, "error", err.Error())
		http.Error(w, "the console could not render this page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// pageNames are the templates under templates/, each rendered inside
// layout.html.
var pageNames = []string{"message", "sign-in", "overview", "failures", "decision", "keys", "key-created", "confirm",
	"users", "audit", "inspect"}

func parsePages() map[string]*template.Template {
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return pages
}

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"utc": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"ago":     ago,
	"favicon": func() string { return Favicon },
	"epoch":   func(t time.Time) int64 { return t.Unix() },
	"join":    strings.Join,
}

// ago says how far from now t is, in words ("3m12s ago", "in 2h0m").
func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	if d := time.Since(t); d >= 0 {
		return roundDuration(d) + " ago"
	} else {
		return "in " + roundDuration(-d)
	}
}

func roundDuration(d time.Duration) string {
	switch {
	case d < time.Hour:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		return d.Round(time.Minute).String()
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
