// Package strictyaml decodes a YAML file into Go structs strictly: an
// unknown key (with a "did you mean"), a wrong type, a YAML alias or an
// unset ${VAR} is an error naming the file, line and key. The
// configuration and the config test's cases file both read this way.
package strictyaml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/authgate/authgate/internal/spelling"
)

// Error is an error at one place in one file.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
}

// Error implements error: "file:line: key: message".
func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += fmt.Sprintf(":%d", e.Line)
	}
	if e.Key != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Key, e.Msg)
	}
	return loc + ": " + e.Msg
}

// Locate returns an *Error at a key path ("routes[2].path") of the
// decoded file, on the line of that key or of its nearest parent.
type Locate func(path, format string, args ...any) error

// Decode checks data against out's type, expands ${VAR} and
// ${VAR:-default} (lookup resolves them; $$ is a literal $) and decodes it
// over out. The Locate it returns places later errors (validation) in the
// file.
func Decode(file string, data []byte, lookup func(string) (string, bool), out any) (Locate, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: file, Msg: "the file is empty"}
		}
		return nil, syntaxError(file, err)
	}
	w := &walker{file: file, lookup: lookup, lines: map[string]int{}}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if err := w.walk(doc, reflect.TypeOf(out).Elem(), ""); err != nil {
		return nil, err
	}
	if err := doc.Decode(out); err != nil {
		return nil, syntaxError(file, err)
	}
	return w.at, nil
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// syntaxError turns a YAML library error into file:line: message.
func syntaxError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line, Msg: m[2]}
	}
	return &Error{File: file, Msg: msg}
}

// walker checks the node tree against the Go types before decoding, so
// every error names its line and key, and expands ${VAR} in values.
type walker struct {
	file   string
	lookup func(string) (string, bool)
	lines  map[string]int
}

// at returns an error located at key path (or its nearest parent).
func (w *walker) at(path, format string, args ...any) error {
	line, p := 0, path
	for p != "" {
		if l, ok := w.lines[p]; ok {
			line = l
			break
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return &Error{File: w.file, Line: line, Key: path, Msg: fmt.Sprintf(format, args...)}
}

func (w *walker) walk(n *yaml.Node, t reflect.Type, path string) error {
	if n.Kind == yaml.AliasNode {
		return w.at(path, "YAML aliases are not supported")
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Struct && t.PkgPath() != "time":
		if n.Kind != yaml.MappingNode {
			return w.at(path, "expected a mapping of keys, found %s", kindName(n))
		}
		fields := Fields(t)
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := join(path, k.Value)
			w.lines[key] = k.Line
			f, ok := fields[k.Value]
			if !ok {
				return w.at(key, "unknown key%s", suggest(k.Value, fields))
			}
			if seen[k.Value] {
				return w.at(key, "key given twice")
			}
			seen[k.Value] = true
			if err := w.walk(v, f.Type, key); err != nil {
				return err
			}
		}
		return nil
	case t.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			return w.at(path, "expected a mapping, found %s", kindName(n))
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := join(path, k.Value)
			w.lines[key] = k.Line
			if err := w.walk(v, t.Elem(), key); err != nil {
				return err
			}
		}
		return nil
	case t.Kind() == reflect.Interface && n.Kind != yaml.ScalarNode:
		// Free-form data (claims): any shape, ${VAR} expanded inside.
		for i, item := range n.Content {
			key := fmt.Sprintf("%s[%d]", path, i)
			w.lines[key] = item.Line
			if err := w.walk(item, t, key); err != nil {
				return err
			}
		}
		return nil
	case t.Kind() == reflect.Slice && n.Kind == yaml.ScalarNode && scalarKind(t.Elem()) && strings.Contains(n.Value, "${"):
		return w.expandList(n, t.Elem(), path)
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return w.at(path, "expected a list, found %s", kindName(n))
		}
		for i, item := range n.Content {
			key := fmt.Sprintf("%s[%d]", path, i)
			w.lines[key] = item.Line
			if err := w.walk(item, t.Elem(), key); err != nil {
				return err
			}
		}
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return w.at(path, "expected a single value, found %s", kindName(n))
	}
	vars, err := w.expand(n, path)
	if err != nil {
		return err
	}
	return w.fits(n, t, path, vars)
}

