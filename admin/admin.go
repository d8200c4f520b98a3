// Package admin serves the admin listener: the admin HTTP API (keys,
// users, revocations, the failure feed, explain), its OpenAPI description
// generated from the api types, Prometheus metrics and health. Admin
// requests pass the gateway's own authentication (Gateway.Guard) and need
// scope admin; every error is the gateway's problem+json with a reason.
package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/authgate/authgate/admin/console"
	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/credential/apikey"
	"github.com/authgate/authgate/credential/basic"
	"github.com/authgate/authgate/failures"
	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/reason"
	"github.com/authgate/authgate/store"
)

// maxBody bounds an admin request body.
const maxBody = 1 << 20

// server is one admin API over one gateway.
type server struct {
	gw       *gateway.Gateway
	store    store.Store
	state    *gateway.State
	failures *failures.Feed
}

// endpoint is one admin API operation; the OpenAPI description is built
// from the same table and the api types it names, so they cannot drift.
type endpoint struct {
	method, path, summary string
	// in and out are the request and answer body types (nil: none).
	in, out reflect.Type
	// status is the success status.
	status int
	// public endpoints need no credential: they describe, they grant
	// nothing.
	public bool
	// changes endpoints change state: only a credential with scope admin
	// calls them (a viewer's is refused, forbidden).
	changes bool
	handle  func(s *server, w http.ResponseWriter, r *http.Request) error
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

var endpoints = []endpoint{
	{"GET", "/keys", "List API keys (never their secrets).", nil, typeOf[[]api.KeyView](), 200, false, false, (*server).listKeys},
	{"POST", "/keys", "Create an API key; the key is in this answer only.", typeOf[api.KeyCreate](), typeOf[api.KeyView](), 201, false, true, (*server).createKey},
	{"POST", "/keys/{id}/revoke", "Revoke an API key; refused from the next request on.", nil, typeOf[api.KeyView](), 200, false, true, (*server).revokeKey},
	{"POST", "/keys/{id}/rotate", "Create a replacement key; the old one stays valid for grace.", typeOf[api.KeyRotate](), typeOf[api.KeyView](), 201, false, true, (*server).rotateKey},
	{"GET", "/users", "List Basic users.", nil, typeOf[[]api.UserView](), 200, false, false, (*server).listUsers},
	{"POST", "/users", "Add a Basic user.", typeOf[api.UserCreate](), typeOf[api.UserView](), 201, false, true, (*server).addUser},
	{"PUT", "/users/{name}/password", "Set a user's password.", typeOf[api.PasswordChange](), nil, 204, false, true, (*server).setPassword},
	{"DELETE", "/users/{name}", "Remove a user.", nil, nil, 204, false, true, (*server).removeUser},
	{"GET", "/revocations", "List revoked API keys.", nil, typeOf[[]api.KeyView](), 200, false, false, (*server).revocations},
	{"GET", "/failures", "Recent failures; filter by reason, route, fingerprint, request_id, since (RFC 3339).", nil, typeOf[[]api.Failure](), 200, false, false, (*server).listFailures},
	{"GET", "/failures/stream", "Live failures as server-sent events (each data line one Failure).", nil, nil, 200, false, false, (*server).failureStream},
	{"GET", "/failures/summary", "Failures by reason over the last minutes (default 15).", nil, typeOf[api.FailureSummary](), 200, false, false, (*server).summary},
	{"GET", "/traffic", "Requests per minute over the last hour, by outcome and reason.", nil, typeOf[api.Traffic](), 200, false, false, (*server).traffic},
	{"GET", "/dependencies", "The store, key sets and introspection endpoints, and how each is.", nil, typeOf[[]api.Dependency](), 200, false, false, (*server).dependencies},
	{"GET", "/audit", "The latest changes to keys and users (limit, default 100).", nil, typeOf[[]api.AuditEvent](), 200, false, false, (*server).audit},
	{"POST", "/explain", "Every check the gateway would run on a request, without side effects.", typeOf[api.ExplainRequest](), typeOf[api.Explanation](), 200, false, false, (*server).explain},
}

// The description describes itself, without credentials; added here, as
// the table's initializer cannot name a function that reads the table.
func init() {
	endpoints = append(endpoints, endpoint{"GET", "/openapi.json", "This description (OpenAPI 3.1); no credential needed.", nil, nil, 200, true, false, (*server).openAPI})
}

// Handler serves the admin listener for gw: /metrics (open: bind the
// admin listener to loopback or a private network), health with named
// problems, the admin API under api.AdminPrefix, and with sessions the
// web console under console.Prefix (built from cfg). st may be nil (no
// store: key and user operations answer store_not_configured).
func Handler(gw *gateway.Gateway, st store.Store, state *gateway.State, sessions *console.Sessions, cfg *config.Config, log *slog.Logger) http.Handler {
	s := &server{gw: gw, store: st, state: state, failures: state.Failures}
	apiMux, mux := http.NewServeMux(), http.NewServeMux()
	for _, e := range endpoints {
		h := e.handle
		if e.changes {
			h = adminOnly(h)
		}
		serve := apiMux
		if e.public {
			serve = mux
		}
		serve.HandleFunc(e.method+" "+api.AdminPrefix+e.path, func(w http.ResponseWriter, r *http.Request) {
			if err := h(s, w, r); err != nil {
				writeError(w, err)
			}
		})
	}
	apiMux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, reason.New(reason.RouteNotFound, "no such admin endpoint; see %s/openapi.json", api.AdminPrefix))
	})
	mux.Handle("/admin/", gw.Guard(apiMux))
	mux.Handle("GET "+api.MetricsPath, state.Metrics.Handler())
	mux.HandleFunc("GET "+api.HealthzPath, gw.ServeHealth)
	mux.HandleFunc("GET "+api.ReadyzPath, gw.ServeHealth)
	if sessions != nil {
		mux.Handle(console.Prefix, console.Handler(sessions, gw, st, state, cfg, log))
		mux.Handle("GET /{$}", http.RedirectHandler(console.Prefix, http.StatusFound))
		mux.Handle("GET /favicon.ico", http.RedirectHandler(console.Favicon, http.StatusMovedPermanently))
	}
	return mux
}

