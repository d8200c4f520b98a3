package doctor

import (
	"errors"
	"strings"
)

// Word is one shell word after quoting is removed and variables are
// expanded, as a POSIX shell would pass it to a command.
type Word struct {
	Text string
	// Unrun lists command substitutions ($(...) or `...`) the shell would
	// have run; the doctor runs nothing and leaves their text in place.
	Unrun []string
	// Unset lists variables that were expanded to nothing.
	Unset []string
}

// errUnterminated is returned for a quote or substitution left open.
var errUnterminated = errors.New("unterminated quote or substitution")

// SplitShell splits a command line as a POSIX shell would: single quotes
// keep everything literal (a $(...) inside is sent as text), double quotes
// expand $VAR and ${VAR} through lookup, backslashes escape, and a
// backslash-newline continues the line. It stops at an unquoted |, ;, &,
// < or > (the rest is another command or a redirection).
func SplitShell(s string, lookup func(string) (string, bool)) ([]Word, error) {
	var (
		words []Word
		cur   Word
		buf   strings.Builder
		in    bool // inside a word
	)
	flush := func() {
		if in {
			cur.Text = buf.String()
			words = append(words, cur)
		}
		cur, in = Word{}, false
		buf.Reset()
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == '\n':
			i++
		case c == '\\' && i+1 < len(s) && s[i+1] == '\r' && i+2 < len(s) && s[i+2] == '\n':
			i += 2
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			flush()
		case c == '#' && !in:
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case strings.IndexByte("|;&<>", c) >= 0:
			flush()
			return words, nil
		case c == '\\':
			in = true
			if i+1 < len(s) {
				i++
				buf.WriteByte(s[i])
			}
		case c == '\'':
			in = true
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, errUnterminated
			}
			buf.WriteString(s[i+1 : i+1+end])
			i += end + 1
		case c == '"':
			in = true
			j, err := doubleQuoted(s, i+1, &buf, &cur, lookup)
			if err != nil {
				return nil, err
			}
			i = j
		case c == '$' || c == '`':
			in = true
			j, err := dollar(s, i, &buf, &cur, lookup)
			if err != nil {
				return nil, err
			}
			i = j
		default:
			in = true
			buf.WriteByte(c)
		}
	}
	flush()
	return words, nil
}

// doubleQuoted reads from s[i] to the closing quote; it returns the index
// of that quote.
func doubleQuoted(s string, i int, buf *strings.Builder, w *Word, lookup func(string) (string, bool)) (int, error) {
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return i, nil
		case c == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0:
			if s[i+1] != '\n' {
				buf.WriteByte(s[i+1])
			}
			i++
		case c == '$' || c == '`':
			j, err := dollar(s, i, buf, w, lookup)
			if err != nil {
				return 0, err
			}
			i = j
		default:
			buf.WriteByte(c)
		}
	}
	return 0, errUnterminated
}

// dollar handles $NAME, ${NAME}, $(...) and `...` at s[i]; it returns the
// index of the construct's last byte.
func dollar(s string, i int, buf *strings.Builder, w *Word, lookup func(string) (string, bool)) (int, error) {
	if s[i] == '`' {
		end := strings.IndexByte(s[i+1:], '`')
		if end < 0 {
			return 0, errUnterminated
		}
		text := s[i : i+end+2]
		w.Unrun = append(w.Unrun, text)
		buf.WriteString(text)
		return i + end + 1, nil
	}
	if i+1 >= len(s) {
		buf.WriteByte('$')
		return i, nil
	}
	switch next := s[i+1]; {
	case next == '(':
		depth, j := 0, i+1
		for ; j < len(s); j++ {
			switch s[j] {
			case '(':
				depth++
			case ')':
				depth--
			case '\'':
				if k := strings.IndexByte(s[j+1:], '\''); k >= 0 {
					j += k + 1
				}
			}
			if depth == 0 {
				break
			}
		}
		if j >= len(s) {
			return 0, errUnterminated
		}
		text := s[i : j+1]
		w.Unrun = append(w.Unrun, text)
		buf.WriteString(text)
		return j, nil
	case next == '{':
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return 0, errUnterminated
		}
		expr := s[i+2 : i+2+end]
		name, def, hasDef := strings.Cut(expr, ":-")
		v, ok := lookup(name)
		switch {
		case ok && v != "":
			buf.WriteString(v)
		case hasDef:
			buf.WriteString(def)
		default:
			w.Unset = append(w.Unset, name)
		}
		return i + 2 + end, nil
	case next == '_' || 'a' <= next && next <= 'z' || 'A' <= next && next <= 'Z':
		j := i + 1
		for j < len(s) && (s[j] == '_' || 'a' <= s[j] && s[j] <= 'z' || 'A' <= s[j] && s[j] <= 'Z' || '0' <= s[j] && s[j] <= '9') {
			j++
		}
		name := s[i+1 : j]
		if v, ok := lookup(name); ok && v != "" {
			buf.WriteString(v)
		} else {
			w.Unset = append(w.Unset, name)
		}
		return j - 1, nil
	}
	buf.WriteByte('$')
	return i, nil
}
