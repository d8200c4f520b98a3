// Package policy decides which route a request belongs to and what that
// route demands: public or authenticated, which schemes, which scopes. It
// also defines the canonical form of a request path that routes match.
package policy

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/authgate/authgate/reason"
)

// Pattern is a compiled route path: literal segments, "{name}" for any one
// segment, and a final "*" for the subtree (the prefix itself included).
type Pattern struct {
	segments []string // "" stands for a {name} wildcard
	subtree  bool
	source   string
}

// CompilePattern parses a route path.
func CompilePattern(p string) (*Pattern, error) {
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("path %q must start with /", p)
	}
	pat := &Pattern{source: p}
	body := p[1:]
	if body == "*" {
		pat.subtree = true
		return pat, nil
	}
	if strings.HasSuffix(body, "/*") {
		pat.subtree = true
		body = strings.TrimSuffix(body, "/*")
	}
	if body == "" {
		return pat, nil
	}
	for _, seg := range strings.Split(body, "/") {
		switch {
		case seg == "" || seg == "." || seg == "..":
			return nil, fmt.Errorf("path %q has an empty or dot segment", p)
		case strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") && len(seg) > 2:
			pat.segments = append(pat.segments, "")
		case strings.ContainsAny(seg, "{}*%\\"):
			return nil, fmt.Errorf("path %q: segment %q: '*' only ends a path, {name} fills a whole segment, no %% escapes", p, seg)
		default:
			pat.segments = append(pat.segments, seg)
		}
	}
	return pat, nil
}

// String returns the pattern as written.
func (p *Pattern) String() string { return p.source }

// Match reports whether the canonical path matches.
func (p *Pattern) Match(path string) bool {
	var segs []string
	if path != "/" {
		segs = strings.Split(path[1:], "/")
	}
	if len(segs) < len(p.segments) || !p.subtree && len(segs) != len(p.segments) {
		return false
	}
	for i, want := range p.segments {
		if segs[i] == "" || want != "" && want != segs[i] {
			return false
		}
	}
	return true
}

// Canonical checks that rawPath (the request target's path, still
// percent-encoded) is canonical and returns it decoded. Anything a proxy
// or upstream could read differently from authgate is refused rather than
// rewritten: dot segments (also encoded), doubled slashes, encoded "/" or
// "\", backslashes, NUL and other controls, invalid escapes or UTF-8.
// The upstream then sees exactly the path that was matched.
func Canonical(rawPath string) (string, error) {
	if !strings.HasPrefix(rawPath, "/") {
		return "", reason.New(reason.PathMalformed, "the path does not start with /")
	}
	path := rawPath
	if strings.IndexByte(rawPath, '%') >= 0 {
		var err error
		if path, err = unescape(rawPath); err != nil {
			return "", err
		}
	}
	for i := 0; i < len(path); i++ {
		switch c := path[i]; {
		case c < 0x20 || c == 0x7f:
			return "", reason.New(reason.PathMalformed, "control character (NUL, CR, LF, ...) in the path")
		case c == '\\':
			return "", reason.New(reason.PathMalformed, "backslash in the path")
		case c == ';':
			return "", reason.New(reason.PathMalformed, "';' in the path: some servers cut ';...' path parameters and would serve another path")
		}
	}
	if !utf8.ValidString(path) {
		return "", reason.New(reason.PathMalformed, "the path is not valid UTF-8 (overlong or broken sequence)")
	}
	for rest, more := path[1:], true; more; {
		var seg string
		seg, rest, more = strings.Cut(rest, "/")
		if seg == "." || seg == ".." {
			return "", reason.New(reason.PathMalformed, "dot segment ('%s') in the path", seg)
		}
	}
	if strings.Contains(path, "//") {
		return "", reason.New(reason.PathMalformed, "empty segment ('//') in the path")
	}
	return path, nil
}

// unescape decodes rawPath's percent-escapes, refusing invalid ones and
// an encoded "/" or "\\" (which would change the path's segments).
func unescape(rawPath string) (string, error) {
	var b strings.Builder
	b.Grow(len(rawPath))
	for i := 0; i < len(rawPath); i++ {
		c := rawPath[i]
		if c == '%' {
			if i+2 >= len(rawPath) || unhex(rawPath[i+1]) < 0 || unhex(rawPath[i+2]) < 0 {
				return "", reason.New(reason.PathMalformed, "invalid percent-escape at byte %d", i)
			}
			c = byte(unhex(rawPath[i+1])<<4 | unhex(rawPath[i+2]))
			if c == '/' || c == '\\' {
				return "", reason.New(reason.PathMalformed, "encoded slash or backslash (%%%s) at byte %d", rawPath[i+1:i+3], i)
			}
			i += 2
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// Covers reports whether every path q matches, p matches too.
func (p *Pattern) Covers(q *Pattern) bool {
	if p.subtree {
		if len(p.segments) > len(q.segments) {
			return false
		}
	} else if q.subtree || len(p.segments) != len(q.segments) {
		return false
	}
	for i, seg := range p.segments {
		// {name} covers any segment; a literal only the same literal.
		if seg != "" && seg != q.segments[i] {
			return false
		}
	}
	return true
}
