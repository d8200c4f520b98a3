package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDocsShipTheTestedConfigs: the documentation holds the exact files
// these tests run.
func TestDocsShipTheTestedConfigs(t *testing.T) {
	for f, page := range map[string]string{"nginx.conf": "integrations.md", "Caddyfile": "integrations.md", "ingress-nginx.conf": "integrations.md", "hydra.yaml": "identity-providers.md"} {
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

// TestDocsCiteTestsThatExist: every test the documentation names (as
// proof of a claim) is a test of the repository: a top-level name is the
// name, or the start of the name, of a Test or Fuzz function, and each
// /part after it is the name of a subtest some test runs (shared suites
// such as store/storetest run theirs outside _test.go files). Every
// pattern a `go test` command gives to -run matches a Test, Fuzz or
// Example function, and every -bench pattern a Benchmark.
func TestDocsCiteTestsThatExist(t *testing.T) {
	var tests, subtests, benchmarks []string
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, "_test.go") {
			for _, m := range testFunc.FindAllStringSubmatch(string(b), -1) {
				tests = append(tests, m[1])
			}
			for _, m := range benchFunc.FindAllStringSubmatch(string(b), -1) {
				benchmarks = append(benchmarks, m[1])
			}
		}
		for _, m := range subtestName.FindAllStringSubmatch(string(b), -1) {
			subtests = append(subtests, strings.ReplaceAll(m[1], " ", "_"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pages, _ := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	pages = append(pages, filepath.Join("..", "README.md"))
	cited := 0
	for _, page := range pages {
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range citedTest.FindAllString(string(b), -1) {
			cited++
			top, subs, _ := strings.Cut(name, "/")
			if !slices.ContainsFunc(tests, func(f string) bool { return strings.HasPrefix(f, top) }) {
				t.Errorf("%s cites %s: no test is named so", filepath.Base(page), name)
			}
			for sub := range strings.SplitSeq(subs, "/") {
				if sub != "" && !slices.Contains(subtests, sub) {
					t.Errorf("%s cites %s: no test runs a subtest %q", filepath.Base(page), name, sub)
				}
			}
		}
		for _, m := range goTestFlag.FindAllStringSubmatch(strings.Join(goTestCommand.FindAllString(string(b), -1), "\n"), -1) {
			cited++
			flag, pattern := m[1], strings.Trim(m[2], `'"`)
			names := tests
			if flag == "bench" {
				names = benchmarks
			}
			top, _, _ := strings.Cut(pattern, "/")
			re, err := regexp.Compile(top)
			if err != nil {
				t.Errorf("%s: go test -%s %s: %v", filepath.Base(page), flag, pattern, err)
				continue
			}
			if top != "^$" && !slices.ContainsFunc(names, re.MatchString) {
				t.Errorf("%s: go test -%s %s matches no function", filepath.Base(page), flag, pattern)
			}
		}
	}
	if cited == 0 {
		t.Fatal("the docs cite no test: the pattern is wrong")
	}
}

var (
	testFunc    = regexp.MustCompile(`(?m)^func ((?:Test|Fuzz|Example)[A-Za-z0-9_]*)\(`)
	benchFunc   = regexp.MustCompile(`(?m)^func (Benchmark[A-Za-z0-9_]*)\(`)
	subtestName = regexp.MustCompile(`t\.Run\("([^"%]+)"`)
	citedTest   = regexp.MustCompile(`\b(?:Test|Fuzz)[A-Z][A-Za-z0-9_]*(?:/[A-Za-z0-9_]+)*`)
	// goTestCommand is a go test command; goTestFlag a -run or -bench
	// pattern in one.
	goTestCommand = regexp.MustCompile(`go test [^\n\x60]*`)
	goTestFlag    = regexp.MustCompile(`-(run|bench) ('[^']*'|"[^"]*"|\S+)`)
)
