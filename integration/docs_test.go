package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsShipTheTestedConfigs: the documentation holds the exact files
// these tests run.
func TestDocsShipTheTestedConfigs(t *testing.T) {
	for f, page := range map[string]string{"nginx.conf": "integrations.md", "Caddyfile": "integrations.md", "hydra.yaml": "identity-providers.md"} {
		doc, err := os.ReadFile(filepath.Join("..", "docs", page))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(doc), string(b)) {
			t.Errorf("docs/%s does not contain testdata/%s verbatim", page, f)
		}
	}
}
