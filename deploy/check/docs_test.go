package check

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// deploymentDoc is the operator's guide whose Kubernetes sections these
// tests keep true.
const deploymentDoc = "../../docs/deployment.md"

// objectValues are values passed to Kubernetes as whole objects: one row
// each in the table, their defaults described rather than spelt out.
var objectValues = []string{"config", "podSecurityContext", "securityContext", "resources", "livenessProbe", "readinessProbe"}

// section returns the text of docs/deployment.md's "## title" section.
func section(t *testing.T, title string) string {
	data, err := os.ReadFile(deploymentDoc)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "\n## "+title+"\n")
	if !ok {
		t.Fatalf("%s has no section %q", deploymentDoc, title)
	}
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// TestValuesTable: the values table of docs/deployment.md lists every key
// of values.yaml, and no other, with its default.
func TestValuesTable(t *testing.T) {
	data, err := os.ReadFile(chartDir + "/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := yaml.UnmarshalStrict(data, &values); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{}
	var flatten func(prefix string, m map[string]any)
	flatten = func(prefix string, m map[string]any) {
		for k, v := range m {
			key := prefix + k
			if sub, ok := v.(map[string]any); ok && len(sub) > 0 && !slices.Contains(objectValues, key) {
				flatten(key+".", sub)
				continue
			}
			want[key] = v
		}
	}
	flatten("", values)

	rows := map[string]string{}
	for _, line := range strings.Split(section(t, "Kubernetes (Helm)"), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		key := strings.Trim(strings.TrimSpace(cells[1]), "`")
		if _, dup := rows[key]; dup {
			t.Errorf("the values table lists %s twice", key)
		}
		rows[key] = strings.TrimSpace(cells[2])
	}
	for key, v := range want {
		def, ok := rows[key]
		if !ok {
			t.Errorf("the values table lacks %s", key)
			continue
		}
		if slices.Contains(objectValues, key) {
			continue
		}
		if got, exp := def, "`"+valueText(v)+"`"; got != exp {
			t.Errorf("the values table gives %s the default %s; values.yaml has %s", key, got, exp)
		}
	}
	for key := range rows {
		if _, ok := want[key]; !ok {
			t.Errorf("the values table lists %s, which values.yaml has not", key)
		}
	}
}

// valueText spells a default as the table does: strings bare ("" when
// empty), everything else as compact JSON.
func valueText(v any) string {
	if s, ok := v.(string); ok && s != "" {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// TestDocsCommands runs every helm command of the Kubernetes sections of
// docs/deployment.md as written (helm install with --dry-run=client: no
// cluster here) and decodes strictly the file of every kubectl command.
func TestDocsCommands(t *testing.T) {
	var lines []string
	for _, title := range []string{"Kubernetes (Helm)", "Kubernetes recipes"} {
		lines = append(lines, shellLines(section(t, title))...)
	}
	t.Chdir(repoRoot)
	ran := 0
	for _, line := range lines {
		args := strings.Fields(line)
		switch args[0] {
		case "helm":
			if args[1] == "install" {
				args = append(args, "--dry-run=client")
			}
			if out, err := helm(t, args[1:]...); err != nil {
				t.Errorf("%s: %v\n%s", line, err, out)
			}
			ran++
		case "kubectl":
			i := slices.Index(args, "-f")
			if i < 0 || i+1 >= len(args) {
				t.Fatalf("%s: no -f FILE", line)
			}
			data, err := os.ReadFile(args[i+1])
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			decodeAll(t, string(data))
			ran++
		default:
			t.Errorf("%s: a command the tests do not run", line)
		}
	}
	if ran < 6 {
		t.Fatalf("only %d commands found", ran)
	}
}

// shellLines are the commands of a section's sh code blocks, comments
// after them removed.
func shellLines(text string) []string {
	var lines []string
	in := false
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "```sh"):
			in = true
		case strings.HasPrefix(line, "```"):
			in = false
		case in && strings.TrimSpace(line) != "":
			if i := strings.Index(line, " #"); i >= 0 {
				line = line[:i]
			}
			lines = append(lines, strings.TrimSpace(line))
		}
	}
	return lines
}
