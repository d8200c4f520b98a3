package console

import (
	"testing"

	"github.com/authgate/authgate/policy"
)

// FuzzInspectorShapes: whatever is pasted, the inspector's kind is one it
// knows; for every route pattern config accepts, the path the inspector
// asks about is one the route matches.
func FuzzInspectorShapes(f *testing.F) {
	for _, s := range []string{"ag_live_x", "Bearer a.b.c", "a.b.c", "opaque", "", " ", "/v1/*", "/v1/{id}/items", "/", "/*", "/a/{b}/*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if kind, words := detectKind(s); kind != kindToken && kind != kindAPIKey && kind != kindAuthorization || words == "" {
			t.Fatalf("detectKind(%q) = %q, %q", s, kind, words)
		}
		p, err := policy.CompilePattern(s)
		if err != nil {
			return
		}
		if got := samplePath(s); !p.Match(got) {
			t.Fatalf("samplePath(%q) = %q, which the route does not match", s, got)
		}
	})
}
