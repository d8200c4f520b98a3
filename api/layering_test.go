package api_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/authgate/authgate/"

// goList runs go list in the module root and returns its lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// TestClientsDecodeThroughAPI: the doctor, the admin client,
// configtest and package caller read the gateway's answers through this
// package, so none of them carries the gateway, its configuration, the
// store, Prometheus or SQLite along.
func TestClientsDecodeThroughAPI(t *testing.T) {
	forbidden := []string{module + "gateway", module + "admin", module + "config", module + "store",
		module + "internal/app", "github.com/prometheus/", "modernc.org/sqlite"}
	for _, pkg := range []string{"./api", "./client", "./doctor", "./configtest", "./caller"} {
		for _, dep := range goList(t, "-deps", pkg) {
			for _, f := range forbidden {
				if dep == f || strings.HasPrefix(dep, strings.TrimSuffix(f, "/")+"/") {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
	for _, dep := range goList(t, "-deps", "./api") {
		if strings.HasPrefix(dep, module) && dep != module+"api" && dep != module+"reason" {
			t.Errorf("api imports %s; it may import only reason", dep)
		}
	}
}

// TestImportRules: the gateway imports no admin code; only the
// composition root and the CLI open a store (import store/sqlite), and
// the load harness, which fills a store with keys to measure.
func TestImportRules(t *testing.T) {
	for _, line := range goList(t, "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...") {
		fields := strings.Fields(line)
		pkg, imports := fields[0], fields[1:]
		for _, imp := range imports {
			switch {
			case strings.HasPrefix(pkg, module+"gateway") && (imp == module+"admin" || imp == module+"internal/app"):
				t.Errorf("%s imports %s", pkg, imp)
			// The demo names the database file to start afresh; it opens
			// nothing.
			case imp == module+"store/sqlite" && pkg != module+"internal/app" && pkg != module+"cmd/authgate" && pkg != module+"internal/demo" &&
				pkg != module+"scripts/bench":
				t.Errorf("%s opens a store (imports store/sqlite); only internal/app and cmd may", pkg)
			}
		}
	}
}
