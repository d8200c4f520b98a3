package doctor

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// heldOutDir holds situations from services that are neither in the
// tuning corpus nor in the provider table, written without reading the
// doctor's code and never edited after they were committed (MANIFEST).
const heldOutDir = "testdata/heldout"

// heldOutFloor is the lowest share (percent) of held-out cases whose top
// finding may be right: the score the set was registered with, raised as
// the method improves, never lowered.
const heldOutFloor = 54

// TestHeldOutUnchanged: the held-out files are exactly those of MANIFEST,
// byte for byte.
func TestHeldOutUnchanged(t *testing.T) {
	f, err := os.Open(filepath.Join(heldOutDir, "MANIFEST"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	listed := map[string]bool{}
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		sum, name, ok := strings.Cut(lines.Text(), "  ")
		if !ok {
			t.Fatalf("MANIFEST line %q is not \"<sha256>  <file>\"", lines.Text())
		}
		data, err := os.ReadFile(filepath.Join(heldOutDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s was edited after it was registered (held-out cases are never changed)", name)
		}
		listed[name] = true
	}
	files, _ := filepath.Glob(filepath.Join(heldOutDir, "*.yaml"))
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("%s is not in MANIFEST", f)
		}
	}
	if len(listed) == 0 {
		t.Fatal("MANIFEST lists no file")
	}
}

// TestHeldOut scores the doctor on the held-out set: the measure of how
// well its method generalises (docs/doctor.md). It never tunes anything.
func TestHeldOut(t *testing.T) {
	cases := loadCases(t, heldOutDir, false)
	if len(cases) < 60 {
		t.Fatalf("%d held-out cases; the set keeps at least 60", len(cases))
	}
	for _, c := range cases {
		if c.Provider != "" {
			t.Fatalf("%s: a held-out case names a provider of the table", c.Name)
		}
	}
	right, wrong := score(t, cases)
	t.Logf("held-out: %d/%d top finding correct (%.0f%%)", right, len(cases), float64(right*100)/float64(len(cases)))
	for _, w := range wrong {
		t.Log("  wrong: " + w)
	}
	if right*100 < len(cases)*heldOutFloor {
		t.Errorf("held-out score %d/%d fell below its floor of %d%%", right, len(cases), heldOutFloor)
	}
}
