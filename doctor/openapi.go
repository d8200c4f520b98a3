package doctor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/authgate/authgate/internal/lazyregexp"
)

// apiDesc is what the doctor keeps of an API's OpenAPI (3.0, 3.1) or
// Swagger (2.0) description: its security schemes, the requirements of
// the whole API and of each operation, and the base paths its servers
// serve it under.
type apiDesc struct {
	// version is "OpenAPI 3.1.0" or "Swagger 2.0".
	version string
	schemes map[string]secScheme
	// global is the document's security; nil when it has none.
	global *[]requirement
	ops    []operation
	bases  []string
	// guessed: found at a well-known address, not named by the user or
	// the answer; it may describe another API on the same origin.
	guessed bool
}

// secScheme is one security scheme: kind apiKey (in header, query or
// cookie, under name), http (with scheme basic, bearer, digest…), oauth2,
// openIdConnect or mutualTLS. An apiKey in the Authorization header has
// as scheme the prefix its description requires ("Token"), if it names
// one.
type secScheme struct {
	kind, in, name, scheme string
}

// keyPrefix finds the prefix an Authorization API key's description
// requires: drf-spectacular's 'Token-based authentication with required
// prefix "Token"', or a sample such as "Authorization: SSWS {apiToken}".
var keyPrefix = lazyregexp.New(`(?i)\bprefix(?:ed)?\s+(?:with\s+|of\s+)?["'\x60“]([A-Za-z][\w-]*)["'\x60”]|` +
	`\bAuthorization:\s*["'\x60]?([A-Za-z][\w-]*)\s+[<{$\[]`)

// requirement is one security requirement object: every scheme it names
// (with the scopes it needs of it) must be satisfied together. The
// requirements of a list are alternatives.
type requirement []schemeNeed

// schemeNeed is one scheme of a requirement and the scopes it needs.
type schemeNeed struct {
	name   string
	scopes []string
}

// operation is one method on one path template.
type operation struct {
	method, template string
	pattern          *regexp.Regexp
	// literal counts the template's characters outside {…}: the more, the
	// more specific a match.
	literal  int
	security *[]requirement
	// refuses: the operation documents a 401 or 403 answer.
	refuses bool
}

// Limits of a description the doctor reads: its size, the operations
// and the server base paths kept, and the items of a security list kept
// (alternatives, the schemes of each, the scopes of each scheme).
const (
	maxDescBytes = 16 << 20
	// maxYAMLItems bounds a description read as YAML by its lines and
	// commas, each at most an item: the YAML decoder builds a node for
	// every item (about 240 bytes each), so 16 MiB of tiny ones cost it
	// 1.8 GiB where encoding/json reads the same as JSON in passing (a
	// larger description is given as JSON).
	maxYAMLItems = 400000
	maxOps       = 20000
	maxBases     = 64
	maxListed    = 64
)

// rawSecurity is a security list as written: a list of requirement
// objects, each mapping a scheme's name to its scopes.
type rawSecurity []map[string][]string

// rawDoc, rawPathItem, rawOp and rawScheme are the parts of a
// description the doctor reads, as written; the rest is skipped.
type rawScheme struct {
	Type        string `json:"type" yaml:"type"`
	In          string `json:"in" yaml:"in"`
	Name        string `json:"name" yaml:"name"`
	Scheme      string `json:"scheme" yaml:"scheme"`
	Description string `json:"description" yaml:"description"`
}

// read is the scheme as the doctor keeps it.
func (s rawScheme) read() secScheme {
	sc := secScheme{kind: printable(s.Type), in: strings.ToLower(printable(s.In)), name: printable(s.Name), scheme: strings.ToLower(printable(s.Scheme))}
	switch {
	case s.Type == "basic": // Swagger 2.0
		sc.kind, sc.scheme = "http", "basic"
	case s.Type == "apiKey" && sc.in == "header" && strings.EqualFold(s.Name, "Authorization"):
		if m := keyPrefix.FindStringSubmatch(s.Description); m != nil {
			sc.scheme = firstGroup(m)
		}
	}
	return sc
}

type rawOp struct {
	Security  *rawSecurity        `json:"security" yaml:"security"`
	Responses map[string]struct{} `json:"responses" yaml:"responses"`
}

type rawPathItem struct {
	Get     *rawOp `json:"get" yaml:"get"`
	Put     *rawOp `json:"put" yaml:"put"`
	Post    *rawOp `json:"post" yaml:"post"`
	Delete  *rawOp `json:"delete" yaml:"delete"`
	Options *rawOp `json:"options" yaml:"options"`
	Head    *rawOp `json:"head" yaml:"head"`
	Patch   *rawOp `json:"patch" yaml:"patch"`
	Trace   *rawOp `json:"trace" yaml:"trace"`
}

