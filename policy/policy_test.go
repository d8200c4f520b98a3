package policy

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/reason"
)

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"/v1/data", "/v1/data", true},
		{"/v1/data", "/v1/data/", false},
		{"/v1/data", "/v1/datax", false},
		{"/v1/data", "/v1", false},
		{"/v1/*", "/v1", true},
		{"/v1/*", "/v1/", true},
		{"/v1/*", "/v1/a/b", true},
		{"/v1/*", "/v10", false},
		{"/users/{id}", "/users/7", true},
		{"/users/{id}", "/users/", false},
		{"/users/{id}", "/users/7/x", false},
		{"/users/{id}/*", "/users/7/x/y", true},
		{"/", "/", true},
		{"/", "/a", false},
		{"/*", "/anything/at/all", true},
	}
	for _, tt := range tests {
		p, err := CompilePattern(tt.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Match(tt.path); got != tt.want {
			t.Errorf("%s ~ %s = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
	for _, bad := range []string{"v1", "/a/*/b", "/a//b", "/a/../b", "/a/%2e", "/a*"} {
		if _, err := CompilePattern(bad); err == nil {
			t.Errorf("CompilePattern(%q) accepted", bad)
		}
	}
}

func TestCanonical(t *testing.T) {
	good := map[string]string{"/a/b": "/a/b", "/a%20b": "/a b", "/caf%C3%A9": "/café", "/": "/", "/a/": "/a/"}
	for in, want := range good {
		if got, err := Canonical(in); err != nil || got != want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{
		"/public/../admin", "/public/%2e%2e/admin", "/public/%2E%2e/admin", "/public/.%2e/admin",
		"/public%2fadmin", "/public%5cadmin", "/public\\admin", "//admin", "/public//admin",
		"/admin;jsessionid=x", "/admin%00", "/admin%0d%0a", "/%c0%ae%c0%ae/admin", "/a%zz", "/a%2", "relative", "/./admin",
	} {
		if _, err := Canonical(bad); err == nil || reason.From(err).Code != reason.PathMalformed {
			t.Errorf("Canonical(%q) = %v, want path_malformed", bad, err)
		}
	}
}

func FuzzCanonical(f *testing.F) {
	f.Add("/public/%2e%2e/admin")
	f.Add("/a/b;c")
	f.Fuzz(func(t *testing.T, raw string) {
		path, err := Canonical(raw)
		if err != nil {
			return
		}
		// What passes is the path as sent when nothing was escaped, and
		// holds none of what Canonical refuses.
		if !strings.Contains(raw, "%") && path != raw {
			t.Fatalf("%q canonical %q: changed without escapes", raw, path)
		}
		if strings.ContainsAny(path, "\\;\x00\x7f\r\n") || strings.Contains(path, "//") || !utf8.ValidString(path) {
			t.Fatalf("%q canonical %q holds what Canonical refuses", raw, path)
		}
		if _, err := Canonical(strings.ReplaceAll(path, "%", "%25")); err != nil {
			t.Fatalf("%q canonical %q: its own escaping is refused: %v", raw, path, err)
		}
		// What passes can never climb out of a prefix or hide a slash.
		pub, _ := CompilePattern("/public/*")
		if pub.Match(path) {
			for _, seg := range strings.Split(path, "/")[1:] {
				if seg == "." || seg == ".." || strings.ContainsAny(seg, "\\;\x00") {
					t.Fatalf("%q canonical %q matched /public/* with segment %q", raw, path, seg)
				}
			}
			if strings.Contains(path, "//") {
				t.Fatalf("%q canonical %q has an empty segment", raw, path)
			}
		}
	})
}

func TestAuthorize(t *testing.T) {
	rt := &Route{Name: "r", ScopesAll: []string{"read", "write"}}
	id := &credential.Identity{Scopes: []string{"read"}}
	err := rt.Authorize(id)
	re := reason.From(err)
	if re.Code != reason.InsufficientScope || len(re.Scope) != 2 {
		t.Fatalf("%+v", re)
	}
	id.Scopes = append(id.Scopes, "write")
	if err := rt.Authorize(id); err != nil {
		t.Fatal(err)
	}
}
