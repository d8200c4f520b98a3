package doctor

import (
	"strings"
	"testing"
)

// TestVisiblePrefix: the prefix shown as evidence runs to a separator,
// whatever its length, and never past 12 bytes or a third of the value.
func TestVisiblePrefix(t *testing.T) {
	secret := strings.Repeat("a1B2", 10) // 40 bytes, no separator
	for _, c := range []struct{ value, want string }{
		{"sk_live_" + secret, "sk_live_"},
		{"sk_test_" + secret, "sk_test_"},
		{"ghp_" + secret, "ghp_"},
		{"xoxb-" + secret, "xoxb-"},
		{"ag_live_" + secret, "ag_live_"},
		{"ag_staging_" + secret, "ag_staging_"},
		{"myapp-prod-" + secret, "myapp-prod-"},
		{"pypi." + secret, "pypi."},
		// The case: a short value shows only what a third allows.
		{"myapp-prod-abc", ""},
		{"myapp-prod-abc123456", "myapp-"},
		// Bounded at 12 bytes: the next segment may be secret.
		{"ab_cd_ef_gh_ij_" + secret, "ab_cd_ef_gh_"},
		{"verylongvendorname_" + secret, ""},
		{"xoxb-123456789012-" + secret, "xoxb-"},
		// Nothing to show: no separator, or one that starts the value.
		{secret, ""},
		{"_live_" + secret, ""},
		{"sk__live_" + secret, "sk_"},
		{"", ""},
		// Only letters and digits before a separator.
		{"a b_" + secret, ""},
		{"sk_lïve_" + secret, "sk_"},
		{"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", ""},
	} {
		got := visiblePrefix(c.value)
		if got != c.want {
			t.Errorf("visiblePrefix(%q) = %q, want %q", c.value, got, c.want)
		}
		if len(got) > maxPrefix || len(got) > len(c.value)/3 || !strings.HasPrefix(c.value, got) {
			t.Errorf("visiblePrefix(%q) = %q is out of bounds", c.value, got)
		}
	}
}

// TestWrongEnvironmentShowsThePrefix: the wrong-environment finding
// names the credential's whole prefix, not its first three characters,
// and nothing of the secret after it.
func TestWrongEnvironmentShowsThePrefix(t *testing.T) {
	secret := "Zq81mXv0Lr5sKd2pWn7tYb4c"
	for _, h := range [][2]string{{"X-API-Key", "myapp-prod-" + secret}, {"Authorization", "Bearer myapp-prod-" + secret}} {
		o := &offline{req: get("http://x", h[0], h[1]), mask: newMasker(),
			opts: &Options{ExpectEnv: "test", Lookup: func(string) (string, bool) { return "", false }}}
		o.run()
		var evidence []string
		for _, f := range o.findings {
			if f.Code == WrongEnvironment {
				evidence = f.Evidence
			}
		}
		if len(evidence) != 1 || !strings.Contains(evidence[0], `prefix "myapp-prod-"`) || strings.Contains(evidence[0], secret[:4]) {
			t.Errorf("%s: the wrong-environment evidence is %q", h[0], evidence)
		}
	}
}