type rawDoc struct {
	OpenAPI  string `json:"openapi" yaml:"openapi"`
	Swagger  string `json:"swagger" yaml:"swagger"`
	BasePath string `json:"basePath" yaml:"basePath"`
	Servers  []struct {
		URL string `json:"url" yaml:"url"`
	} `json:"servers" yaml:"servers"`
	Security   *rawSecurity `json:"security" yaml:"security"`
	Components struct {
		SecuritySchemes map[string]rawScheme `json:"securitySchemes" yaml:"securitySchemes"`
	} `json:"components" yaml:"components"`
	SecurityDefinitions map[string]rawScheme   `json:"securityDefinitions" yaml:"securityDefinitions"`
	Paths               map[string]rawPathItem `json:"paths" yaml:"paths"`
}

// errNotDescription: the document is no OpenAPI or Swagger description.
var errNotDescription = errors.New("not an OpenAPI or Swagger description")

// parseOpenAPI reads an OpenAPI 3.x or Swagger 2.0 description, JSON or
// YAML (JSON is YAML). Anything else — HTML, a problem body, a document
// without an openapi or swagger version — is errNotDescription.
func parseOpenAPI(data []byte) (*apiDesc, error) {
	if len(data) > maxDescBytes {
		return nil, fmt.Errorf("description larger than %d bytes", maxDescBytes)
	}
	trimmed := strings.TrimSpace(string(data[:min(len(data), 512)]))
	if strings.HasPrefix(trimmed, "<") {
		return nil, errNotDescription // an HTML page (a login page, Swagger UI)
	}
	// JSON through encoding/json: a large description (megabytes) is
	// read without building a YAML node tree; YAML (or JSON it cannot
	// read, a version written as a number) through the YAML decoder.
	var raw rawDoc
	if !strings.HasPrefix(trimmed, "{") || json.Unmarshal(data, &raw) != nil {
		raw = rawDoc{}
		if n := bytes.Count(data, []byte{'\n'}) + bytes.Count(data, []byte{','}); n > maxYAMLItems {
			return nil, fmt.Errorf("a YAML description of %d lines and items, more than %d: give it as JSON", n, maxYAMLItems)
		}
		if err := yaml.Unmarshal(data, &raw); err != nil {
			return nil, fmt.Errorf("%w: %v", errNotDescription, err)
		}
	}
	d := &apiDesc{schemes: map[string]secScheme{}}
	switch {
	case strings.HasPrefix(raw.OpenAPI, "3."):
		d.version = "OpenAPI " + printable(raw.OpenAPI)
		for _, s := range raw.Servers {
			d.addBase(s.URL)
		}
		for name, s := range raw.Components.SecuritySchemes {
			d.schemes[printable(name)] = s.read()
		}
	case raw.Swagger == "2.0":
		d.version = "Swagger 2.0"
		d.addBase(raw.BasePath)
		for name, s := range raw.SecurityDefinitions {
			d.schemes[printable(name)] = s.read()
		}
	default:
		return nil, errNotDescription
	}
	d.global = raw.Security.requirements()
	templates := make([]string, 0, len(raw.Paths))
	for t := range raw.Paths {
		templates = append(templates, t)
	}
	sort.Strings(templates)
	for _, t := range templates {
		item := raw.Paths[t]
		shown := printable(t)
		for _, m := range []struct {
			method string
			op     *rawOp
		}{{"GET", item.Get}, {"PUT", item.Put}, {"POST", item.Post}, {"DELETE", item.Delete},
			{"OPTIONS", item.Options}, {"HEAD", item.Head}, {"PATCH", item.Patch}, {"TRACE", item.Trace}} {
			if m.op == nil || len(d.ops) >= maxOps {
				continue
			}
			pat, literal, err := templatePattern(shown)
			if err != nil {
				continue
			}
			_, r401 := m.op.Responses["401"]
			_, r403 := m.op.Responses["403"]
			d.ops = append(d.ops, operation{method: m.method, template: shown, pattern: pat, literal: literal,
				security: m.op.Security.requirements(), refuses: r401 || r403})
		}
	}
	return d, nil
}

// requirements converts a security list as written; nil stays nil (no
// security given), an empty list stays an empty list (none needed).
func (s *rawSecurity) requirements() *[]requirement {
	if s == nil {
		return nil
	}
	out := []requirement{}
	for _, obj := range (*s)[:min(len(*s), maxListed)] {
		names := make([]string, 0, len(obj))
		for n := range obj {
			names = append(names, n)
		}
		sort.Strings(names)
		req := requirement{}
		for _, n := range names[:min(len(names), maxListed)] {
			scopes := make([]string, min(len(obj[n]), maxListed))
			for i := range scopes {
				scopes[i] = printable(obj[n][i])
			}
			req = append(req, schemeNeed{name: printable(n), scopes: scopes})
		}
		out = append(out, req)
	}
	return &out
}

