package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/authgate/authgate/internal/pgtest"
	"github.com/authgate/authgate/internal/redistest"
	"github.com/authgate/authgate/store/postgres"
)

// docSection is the text of the "## title" section of docs/deployment.md.
func docSection(t *testing.T, title string) string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/deployment.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "\n## "+title+"\n")
	if !ok {
		t.Fatalf("docs/deployment.md has no section %q", title)
	}
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// fenced is the content of the blocks fenced as lang in text.
func fenced(text, lang string) []string {
	var out []string
	for _, m := range regexp.MustCompile("(?s)```"+lang+"\n(.*?)```").FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestDeploymentDocCommands runs the commands of docs/deployment.md's
// "Migrations as a deploy step", in order, with its store section, on a
// fresh schema: the status before (everything to apply), the migration,
// the status after (up to date); an instance with migrate: never then
// opens the store.
func TestDeploymentDocCommands(t *testing.T) {
	sec := docSection(t, "Migrations as a deploy step")
	yamls, shs := fenced(sec, "yaml"), fenced(sec, "sh")
	if len(yamls) != 1 || len(shs) != 1 {
		t.Fatalf("want one yaml and one sh block, found %d and %d", len(yamls), len(shs))
	}
	t.Setenv("AUTHGATE_DSN", pgtest.DSN(t))
	dir := t.TempDir()
	file := filepath.Join(dir, "authgate.yaml")
	os.WriteFile(file, []byte(yamls[0]+"admin: {listen: \"\"}\nroutes:\n  - {name: r, path: /, public: true, upstream: \"http://127.0.0.1:9\"}\n"), 0o600)
	var outs []string
	for _, line := range strings.Split(strings.TrimSpace(shs[0]), "\n") {
		args := strings.Fields(line)
		if args[0] != "authgate" {
			t.Fatalf("not an authgate command: %s", line)
		}
		for i, a := range args {
			if a == "authgate.yaml" {
				args[i] = file
			}
		}
		out, err := run(t, "", args[1:]...)
		if err != nil {
			t.Fatalf("%s: %v\n%s", line, err, out)
		}
		t.Logf("%s\n%s", line, out)
		outs = append(outs, out)
	}
	want := []string{"schema version 0;", "migrated the schema from version 0 to", "up to date"}
	if len(outs) != len(want) {
		t.Fatalf("%d commands, want %d", len(outs), len(want))
	}
	for i, w := range want {
		if !strings.Contains(outs[i], w) {
			t.Errorf("command %d said %q, want %q", i+1, outs[i], w)
		}
	}
	if out, err := run(t, "", "keys", "list", "--config", file); err != nil {
		t.Fatalf("an instance with migrate: never on the migrated schema: %v\n%s", err, out)
	}
	if v, err := postgres.SchemaVersion(t.Context(), os.Getenv("AUTHGATE_DSN"), "t"); err != nil || v != postgres.Latest() {
		t.Fatalf("after the commands: schema version %d, %v", v, err)
	}
}

// TestDeploymentDocRedisACL: the ACL line in "Managed Redis" is the one
// the fleet test's redis-server runs with.
func TestDeploymentDocRedisACL(t *testing.T) {
	sec := docSection(t, "Managed Redis")
	m := regexp.MustCompile(`(?m)^\s*user authgate on >PASSWORD resetkeys ~authgate:\* resetchannels (.*)$`).FindStringSubmatch(sec)
	if m == nil {
		t.Fatal("no ACL line in Managed Redis")
	}
	if got, want := m[1], strings.Join(redistest.ACLCommands, " "); got != want {
		t.Fatalf("docs ACL %q, the tests' %q", got, want)
	}
}
