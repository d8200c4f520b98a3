package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/reason"
	"github.com/authgate/authgate/store"
)

// Problems lists what keeps the gateway from judging credentials: a store
// with a known problem (a lost change stream, a deleted file) or that does
// not answer, an issuer without keys. Empty means ready. It reads only
// state held in memory, except one store ping (bounded by the store's
// query timeout), skipped when the store already knows its problem.
func (g *Gateway) Problems(ctx context.Context) []string {
	var problems []string
	if g.store != nil {
		if err := storeProblem(ctx, g.store); err != nil {
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
	return problems
}

// Dependencies says how each thing the gateway needs is: the store (one
// ping), every issuer's key set (keys held, their age, the latest fetch
// error) and every introspection endpoint (its latest answer and fault).
func (g *Gateway) Dependencies(ctx context.Context) []api.Dependency {
	var out []api.Dependency
	if g.store != nil {
		d := api.Dependency{Kind: "store", Name: "store", Healthy: true, Detail: "answers"}
		if err := storeProblem(ctx, g.store); err != nil {
			d.Healthy, d.Detail = false, err.Error()
		}
		out = append(out, d)
	}
	names := make([]string, 0, len(g.remoteByIssuer))
	for name := range g.remoteByIssuer {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		ok, failed, keys, at, lastErr := g.remoteByIssuer[name].Stats()
		d := api.Dependency{Kind: "key_set", Name: name, Healthy: keys > 0,
			Detail: fmt.Sprintf("%s; %s, %d failed", counted(keys, "key"), counted(int(ok), "fetch"), failed)}
		if !at.IsZero() {
			d.Since = &at
		}
		if lastErr != nil {
			d.Detail += "; latest error: " + lastErr.Error()
		}
		out = append(out, d)
	}
	for _, in := range g.tokens.Introspections() {
		d := api.Dependency{Kind: "introspection", Name: in.Issuer, Healthy: in.Failed.IsZero() || in.Answered.After(in.Failed), Detail: "no introspection yet"}
		if !in.Answered.IsZero() {
			d.Since, d.Detail = &in.Answered, "answering"
		}
		if !d.Healthy {
			d.Detail = in.Fault
		}
		out = append(out, d)
	}
	return out
}

// storeProblem is st's known problem, else the failure of one ping.
func storeProblem(ctx context.Context, st store.Store) error {
	if err := st.Problem(); err != nil {
		return err
	}
	return st.Ping(ctx)
}

// ServeHealth serves the health endpoints of the admin listener, where
// readiness problems are named.
func (g *Gateway) ServeHealth(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == api.ReadyzPath {
		g.serveReadyz(w, r, true)
		return
	}
	serveHealthz(w, r)
}

func serveHealthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, api.Health{Status: "ok"})
}

// serveReadyz is 200 when ready, else 503; the public listener says only
// that, the admin listener (named) also says why.
func (g *Gateway) serveReadyz(w http.ResponseWriter, r *http.Request, named bool) {
	problems := g.Problems(r.Context())
	if len(problems) == 0 {
		writeJSON(w, http.StatusOK, api.Health{Status: "ready"})
		return
	}
	h := api.Health{Status: "unavailable", Reason: string(reason.AuthUnavailable)}
	if named {
		h.Problems = problems
	}
	w.Header().Set("Retry-After", "5")
	writeJSON(w, http.StatusServiceUnavailable, h)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// counted is n and noun, plural unless n is 1 ("1 key", "2 fetches").
func counted(n int, noun string) string {
	switch {
	case n == 1:
		return "1 " + noun
	case strings.HasSuffix(noun, "h"):
		return fmt.Sprintf("%d %ses", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