// addBase records the path a server URL serves the API under ("/api/v3"
// of "https://example.com/api/v3"); variables ({basePath}) are dropped
// with what follows them.
func (d *apiDesc) addBase(raw string) {
	if i := strings.IndexByte(raw, '{'); i >= 0 {
		raw = raw[:i]
	}
	u, err := url.Parse(raw)
	if err != nil {
		return
	}
	base := strings.TrimSuffix(u.Path, "/")
	if base != "" && len(d.bases) < maxBases && !slices.Contains(d.bases, base) {
		d.bases = append(d.bases, base)
	}
}

// templatePattern compiles a path template ("/users/{id}/keys") to a
// pattern matching the paths it stands for, with or without a trailing
// slash, and counts its literal characters; a template no pattern can be
// compiled from is an error.
func templatePattern(t string) (*regexp.Regexp, int, error) {
	var b strings.Builder
	literal := 0
	b.WriteString("^")
	t = strings.TrimSuffix(t, "/")
	for t != "" {
		i := strings.IndexByte(t, '{')
		j := strings.IndexByte(t, '}')
		if i < 0 || j < i {
			b.WriteString(regexp.QuoteMeta(t))
			literal += len(t)
			break
		}
		b.WriteString(regexp.QuoteMeta(t[:i]))
		literal += i
		b.WriteString("[^/]+")
		t = t[j+1:]
	}
	b.WriteString("/?$")
	re, err := regexp.Compile(b.String())
	return re, literal, err
}

// match finds the operation a request's method and path call: the path
// as sent, or with one of the servers' base paths cut off; the most
// literal template wins ("/users/me" over "/users/{id}").
func (d *apiDesc) match(method, path string) *operation {
	paths := []string{path}
	for _, b := range d.bases {
		if rest, ok := strings.CutPrefix(path, b); ok && (rest == "" || rest[0] == '/') {
			paths = append(paths, rest)
		}
	}
	var best *operation
	for _, p := range paths {
		for i := range d.ops {
			op := &d.ops[i]
			if op.method == method && op.pattern.MatchString(p) && (best == nil || op.literal > best.literal) {
				best = op
			}
		}
	}
	return best
}

// needs is what the description requires of a call: the alternatives
// (any one satisfies it), and where they come from. An empty list means
// the call needs no credential — unless the operation documents a 401 or
// 403 answer (Airflow's description has security: [] for the whole API
// and leaves authentication to a configured backend): then nil, as when
// the description does not say. A description found by guessing that has
// no such operation may be another API's: it says nothing of the call.
func (d *apiDesc) needs(method, path string) (alts *[]requirement, where string) {
	op := d.match(method, path)
	if d.guessed && op == nil {
		return nil, ""
	}
	alts, where = d.stated(op, method)
	if alts != nil && len(*alts) == 0 && op != nil && op.refuses {
		return nil, ""
	}
	return alts, where
}

// stated is the security the description gives a call of method to op
// (nil: no operation matched), as written.
func (d *apiDesc) stated(op *operation, method string) (alts *[]requirement, where string) {
	switch {
	case op != nil && op.security != nil:
		return op.security, method + " " + op.template
	case op != nil && d.global != nil:
		return d.global, method + " " + op.template + " (the document's security)"
	case d.global != nil:
		return d.global, "the document's security"
	case op == nil && len(d.schemes) > 0:
		// No operation and no global requirement: any one of the schemes.
		names := make([]string, 0, len(d.schemes))
		for n := range d.schemes {
			names = append(names, n)
		}
		sort.Strings(names)
		all := make([]requirement, 0, len(names))
		for _, n := range names[:min(len(names), maxListed)] {
			all = append(all, requirement{{name: n}})
		}
		return &all, "the document's security schemes"
	}
	return nil, ""
}

// describe says in words where a scheme takes its credential:
// "the X-API-Key header", "Authorization: Bearer".
func (s secScheme) describe() string {
	switch s.kind {
	case "apiKey":
		switch s.in {
		case "query":
			return "the " + s.name + " query parameter"
		case "cookie":
			return "the " + s.name + " cookie"
		}
		if s.scheme != "" {
			return "Authorization: " + s.scheme + " <key>"
		}
		return "the " + s.name + " header"
	case "http":
		return "Authorization: " + schemeWord(s.scheme)
	case "oauth2", "openIdConnect":
		return "Authorization: Bearer (an OAuth access token)"
	}
	return s.kind
}

// maxShownRunes is the longest a description's string is kept.
const maxShownRunes = 200

// printable is s, a string of a description (which comes from the
// server), as a report may show it: invalid UTF-8 replaced, control and
// format characters (an escape sequence, a line break, a bidi override)
// left out, so that it cannot write to the user's terminal, and cut to
// maxShownRunes, so that it cannot flood the report.
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > maxShownRunes {
		s = string([]rune(s)[:maxShownRunes]) + "…"
	}
	return s
}

// schemeWord spells an HTTP authentication scheme as headers usually do:
// "bearer" as Bearer, "negotiate" as Negotiate.
func schemeWord(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
