package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDemoBinary: a binary built by the go tool (go run, go test) is
// copied into the state folder and that copy is what the printed commands
// call, so they work after `go run` is gone and print no "exit status 1".
func TestDemoBinary(t *testing.T) {
	dir := t.TempDir()
	got := demoBinary(dir)
	want := filepath.Join(dir, "authgate")
	if got != want {
		t.Fatalf("demoBinary = %q, want %q", got, want)
	}
	st, err := os.Stat(got)
	if err != nil || st.Mode().Perm()&0o100 == 0 || st.Size() == 0 {
		t.Fatalf("the copy is not an executable file: %v %v", st, err)
	}
	exe, _ := os.Executable()
	if sameFile(got, exe) {
		t.Fatal("the copy is the temporary binary itself")
	}
}
