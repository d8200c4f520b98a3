package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnit checks deploy/authgate.service with systemd-analyze
// verify, pointing it at a freshly built binary.
func TestSystemdUnit(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("systemd-analyze is missing (apt-get install systemd)")
		}
		t.Skip("systemd-analyze is not installed (apt-get install systemd)")
	}
	unit, err := os.ReadFile("../../deploy/authgate.service")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "authgate")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v %s", err, out)
	}
	text := strings.ReplaceAll(string(unit), "/usr/local/bin/authgate", bin)
	file := filepath.Join(dir, "authgate.service")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	// It exits 0 on many mistakes, warning about them: any line about
	// this unit fails the test.
	out, err := exec.Command(analyze, "verify", file).CombinedOutput()
	if err != nil || strings.Contains(string(out), "authgate.service") {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}