// WithPProf adds Go's profiler under /debug/pprof/ to the admin handler h
// (admin.pprof: true; the configuration allows it on a loopback admin
// listener only). It is for operators profiling a live gateway.
func WithPProf(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/", h)
	return mux
}

// writeError answers err as problem+json with its reason: the store's
// not-found and exists errors become not_found and already_exists; any
// error without a reason is the gateway's own fault (503).
func writeError(w http.ResponseWriter, err error) {
	api.WriteProblem(w, store.Reason(err), api.DetailFull, w.Header().Get(api.RequestIDHeader))
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// readJSON decodes a bounded body strictly (unknown fields refused); a
// body that does not come in time keeps its reason (request_body_timeout).
func readJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var re *reason.Error
		if errors.As(err, &re) {
			return re // the body came too slowly (gateway.GuardBodies)
		}
		return reason.New(reason.RequestInvalid, "request body: %s", plainJSONError(err))
	}
	return nil
}

// plainJSONError says what is wrong with a request body in the words of
// the API (field names, RFC 3339, JSON types), not Go's, in at most 200
// bytes.
func plainJSONError(err error) string {
	var pe *time.ParseError
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	msg := err.Error()
	switch {
	case errors.As(err, &pe):
		msg = fmt.Sprintf("%q is not a time: write it in RFC 3339, such as 2026-01-31T14:05:00Z", pe.Value)
	case errors.As(err, &te) && te.Field != "":
		msg = fmt.Sprintf("field %s: a JSON %s cannot be a %s", te.Field, te.Value, jsonKind(te.Type))
	case errors.As(err, &te):
		msg = fmt.Sprintf("the body must be a JSON object, not a %s", te.Value)
	case errors.As(err, &se):
		msg = fmt.Sprintf("not JSON (at byte %d: %s)", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		msg = "the JSON object is empty or cut short"
	default:
		msg = strings.TrimPrefix(msg, "json: ")
	}
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return msg
}

// jsonKind names what a Go type is in JSON.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean (true or false)"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64, reflect.Float64:
		return "number"
	case reflect.Slice:
		return "list"
	}
	return "object"
}

func (s *server) needStore() (store.Store, error) {
	if s.store == nil {
		return nil, reason.New(reason.StoreNotConfigured, "this gateway has no store (no route takes API keys or Basic)")
	}
	return s.store, nil
}

func actor(r *http.Request) string { return "admin:" + gateway.Subject(r) }

func (s *server) listKeys(w http.ResponseWriter, r *http.Request) error {
	return s.writeKeys(w, r, func(apikey.State) bool { return true })
}

func (s *server) revocations(w http.ResponseWriter, r *http.Request) error {
	return s.writeKeys(w, r, func(st apikey.State) bool { return st == apikey.StateRevoked })
}

