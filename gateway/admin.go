package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/authgate/authgate/credential/apikey"
	"github.com/authgate/authgate/credential/basic"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/reason"
	"github.com/authgate/authgate/store"
)

// AdminScope is the scope an admin credential must hold.
const AdminScope = "admin"

// adminRoute is what admin requests are authenticated against: API keys
// or JWTs of the configured issuers, with scope admin.
var adminRoute = &policy.Route{Name: "admin", Schemes: []policy.Scheme{policy.SchemeAPIKey, policy.SchemeBearer}, ScopesAll: []string{AdminScope}}

// endpoint is one admin API operation; the OpenAPI description is built
// from the same table, so the two cannot drift apart.
type endpoint struct {
	method, path, summary string
	body                  string // name of the request schema, if any
	handle                func(g *Gateway, w http.ResponseWriter, r *http.Request) error
}

var adminEndpoints = []endpoint{
	{"GET", "/admin/v1/keys", "List API keys (never their secrets).", "", (*Gateway).adminListKeys},
	{"POST", "/admin/v1/keys", "Create an API key; the key is in this answer only.", "KeyCreate", (*Gateway).adminCreateKey},
	{"POST", "/admin/v1/keys/{id}/revoke", "Revoke an API key; refused from the next request on.", "", (*Gateway).adminRevokeKey},
	{"POST", "/admin/v1/keys/{id}/rotate", "Create a replacement key; the old one stays valid for grace.", "KeyRotate", (*Gateway).adminRotateKey},
	{"GET", "/admin/v1/users", "List Basic users.", "", (*Gateway).adminListUsers},
	{"POST", "/admin/v1/users", "Add a Basic user.", "UserCreate", (*Gateway).adminAddUser},
	{"PUT", "/admin/v1/users/{name}/password", "Set a user's password.", "Password", (*Gateway).adminSetPassword},
	{"DELETE", "/admin/v1/users/{name}", "Remove a user.", "", (*Gateway).adminRemoveUser},
	{"GET", "/admin/v1/revocations", "List revoked API keys.", "", (*Gateway).adminRevocations},
	{"GET", "/admin/v1/failures", "Recent failures; filter by reason, route, fingerprint, since (RFC 3339).", "", (*Gateway).adminFailures},
	{"GET", "/admin/v1/failures/stream", "Live failures as server-sent events.", "", (*Gateway).adminFailureStream},
	{"GET", "/admin/v1/failures/summary", "Failures by reason over the last minutes (default 15).", "", (*Gateway).adminSummary},
	{"POST", "/admin/v1/explain", "Every check the gateway would run on a request, without side effects.", "ExplainRequest", (*Gateway).adminExplain},
}

// The description describes itself; added here, as the table's initializer
// cannot name a function that reads the table.
func init() {
	adminEndpoints = append(adminEndpoints, endpoint{"GET", "/admin/v1/openapi.json", "This description (OpenAPI 3.1).", "", (*Gateway).adminOpenAPI})
}

// AdminHandler serves the admin listener: /metrics (open: bind the admin
// listener to loopback or a private network), health, and /admin/v1/,
// which needs a credential with scope admin.
func (g *Gateway) AdminHandler() http.Handler {
	api := http.NewServeMux()
	for _, e := range adminEndpoints {
		h := e.handle
		api.HandleFunc(e.method+" "+e.path, func(w http.ResponseWriter, r *http.Request) {
			if err := h(g, w, r); err != nil {
				g.adminError(w, r, err)
			}
		})
	}
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		g.adminError(w, r, adminBadRequest(http.StatusNotFound, "no such admin endpoint; see /admin/v1/openapi.json"))
	})
	protected := chain(api, g.withExchange, g.withAdminRoute, g.withAuthentication, g.withAuthorization)
	mux := http.NewServeMux()
	mux.Handle("/admin/", protected)
	mux.Handle("GET /metrics", g.metrics.handler())
	mux.HandleFunc("GET "+HealthzPath, g.serveHealthz)
	mux.HandleFunc("GET "+ReadyzPath, g.serveReadyz)
	return mux
}

