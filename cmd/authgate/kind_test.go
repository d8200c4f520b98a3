package main

import (
	"encoding/json"
	"testing"

	"github.com/authgate/authgate/api"
)

// TestKeysCreateKinds: keys create makes each kind; an admin-listener
// kind (admin, viewer) takes no scopes, and an unknown kind is refused.
func TestKeysCreateKinds(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		kind, scopes string
		ok           bool
	}{
		{"api", "read", true},
		{"admin", "", true},
		{"viewer", "", true},
		{"viewer", "read", false},
		{"admin", "read", false},
		{"reader", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.scopes, func(t *testing.T) {
			out, err := run(t, "", "keys", "create", "--data-dir", dir, "--name", "k", "--kind", tt.kind, "--scopes", tt.scopes, "--json")
			if (err == nil) != tt.ok {
				t.Fatalf("err %v, want ok %v", err, tt.ok)
			}
			var v api.KeyView
			if tt.ok && (json.Unmarshal([]byte(out), &v) != nil || v.Kind != tt.kind) {
				t.Fatalf("kind %q: %s", v.Kind, out)
			}
		})
	}
}
