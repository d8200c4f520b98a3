package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsShipTheTestedConfigs: docs/integrations.md holds the exact files
// these tests run.
func TestDocsShipTheTestedConfigs(t *testing.T) {
	doc, err := os.ReadFile("../docs/integrations.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"nginx.conf", "Caddyfile"} {
		b, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(doc), string(b)) {
			t.Errorf("docs/integrations.md does not contain testdata/%s verbatim", f)
		}
	}
}
