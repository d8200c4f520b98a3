package admin_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/authgate/authgate/admin"
	"github.com/authgate/authgate/reason"
)

// TestOpenAPIReasonsAreTheCatalogue: every reason code the OpenAPI
// description names is in the catalogue, under the status the catalogue
// gives it, and every reason the admin API's code (package admin and the
// store's errors) can answer with is named, except the 401s of a bad
// credential, which the catalogue lists.
func TestOpenAPIReasonsAreTheCatalogue(t *testing.T) {
	raw, err := json.Marshal(admin.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Description string `json:"description"`
			Responses   map[string]struct {
				Description string `json:"description"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	word := regexp.MustCompile(`\b[a-z][a-z0-9_]*\b`)
	statusWord := regexp.MustCompile(`\b(\d{3}) ([a-z][a-z0-9_]*)\b`)
	named := map[reason.Code]bool{}
	check := func(where string, code reason.Code, status string) {
		if !reason.Known(code) {
			return
		}
		named[code] = true
		if want := strconv.Itoa(reason.Lookup(code).Status); want != status {
			t.Errorf("%s names %s under %s; the catalogue answers it with %s", where, code, status, want)
		}
	}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			for _, m := range statusWord.FindAllStringSubmatch(op.Description, -1) {
				check(method+" "+path, reason.Code(m[2]), m[1])
			}
			for status, answer := range op.Responses {
				for _, w := range word.FindAllString(answer.Description, -1) {
					check(method+" "+path+" "+status, reason.Code(w), status)
				}
			}
		}
	}
	answered := answeredReasons(t, "../admin", "../store")
	if len(answered) < 5 {
		t.Fatalf("found only %v in the admin API's code", answered)
	}
	for _, code := range answered {
		if reason.Lookup(code).Status != 401 && !named[code] {
			t.Errorf("the admin API answers %s, which its OpenAPI description does not name", code)
		}
	}
}

// answeredReasons are the catalogue codes the non-test Go files of dirs
// refer to (reason.NotFound…), read from their source; openapi.go, the
// description itself, is not evidence.
func answeredReasons(t *testing.T, dirs ...string) []reason.Code {
	t.Helper()
	codes := catalogueConstants(t)
	seen := map[reason.Code]bool{}
	var out []reason.Code
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") || filepath.Base(name) == "openapi.go" {
				continue
			}
			f, err := parser.ParseFile(gotoken.NewFileSet(), name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "reason" {
					if code, known := codes[sel.Sel.Name]; known && !seen[code] {
						seen[code] = true
						out = append(out, code)
					}
				}
				return true
			})
		}
	}
	return out
}

// catalogueConstants maps the names of package reason's Code constants to
// their codes, read from its source.
func catalogueConstants(t *testing.T) map[string]reason.Code {
	t.Helper()
	f, err := parser.ParseFile(gotoken.NewFileSet(), "../reason/reason.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]reason.Code{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != gotoken.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if i < len(vs.Values) {
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == gotoken.STRING {
						code, _ := strconv.Unquote(lit.Value)
						out[name.Name] = reason.Code(code)
					}
				}
			}
		}
	}
	return out
}
