package main

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

var update = flag.Bool("update", false, "rewrite docs/man and docs/completions from the command tree")

// manDate is the date on the man pages' title line: fixed, so that the
// pages change only when the commands do.
var manDate = time.Date(2026, time.December, 1, 0, 0, 0, 0, time.UTC)

// generatedDocs renders the man pages (one per command, section 1) and the
// bash, zsh and fish completions of the command tree, by folder
// ("man", "completions") and file name.
func generatedDocs(t *testing.T) map[string]map[string][]byte {
	root := newRoot()
	root.InitDefaultCompletionCmd()
	root.DisableAutoGenTag = true
	dir := t.TempDir()
	header := &doc.GenManHeader{Section: "1", Date: &manDate, Source: "authgate", Manual: "authgate manual"}
	if err := doc.GenManTree(root, header, dir); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string][]byte{"man": {}, "completions": {}}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out["man"][e.Name()] = data
	}
	for name, gen := range map[string]func(*cobra.Command, *bytes.Buffer) error{
		"authgate.bash": func(c *cobra.Command, b *bytes.Buffer) error { return c.GenBashCompletionV2(b, true) },
		"_authgate":     func(c *cobra.Command, b *bytes.Buffer) error { return c.GenZshCompletion(b) },
		"authgate.fish": func(c *cobra.Command, b *bytes.Buffer) error { return c.GenFishCompletion(b, true) },
	} {
		var b bytes.Buffer
		if err := gen(root, &b); err != nil {
			t.Fatal(err)
		}
		out["completions"][name] = b.Bytes()
	}
	return out
}

// TestManAndCompletions keeps docs/man (the man pages) and
// docs/completions (bash, zsh, fish) equal to what the command tree
// generates; -update rewrites them.
func TestManAndCompletions(t *testing.T) {
	for folder, files := range generatedDocs(t) {
		dir := filepath.Join("..", "..", "docs", folder)
		if *update {
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for name, data := range files {
				if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			continue
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatalf("%v (generate it: go test ./cmd/authgate -run TestManAndCompletions -update)", err)
		}
		var have []string
		for _, e := range entries {
			have = append(have, e.Name())
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if want, ok := files[e.Name()]; !ok {
				t.Errorf("docs/%s/%s: no such command any more", folder, e.Name())
			} else if !bytes.Equal(data, want) {
				t.Errorf("docs/%s/%s differs from what the commands generate", folder, e.Name())
			}
		}
		for name := range files {
			if !slices.Contains(have, name) {
				t.Errorf("docs/%s/%s is missing", folder, name)
			}
		}
	}
	if t.Failed() {
		t.Log("regenerate them: go test ./cmd/authgate -run TestManAndCompletions -update")
	}
	// What `authgate completion bash` prints is the shipped file, and bash
	// parses it.
	shipped := filepath.Join("..", "..", "docs", "completions", "authgate.bash")
	want, err := os.ReadFile(shipped)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "", "completion", "bash"); err != nil || out != string(want) {
		t.Errorf("authgate completion bash differs from docs/completions/authgate.bash (%v)", err)
	}
	if out, err := exec.Command("bash", "-n", shipped).CombinedOutput(); err != nil {
		t.Errorf("bash -n docs/completions/authgate.bash: %v %s", err, out)
	}
}