func (g *Gateway) withAdminRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex := exchangeOf(r)
		ex.path, ex.route = r.URL.Path, adminRoute
		next.ServeHTTP(w, r)
	})
}

// adminInputError is a bad admin request (not an authentication failure).
type adminInputError struct {
	status int
	msg    string
}

func (e *adminInputError) Error() string { return e.msg }

func adminBadRequest(status int, format string, args ...any) error {
	return &adminInputError{status: status, msg: fmt.Sprintf(format, args...)}
}

func (g *Gateway) adminError(w http.ResponseWriter, r *http.Request, err error) {
	status, title := http.StatusInternalServerError, "Admin operation failed"
	var in *adminInputError
	switch {
	case errors.As(err, &in):
		status, title = in.status, http.StatusText(in.status)
	case errors.Is(err, store.ErrNotFound):
		status, title = http.StatusNotFound, "Not found"
	case errors.Is(err, store.ErrExists):
		status, title = http.StatusConflict, "Already exists"
	case errors.Is(err, store.ErrUnavailable):
		status, title = http.StatusServiceUnavailable, "Store unavailable"
		w.Header().Set("Retry-After", "5")
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"title": title, "status": status, "detail": err.Error(),
		"request_id": w.Header().Get("Request-Id")})
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

func readJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return adminBadRequest(http.StatusBadRequest, "request body: %v", err)
	}
	return nil
}

func (g *Gateway) needStore() (store.Store, error) {
	if g.store == nil {
		return nil, adminBadRequest(http.StatusNotImplemented, "this gateway has no store (no route takes API keys or Basic)")
	}
	return g.store, nil
}

func adminActor(r *http.Request) string {
	ex := exchangeOf(r)
	return "admin:" + ex.identity.Subject
}

// KeyView is an API key as the admin API shows it.
type KeyView struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Environment string     `json:"environment"`
	Scopes      []string   `json:"scopes"`
	Created     time.Time  `json:"created"`
	Expires     *time.Time `json:"expires,omitempty"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	LastUsed    *time.Time `json:"last_used,omitempty"`
	ReplacedBy  string     `json:"replaced_by,omitempty"`
	// Key is present only in the answer that created the key.
	Key string `json:"key,omitempty"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// ViewKey is k as the admin API shows it.
func ViewKey(k store.Key) KeyView {
	return KeyView{ID: k.ID, Name: k.Name, Environment: k.Environment, Scopes: append([]string{}, k.Scopes...), Created: k.Created,
		Expires: optTime(k.Expires), RevokedAt: optTime(k.RevokedAt), LastUsed: optTime(k.LastUsed), ReplacedBy: k.ReplacedBy}
}

func (g *Gateway) adminListKeys(w http.ResponseWriter, r *http.Request) error {
	return g.writeKeys(w, r, func(store.Key) bool { return true })
}

