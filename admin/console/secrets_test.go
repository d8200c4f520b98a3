package console_test

import (
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/authgate/authgate/internal/gatewaytest"
	"github.com/authgate/authgate/internal/logtest"
)

// TestNoSecretInTheConsole: whatever is pasted into the sign-in form —
// the admin key itself, near misses of it, API keys, tokens, passwords,
// whole Authorization values — no 8-character piece of it appears in any
// console answer (headers included), in the failures and decisions the
// console shows, or in the log. The token inspector shows a pasted
// credential back in its own answer only: never in the log.
func TestNoSecretInTheConsole(t *testing.T) {
	logs := &logtest.Buffer{}
	d := gatewaytest.DemoLogging(t, true, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	admin := d.File.AdminKey
	last := "a"
	if strings.HasSuffix(admin, "a") {
		last = "b"
	}
	flipped := admin[:len(admin)-1] + last
	secrets := []string{
		admin, flipped, admin[:len(admin)-5], admin + "\n", "Bearer " + admin, d.File.APIKeys["live"], d.File.APIKeys["revoked"],
		d.File.Tokens["valid"], d.File.Tokens["expired"], d.File.Tokens["bad_signature"], d.File.Tokens["opaque_valid"],
		d.File.Basic.Password + "-not-it", base64.StdEncoding.EncodeToString([]byte(d.File.Basic.User + ":" + d.File.Basic.Password)),
		"Qx7vN2pLw9TzR4mK8sJdF3hB with spaces", "sk_live_51HxQ2eKq8dRandomOpaqueKey00",
	}
	var transcript strings.Builder
	record := func(p page) {
		for name, values := range p.header {
			transcript.WriteString(name + ": " + strings.Join(values, ", ") + "\n")
		}
		transcript.WriteString(p.body + "\n")
	}
	anon := newOperator(t, d.File.AdminURL, nil)
	for _, s := range secrets[1:] {
		record(anon.signIn(s))
	}
	o := newOperator(t, d.File.AdminURL, nil)
	record(o.signIn(admin))
	for _, path := range []string{"/console/", "/console/failures", "/console/keys", "/console/users", "/console/audit", "/console/inspect"} {
		record(o.get(path))
	}
	// Requests through the gateway, allowed and refused: their lookups
	// (the recent-requests ring) show fingerprints only.
	for _, call := range [][2]string{{"X-API-Key", d.File.APIKeys["live"]}, {"X-API-Key", d.File.APIKeys["revoked"]},
		{"Authorization", "Bearer " + d.File.Tokens["valid"]}, {"Authorization", "Bearer " + d.File.Tokens["expired"]}} {
		_, h, _ := gatewayCall(t, d.File.URL+"/v1/data", call[0], call[1])
		record(o.get("/console/requests/" + strings.ToLower(h.Get("Request-Id"))))
	}
	rows := regexp.MustCompile(`href="/console/requests/([^"]+)"`).FindAllStringSubmatch(o.get("/console/failures").body, -1)
	if len(rows) < 3 {
		t.Fatalf("%d failure rows", len(rows))
	}
	for _, m := range rows {
		record(o.get("/console/requests/" + m[1]))
	}
	// The inspector answers with what was pasted (the page is the
	// operator's); the log never sees it.
	o.get("/console/inspect")
	for _, s := range secrets[5:11] {
		if p := o.post("/console/inspect", url.Values{"credential": {s}, "kind": {"token"}, "path": {"/v1/data"}}); p.status != http.StatusOK {
			t.Fatalf("inspect: %d", p.status)
		}
	}
	if n := strings.Count(logs.String(), `"msg":"request"`); n < 10 {
		t.Fatalf("%d access lines: the log is not captured", n)
	}
	for where, text := range map[string]string{"the log": logs.String(), "a console answer": transcript.String()} {
		for _, s := range secrets {
			for i := 0; i+8 <= len(s); i++ {
				if piece := s[i : i+8]; strings.Contains(text, piece) {
					t.Fatalf("a piece of a secret (%q at %d of a %d-byte secret) appears in %s", piece, i, len(s), where)
				}
			}
		}
	}
}