// fits checks that scalar n decodes into t. A value that came from the
// environment (vars names its variables) is typed by t: a string stays a
// string or a duration (time.ParseDuration), anything else is read as
// YAML reads a plain value (true, 4, 0.5). Its error names the variables, never their value: the
// environment is where secrets live.
func (w *walker) fits(n *yaml.Node, t reflect.Type, path string, vars []string) error {
	if vars != nil {
		n.Style = yaml.DoubleQuotedStyle
		n.Tag = "!!str"
		if t.Kind() != reflect.String && t.Kind() != reflect.Interface && !isDuration(t) {
			n.Style, n.Tag = 0, ""
			if n.ShortTag() == "!!null" {
				return w.at(path, "%s is empty: expected %s", strings.Join(vars, ", "), wantMessage(t))
			}
		}
	}
	probe := reflect.New(t)
	if err := n.Decode(probe.Interface()); err != nil {
		if vars != nil {
			return w.at(path, "the value of %s is not %s", strings.Join(vars, ", "), wantMessage(t))
		}
		return w.at(path, "%q is not %s", n.Value, wantMessage(t))
	}
	return nil
}

// expandList turns a scalar holding ${VAR} where a list of scalars is
// expected into that list: the expanded value split at commas, each item
// trimmed of spaces and typed like a value of its own ("" is an empty
// list).
func (w *walker) expandList(n *yaml.Node, elem reflect.Type, path string) error {
	vars, err := w.expand(n, path)
	if err != nil {
		return err
	}
	for elem.Kind() == reflect.Pointer {
		elem = elem.Elem()
	}
	items := []*yaml.Node{}
	if strings.TrimSpace(n.Value) != "" {
		for i, part := range strings.Split(n.Value, ",") {
			item := &yaml.Node{Kind: yaml.ScalarNode, Value: strings.TrimSpace(part), Line: n.Line, Column: n.Column}
			if err := w.fits(item, elem, fmt.Sprintf("%s[%d]", path, i), vars); err != nil {
				return err
			}
			items = append(items, item)
		}
	}
	*n = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle, Content: items, Line: n.Line, Column: n.Column}
	return nil
}

// scalarKind reports whether t (past pointers) is read from one scalar.
func scalarKind(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		return t.PkgPath() == "time"
	case reflect.Map, reflect.Slice, reflect.Array, reflect.Interface:
		return false
	}
	return true
}

var envRef = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}`)

// expand replaces ${NAME} and ${NAME:-default} in a scalar; $$ is a
// literal $. An unset variable without a default is an error. It returns
// the references expanded ("${NAME}"), nil when there were none.
func (w *walker) expand(n *yaml.Node, path string) ([]string, error) {
	if !strings.Contains(n.Value, "$") {
		return nil, nil
	}
	var missing string
	var vars []string
	out := envRef.ReplaceAllStringFunc(n.Value, func(m string) string {
		if m == "$$" {
			return "$"
		}
		sub := envRef.FindStringSubmatch(m)
		vars = append(vars, "${"+sub[1]+"}")
		if v, ok := w.lookup(sub[1]); ok && v != "" {
			return v
		}
		if sub[2] != "" {
			return sub[2][2:]
		}
		if missing == "" {
			missing = sub[1]
		}
		return ""
	})
	if missing != "" {
		return nil, w.at(path, "environment variable %s is not set (use ${%s:-default} for a default)", missing, missing)
	}
	if out != n.Value {
		n.Value = out
		n.Tag = "!!str"
		n.Style = yaml.DoubleQuotedStyle
	}
	return vars, nil
}

// isDuration: t is time.Duration, read from a string by
// time.ParseDuration ("0" included, as it always was from ${VAR}).
func isDuration(t reflect.Type) bool { return t.PkgPath() == "time" && t.Name() == "Duration" }

// wantMessage says what a value of t looks like.
func wantMessage(t reflect.Type) string {
	switch {
	case isDuration(t):
		return "a duration such as 30s, 5m or 1h"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return "a whole number"
	case t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uintptr:
		return "a whole number, 0 or more"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "a number"
	}
	return t.Kind().String()
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("the value %q", n.Value)
}

// Fields maps the yaml names of struct type t to its fields.
func Fields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			out[name] = f
		}
	}
	return out
}

// suggest names the known key closest to an unknown one: the same but
// for case, dashes or a plural (s, y/ies), or within an edit distance of 2
// (upstream_timout → upstream_timeout, lisen → listen).
func suggest(key string, fields map[string]reflect.StructField) string {
	lk := strings.ToLower(strings.ReplaceAll(key, "-", "_"))
	best, bestDist := "", 3
	for name := range fields {
		if name == lk || strings.TrimSuffix(name, "s") == lk || name == lk+"s" || strings.TrimSuffix(name, "ies")+"y" == lk {
			return fmt.Sprintf(" (did you mean %q?)", name)
		}
		if d := spelling.Distance(lk, name); d < bestDist || d == bestDist && name < best {
			best, bestDist = name, d
		}
	}
	if best == "" || bestDist >= len(lk) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
