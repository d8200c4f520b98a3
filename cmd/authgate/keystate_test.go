package main

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/credential/apikey"
	"github.com/authgate/authgate/internal/gatewaytest"
	"github.com/authgate/authgate/store"
)

// TestKeyStateOnEverySurface: a key in each state — active, in its
// rotation grace, expired (by its own expiry or at the end of a grace),
// revoked (expired or not) — is shown in that state, in the same word,
// by `keys list` on the store and through the admin API, by the admin
// API's JSON and by the console's keys page; only a usable key is green.
func TestKeyStateOnEverySurface(t *testing.T) {
	d := gatewaytest.Demo(t, true)
	ctx := context.Background()
	f := storeFlags{configFile: d.File.ConfigFile}
	st, err := f.open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	now := time.Now()
	put := func(name string, expires time.Time) store.Key {
		t.Helper()
		k, _, err := apikey.New(apikey.Spec{Name: name, Environment: "live"}, now)
		if err != nil {
			t.Fatal(err)
		}
		k.Expires = expires // past expiries too: Spec.Validate refuses them
		if err := st.CreateKey(ctx, k, "test"); err != nil {
			t.Fatal(err)
		}
		return k
	}
	rotate := func(k store.Key, grace time.Duration) store.Key {
		t.Helper()
		next, _, err := apikey.Rotate(ctx, st, k.ID, grace, "test")
		if err != nil {
			t.Fatal(err)
		}
		return next
	}
	revoke := func(k store.Key) {
		t.Helper()
		if err := st.RevokeKey(ctx, k.ID, now, "test"); err != nil {
			t.Fatal(err)
		}
	}

	active := put("state-active", time.Time{})
	expiring := put("state-expires-later", now.Add(time.Hour))
	expired := put("state-expired", now.Add(-time.Hour))
	rotating := put("state-rotating", time.Time{})
	successor := rotate(rotating, time.Hour)
	rotatedOut := put("state-rotated-out", time.Time{})
	rotate(rotatedOut, 0)
	revoked := put("state-revoked", time.Time{})
	revoke(revoked)
	revokedExpired := put("state-revoked-expired", now.Add(-time.Hour))
	revoke(revokedExpired)

	want := map[string]string{
		active.ID: "active", expiring.ID: "active", successor.ID: "active",
		rotating.ID: "rotating", expired.ID: "expired", rotatedOut.ID: "expired",
		revoked.ID: "revoked", revokedExpired.ID: "revoked",
	}
	green := map[string]bool{"active": true, "rotating": true}

	t.Run("cli", func(t *testing.T) {
		t.Setenv("AUTHGATE_ADMIN_KEY", d.File.AdminKey)
		for mode, flags := range map[string][]string{
			"store":     {"--config", d.File.ConfigFile},
			"admin API": {"--admin", d.File.AdminURL},
		} {
			out, err := run(t, "", append([]string{"keys", "list"}, flags...)...)
			if err != nil {
				t.Fatalf("keys list (%s): %v\n%s", mode, err, out)
			}
			for id, state := range want {
				if got := cliState(out, id); got != state {
					t.Errorf("keys list (%s): key %s is %q, want %q\n%s", mode, id, got, state, out)
				}
			}
		}
	})

	t.Run("admin API", func(t *testing.T) {
		req, _ := http.NewRequest("GET", d.File.AdminURL+"/admin/v1/keys", nil)
		req.Header.Set("Authorization", "Bearer "+d.File.AdminKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var raw []map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET /admin/v1/keys: %d %v", resp.StatusCode, err)
		}
		seen := 0
		for _, k := range raw {
			id, _ := k["id"].(string)
			if state, ok := want[id]; ok {
				seen++
				if k["state"] != state {
					t.Errorf("admin API: key %s has state %v, want %q", id, k["state"], state)
				}
			}
		}
		if seen != len(want) {
			t.Errorf("admin API listed %d of the %d keys", seen, len(want))
		}
	})

	t.Run("console", func(t *testing.T) {
		body := consoleKeysPage(t, d.File.AdminURL, d.File.AdminKey)
		for id, state := range want {
			class, label := consoleState(body, id)
			if label != state {
				t.Errorf("console: key %s shows %q, want %q", id, label, state)
			}
			if (class == "ok") != green[state] {
				t.Errorf("console: key %s (%s) is shown in class %q", id, state, class)
			}
		}
	})
}

// cliState is the STATUS cell of key id's row in `keys list` output,
// without the replacement a rotated key names ("rotating->ID").
func cliState(out, id string) string {
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] != id {
			continue
		}
		for _, f := range fields {
			s, _, _ := strings.Cut(f, "->")
			switch s {
			case "active", "rotating", "expired", "revoked":
				return s
			}
		}
	}
	return ""
}

var (
	consoleCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	consoleSpan = regexp.MustCompile(`<span class="([^"]*)">([a-z]+)`)
)

// consoleKeysPage signs in to the console with key, as a browser would,
// and returns the keys page.
func consoleKeysPage(t *testing.T, base, key string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) string {
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	m := consoleCSRF.FindStringSubmatch(get("/console/sign-in"))
	if m == nil {
		t.Fatal("the sign-in page has no CSRF token")
	}
	form := url.Values{"csrf": {html.UnescapeString(m[1])}, "key": {key}}
	req, _ := http.NewRequest("POST", base+"/console/sign-in", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("console sign-in: %d", resp.StatusCode)
	}
	return get("/console/keys")
}

// consoleState is the class and word of the first span in key id's row
// of the console's keys page: its state.
func consoleState(body, id string) (class, label string) {
	_, row, ok := strings.Cut(body, `<tr class="key-row" data-id="`+id+`">`)
	if !ok {
		return "", ""
	}
	row, _, _ = strings.Cut(row, "</tr>")
	m := consoleSpan.FindStringSubmatch(row)
	if m == nil {
		return "", ""
	}
	return m[1], m[2]
}