// writeKeys answers with the keys whose state passes keep.
func (s *server) writeKeys(w http.ResponseWriter, r *http.Request, keep func(apikey.State) bool) error {
	st, err := s.needStore()
	if err != nil {
		return err
	}
	keys, err := st.Keys(r.Context())
	if err != nil {
		return err
	}
	out, now := []api.KeyView{}, time.Now()
	for _, k := range keys {
		if keep(apikey.StateOf(k, now)) {
			out = append(out, apikey.View(k, now))
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *server) createKey(w http.ResponseWriter, r *http.Request) error {
	st, err := s.needStore()
	if err != nil {
		return err
	}
	var in api.KeyCreate
	if err := readJSON(r, &in); err != nil {
		return err
	}
	spec := apikey.Spec{Name: in.Name, Kind: in.Kind, Environment: in.Environment, Scopes: in.Scopes, Expires: in.Expires}
	if q := in.Quota; q != nil {
		if spec.Quota, err = apikey.ParseQuota(fmt.Sprintf("%d/%s", q.Requests, q.Per)); err != nil {
			return err
		}
	}
	k, key, err := apikey.Create(r.Context(), st, spec, actor(r))
	if err != nil {
		return err
	}
	v := apikey.View(k, time.Now())
	v.Key = key
	return writeJSON(w, http.StatusCreated, v)
}

func (s *server) revokeKey(w http.ResponseWriter, r *http.Request) error {
	st, err := s.needStore()
	if err != nil {
		return err
	}
	if err := st.RevokeKey(r.Context(), r.PathValue("id"), time.Now(), actor(r)); err != nil {
		return err
	}
	k, err := st.KeyByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apikey.View(k, time.Now()))
}

func (s *server) rotateKey(w http.ResponseWriter, r *http.Request) error {
	st, err := s.needStore()
	if err != nil {
		return err
	}
	var in api.KeyRotate
	if err := readJSON(r, &in); err != nil {
		return err
	}
	grace, err := time.ParseDuration(in.Grace)
	if err != nil {
		return reason.New(reason.RequestInvalid, "grace must be a duration such as 24h or 90m")
	}
	next, key, err := apikey.Rotate(r.Context(), st, r.PathValue("id"), grace, actor(r))
	if err != nil {
		return err
	}
	v := apikey.View(next, time.Now())
	v.Key = key
	return writeJSON(w, http.StatusCreated, v)
}

func (s *server) listUsers(w http.ResponseWriter, r *http.Request) error {
	st, err := s.needStore()
	if err != nil {
		return err
	}
	users, err := st.Users(r.Context())
	if err != nil {
		return err
	}
	out := []api.UserView{}
	for _, u := range users {
		out = append(out, basic.View(u))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *server) addUser(w http.ResponseWriter, r *http.Request) error {
	st, err := s.needStore()
	if err != nil {
		return err
	}
	var in api.UserCreate
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if err := basic.AddUser(r.Context(), st, in.Name, in.Password, in.Scopes, actor(r)); err != nil {
		return err
	}
	u, err := st.User(r.Context(), in.Name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, basic.View(u))
}

func (s *server) setPassword(w http.ResponseWriter, r *http.Request) error {
	st, err := s.needStore()
	if err != nil {
		return err
	}
	var in api.PasswordChange
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if err := basic.SetPassword(r.Context(), st, r.PathValue("name"), in.Password, actor(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) removeUser(w http.ResponseWriter, r *http.Request) error {
	st, err := s.needStore()
	if err != nil {
		return err
	}
	if err := st.RemoveUser(r.Context(), r.PathValue("name"), actor(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) listFailures(w http.ResponseWriter, r *http.Request) error {
	keep, err := failures.Filter(r.URL.Query())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.failures.List(keep))
}

func (s *server) failureStream(w http.ResponseWriter, r *http.Request) error {
	keep, err := failures.Filter(r.URL.Query())
	if err != nil {
		return err
	}
	ch, cancel := s.failures.Subscribe()
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

func (s *server) summary(w http.ResponseWriter, r *http.Request) error {
	minutes := 15
	if v := r.URL.Query().Get("minutes"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 24*60 {
			return reason.New(reason.RequestInvalid, "minutes must be a whole number from 1 to 1440")
		}
		minutes = n
	}
	return writeJSON(w, http.StatusOK, s.failures.Summary(minutes, time.Now()))
}

func (s *server) traffic(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, s.state.Traffic(time.Now()))
}

func (s *server) dependencies(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, s.gw.Dependencies(r.Context()))
}

func (s *server) audit(w http.ResponseWriter, r *http.Request) error {
	st, err := s.needStore()
	if err != nil {
		return err
	}
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 1000 {
			return reason.New(reason.RequestInvalid, "limit must be a whole number from 1 to 1000")
		}
		limit = n
	}
	events, err := store.AuditViews(r.Context(), st, limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, events)
}

func (s *server) explain(w http.ResponseWriter, r *http.Request) error {
	var in api.ExplainRequest
	if err := readJSON(r, &in); err != nil {
		return err
	}
	e, err := s.gw.Explain(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, e)
}

func (s *server) openAPI(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, OpenAPI())
}

// adminOnly runs h for a credential with scope admin; a read-only one (a
// viewer key, a JWT with scope admin:read only) is refused, forbidden,
// before h reads the request.
func adminOnly(h func(s *server, w http.ResponseWriter, r *http.Request) error) func(s *server, w http.ResponseWriter, r *http.Request) error {
	return func(s *server, w http.ResponseWriter, r *http.Request) error {
		if id, ok := gateway.Caller(r); !ok || !id.HasScope(api.AdminScope) {
			return reason.New(reason.Forbidden, "this credential opens the admin API read-only (scope %s): only an admin key or a token with scope %s changes keys and users",
				api.AdminReadScope, api.AdminScope)
		}
		return h(s, w, r)
	}
}
