package admin_test

import (
	"encoding/json"
	"testing"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/store"
)

// TestKeyKindBySurface: each key kind against each surface — the admin
// API's reads and changes, and an API route. An admin key changes; a
// viewer key reads and is refused every change (forbidden) before it
// happens; both are refused on the API's routes (credential_wrong_kind);
// an API key is refused on the admin API.
func TestKeyKindBySurface(t *testing.T) {
	e := newEnv(t)
	type call struct {
		method, path string
		body         any
	}
	reads := []call{{"GET", "/admin/v1/keys", nil}, {"GET", "/admin/v1/users", nil}, {"GET", "/admin/v1/revocations", nil},
		{"GET", "/admin/v1/failures", nil}, {"GET", "/admin/v1/failures/summary", nil}, {"GET", "/admin/v1/traffic", nil},
		{"GET", "/admin/v1/dependencies", nil}, {"GET", "/admin/v1/audit", nil},
		{"POST", "/admin/v1/explain", api.ExplainRequest{Method: "GET", Path: "/keyed/a"}}}
	changes := []call{{"POST", "/admin/v1/keys", api.KeyCreate{Name: "made", Environment: "live"}},
		{"POST", "/admin/v1/users", api.UserCreate{Name: "made", Password: "a-long-password-1"}},
		{"PUT", "/admin/v1/users/made/password", api.PasswordChange{Password: "another-password-2"}},
		{"DELETE", "/admin/v1/users/made", nil}}
	tests := []struct {
		kind                      string
		read, change, apiRoute    int
		changeReason, apiRouteWhy string
	}{
		{store.KindAdmin, 200, 0, 401, "", "credential_wrong_kind"},
		{store.KindViewer, 200, 403, 401, "forbidden", "credential_wrong_kind"},
		{store.KindAPI, 401, 401, 200, "credential_wrong_kind", ""},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			var key string
			if tt.kind == store.KindAPI {
				key, _ = e.key("read")
			} else {
				key, _ = e.create(tt.kind)
			}
			for _, c := range reads {
				if status, _, body := e.call(c.method, c.path, c.body, "X-API-Key", key); status != tt.read {
					t.Errorf("%s %s: %d, want %d: %s", c.method, c.path, status, tt.read, body)
				}
			}
			keysBefore := len(e.keys())
			for _, c := range changes {
				status, _, body := e.call(c.method, c.path, c.body, "X-API-Key", key)
				var p api.Problem
				json.Unmarshal(body, &p)
				if tt.change == 0 && status >= 300 || tt.change != 0 && (status != tt.change || p.Reason != tt.changeReason) {
					t.Errorf("%s %s: %d %s, want %d %s", c.method, c.path, status, p.Reason, tt.change, tt.changeReason)
				}
			}
			if tt.change != 0 && len(e.keys()) != keysBefore {
				t.Error("a refused change created a key")
			}
			if status, why := e.do("GET", "/keyed/a", "X-API-Key", key); status != tt.apiRoute || why != tt.apiRouteWhy {
				t.Errorf("an API route: %d %s, want %d %s", status, why, tt.apiRoute, tt.apiRouteWhy)
			}
		})
	}
}

// keys lists the store's keys through the admin API, as the admin.
func (e *env) keys() []api.KeyView {
	e.t.Helper()
	_, _, body := e.call("GET", "/admin/v1/keys", nil, "X-API-Key", e.adminKey)
	var out []api.KeyView
	if err := json.Unmarshal(body, &out); err != nil {
		e.t.Fatal(err)
	}
	return out
}
