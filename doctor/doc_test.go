package doctor

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDocsListEveryCode keeps docs/doctor.md in step with the codes.
func TestDocsListEveryCode(t *testing.T) {
	src, err := os.ReadFile("finding.go")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/doctor.md")
	if err != nil {
		t.Fatal(err)
	}
	codes := regexp.MustCompile(`Code = "([a-z_]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(codes) < 40 {
		t.Fatalf("found only %d codes in finding.go", len(codes))
	}
	for _, m := range codes {
		if !strings.Contains(string(doc), "`"+m[1]+"`") {
			t.Errorf("docs/doctor.md does not list %s", m[1])
		}
	}
}