// writeKeys answers with the keys that pass keep.
func (g *Gateway) writeKeys(w http.ResponseWriter, r *http.Request, keep func(store.Key) bool) error {
	st, err := g.needStore()
	if err != nil {
		return err
	}
	keys, err := st.Keys(r.Context())
	if err != nil {
		return err
	}
	out := []KeyView{}
	for _, k := range keys {
		if keep(k) {
			out = append(out, ViewKey(k))
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// NewKey creates and stores an API key; it returns the stored record and
// the key, which exists nowhere else.
func NewKey(ctx context.Context, st store.Store, name, env string, scopes []string, expires time.Time, actor string) (store.Key, string, error) {
	key, id, err := apikey.Generate(env)
	if err != nil {
		return store.Key{}, "", err
	}
	k := store.Key{ID: id, Name: name, Environment: env, Scopes: scopes, Hash: apikey.Hash(key), Created: time.Now(), Expires: expires}
	return k, key, st.CreateKey(ctx, k, actor)
}

func (g *Gateway) adminCreateKey(w http.ResponseWriter, r *http.Request) error {
	st, err := g.needStore()
	if err != nil {
		return err
	}
	var in struct {
		Name        string    `json:"name"`
		Environment string    `json:"environment"`
		Scopes      []string  `json:"scopes"`
		Expires     time.Time `json:"expires"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if in.Name == "" || !apikey.ValidEnvironment(in.Environment) {
		return adminBadRequest(http.StatusBadRequest, "name and a valid environment (lower-case letters and digits) are required")
	}
	k, key, err := NewKey(r.Context(), st, in.Name, in.Environment, in.Scopes, in.Expires, adminActor(r))
	if err != nil {
		return err
	}
	v := ViewKey(k)
	v.Key = key
	return writeJSON(w, http.StatusCreated, v)
}

func (g *Gateway) adminRevokeKey(w http.ResponseWriter, r *http.Request) error {
	st, err := g.needStore()
	if err != nil {
		return err
	}
	if err := st.RevokeKey(r.Context(), r.PathValue("id"), time.Now(), adminActor(r)); err != nil {
		return err
	}
	k, err := st.KeyByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ViewKey(k))
}

func (g *Gateway) adminRotateKey(w http.ResponseWriter, r *http.Request) error {
	st, err := g.needStore()
	if err != nil {
		return err
	}
	var in struct {
		Grace string `json:"grace"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	grace, err := time.ParseDuration(in.Grace)
	if err != nil || grace < 0 {
		return adminBadRequest(http.StatusBadRequest, "grace must be a duration such as 24h")
	}
	next, key, err := RotateKey(r.Context(), st, r.PathValue("id"), grace, adminActor(r))
	if err != nil {
		return err
	}
	v := ViewKey(next)
	v.Key = key
	return writeJSON(w, http.StatusCreated, v)
}

// RotateKey creates a replacement for key id (same name, environment,
// scopes and expiry) and lets the old key expire after grace.
func RotateKey(ctx context.Context, st store.Store, id string, grace time.Duration, actor string) (store.Key, string, error) {
	old, err := st.KeyByID(ctx, id)
	if err != nil {
		return store.Key{}, "", err
	}
	key, newID, err := apikey.Generate(old.Environment)
	if err != nil {
		return store.Key{}, "", err
	}
	next := store.Key{ID: newID, Name: old.Name, Environment: old.Environment, Scopes: old.Scopes, Hash: apikey.Hash(key), Created: time.Now(), Expires: old.Expires}
	return next, key, st.RotateKey(ctx, old.ID, time.Now().Add(grace), next, actor)
}

// UserView is a Basic user as the admin API shows it.
type UserView struct {
	Name    string    `json:"name"`
	Scopes  []string  `json:"scopes"`
	Hash    string    `json:"hash_kind"`
	Updated time.Time `json:"updated"`
}

func (g *Gateway) adminListUsers(w http.ResponseWriter, r *http.Request) error {
	st, err := g.needStore()
	if err != nil {
		return err
	}
	users, err := st.Users(r.Context())
	if err != nil {
		return err
	}
	out := []UserView{}
	for _, u := range users {
		out = append(out, ViewUser(u))
	}
	return writeJSON(w, http.StatusOK, out)
}

// ViewUser is u as the admin API shows it: never its hash, only its kind.
func ViewUser(u store.User) UserView {
	kind := "argon2id"
	if basic.IsBcrypt(u.Hash) {
		kind = "bcrypt"
	}
	return UserView{Name: u.Name, Scopes: append([]string{}, u.Scopes...), Hash: kind, Updated: u.Updated}
}

func checkPassword(pw string) error {
	if len(pw) < 8 || strings.ContainsRune(pw, 0) {
		return adminBadRequest(http.StatusBadRequest, "the password must have at least 8 characters and no NUL")
	}
	return nil
}

func (g *Gateway) adminAddUser(w http.ResponseWriter, r *http.Request) error {
	st, err := g.needStore()
	if err != nil {
		return err
	}
	var in struct {
		Name     string   `json:"name"`
		Password string   `json:"password"`
		Scopes   []string `json:"scopes"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if in.Name == "" || strings.Contains(in.Name, ":") {
		return adminBadRequest(http.StatusBadRequest, "a user name without ':' is required")
	}
	if err := checkPassword(in.Password); err != nil {
		return err
	}
	hash, err := basic.HashPassword(in.Password)
	if err != nil {
		return err
	}
	if err := st.AddUser(r.Context(), store.User{Name: in.Name, Hash: hash, Scopes: in.Scopes}, adminActor(r)); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, UserView{Name: in.Name, Scopes: in.Scopes, Hash: "argon2id", Updated: time.Now().UTC()})
}

func (g *Gateway) adminSetPassword(w http.ResponseWriter, r *http.Request) error {
	st, err := g.needStore()
	if err != nil {
		return err
	}
	var in struct {
		Password string `json:"password"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if err := checkPassword(in.Password); err != nil {
		return err
	}
	hash, err := basic.HashPassword(in.Password)
	if err != nil {
		return err
	}
	if err := st.SetPassword(r.Context(), r.PathValue("name"), hash, adminActor(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (g *Gateway) adminRemoveUser(w http.ResponseWriter, r *http.Request) error {
	st, err := g.needStore()
	if err != nil {
		return err
	}
	if err := st.RemoveUser(r.Context(), r.PathValue("name"), adminActor(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (g *Gateway) adminRevocations(w http.ResponseWriter, r *http.Request) error {
	return g.writeKeys(w, r, func(k store.Key) bool { return !k.RevokedAt.IsZero() })
}

func failureFilter(r *http.Request) (func(Failure) bool, error) {
	q := r.URL.Query()
	var since time.Time
	if s := q.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, adminBadRequest(http.StatusBadRequest, "since must be RFC 3339")
		}
		since = t
	}
	return func(f Failure) bool {
		return (q.Get("reason") == "" || f.Reason == q.Get("reason")) && (q.Get("route") == "" || f.Route == q.Get("route")) &&
			(q.Get("fingerprint") == "" || f.Fingerprint == q.Get("fingerprint")) && !f.Time.Before(since)
	}, nil
}

func (g *Gateway) adminFailures(w http.ResponseWriter, r *http.Request) error {
	keep, err := failureFilter(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, g.failures.list(keep))
}

func (g *Gateway) adminFailureStream(w http.ResponseWriter, r *http.Request) error {
	keep, err := failureFilter(r)
	if err != nil {
		return err
	}
	ch, cancel := g.failures.subscribe()
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	rc.Flush()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case f := <-ch:
			if !keep(f) {
				continue
			}
			data, _ := json.Marshal(f)
			fmt.Fprintf(w, "event: failure\nid: %s\ndata: %s\n\n", f.RequestID, data)
			rc.Flush()
		}
	}
}

func (g *Gateway) adminSummary(w http.ResponseWriter, r *http.Request) error {
	minutes := 15
	if s := r.URL.Query().Get("minutes"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > 24*60 {
			return adminBadRequest(http.StatusBadRequest, "minutes must be between 1 and 1440")
		}
		minutes = n
	}
	since := time.Now().Add(-time.Duration(minutes) * time.Minute)
	counts := map[string]int{}
	total := 0
	for _, f := range g.failures.list(func(f Failure) bool { return !f.Time.Before(since) }) {
		counts[f.Reason]++
		total++
	}
	return writeJSON(w, http.StatusOK, map[string]any{"minutes": minutes, "total": total, "by_reason": counts})
}

func (g *Gateway) serveHealthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// serveReadyz is 200 when the store answers and every issuer has keys,
// else 503 with the reasons.
func (g *Gateway) serveReadyz(w http.ResponseWriter, r *http.Request) {
	var problems []string
	if g.store != nil {
		if _, err := g.store.Version(r.Context()); err != nil {
			problems = append(problems, "store: "+err.Error())
		}
	}
	for name, rk := range g.remoteByIssuer {
		if _, _, keys, _, lastErr := rk.Stats(); keys == 0 {
			msg := fmt.Sprintf("issuer %s: no signing keys", name)
			if lastErr != nil {
				msg += ": " + lastErr.Error()
			}
			problems = append(problems, msg)
		}
	}
	if len(problems) > 0 {
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "reason": reason.AuthUnavailable, "problems": problems})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
