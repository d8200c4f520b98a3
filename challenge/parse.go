package challenge

import (
	"errors"
	"fmt"
	"strings"
)

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("WWW-Authenticate syntax error")

// Parse parses one or more WWW-Authenticate field values (one per header
// line) into challenges, in order. Empty list elements are skipped, as
// RFC 9110 §5.6.1 requires of recipients.
func Parse(values ...string) ([]Challenge, error) {
	var out []Challenge
	for _, v := range values {
		p := parser{s: v}
		cs, err := p.challenges()
		if err != nil {
			return out, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

type parser struct {
	s   string
	pos int
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", ErrSyntax, p.pos, fmt.Sprintf(format, args...))
}

func (p *parser) eof() bool { return p.pos >= len(p.s) }

func (p *parser) skipOWS() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

// skipCommas skips OWS and empty list elements.
func (p *parser) skipCommas() {
	for {
		p.skipOWS()
		if p.pos < len(p.s) && p.s[p.pos] == ',' {
			p.pos++
			continue
		}
		return
	}
}

func (p *parser) token() string {
	start := p.pos
	for p.pos < len(p.s) && isTchar(p.s[p.pos]) {
		p.pos++
	}
	return p.s[start:p.pos]
}

func (p *parser) challenges() ([]Challenge, error) {
	var out []Challenge
	for {
		p.skipCommas()
		if p.eof() {
			return out, nil
		}
		scheme := p.token()
		if scheme == "" {
			return out, p.errorf("expected an auth-scheme, found %q", p.s[p.pos])
		}
		c := Challenge{Scheme: scheme}
		if p.eof() || p.s[p.pos] == ',' {
			out = append(out, c)
			continue
		}
		if p.s[p.pos] != ' ' {
			return out, p.errorf("expected a space after scheme %q", scheme)
		}
		p.skipOWS()
		if t, ok := p.token68(); ok {
			c.Token68 = t
			out = append(out, c)
			continue
		}
		if err := p.params(&c); err != nil {
			return out, err
		}
		out = append(out, c)
	}
}

// token68 consumes a token68 when one stands here, followed by the end of
// the value or a comma.
func (p *parser) token68() (string, bool) {
	i := p.pos
	for i < len(p.s) && isToken68Char(p.s[i]) {
		i++
	}
	if i == p.pos {
		return "", false
	}
	for i < len(p.s) && p.s[i] == '=' {
		i++
	}
	end := i
	for i < len(p.s) && (p.s[i] == ' ' || p.s[i] == '\t') {
		i++
	}
	if i < len(p.s) && p.s[i] != ',' {
		return "", false
	}
	t := p.s[p.pos:end]
	p.pos = i
	return t, true
}

// params reads auth-params until the value ends or a new challenge starts.
func (p *parser) params(c *Challenge) error {
	for {
		name := p.token()
		if name == "" {
			return p.errorf("expected a parameter name")
		}
		p.skipOWS()
		if p.eof() || p.s[p.pos] != '=' {
			return p.errorf("expected '=' after parameter %q", name)
		}
		p.pos++
		p.skipOWS()
		value, err := p.value()
		if err != nil {
			return err
		}
		lname := strings.ToLower(name)
		if _, dup := c.Get(lname); dup {
			return p.errorf("parameter %q repeated in one challenge", lname)
		}
		c.Params = append(c.Params, Param{Name: lname, Value: value})
		p.skipOWS()
		if p.eof() {
			return nil
		}
		if p.s[p.pos] != ',' {
			return p.errorf("expected ',' after parameter %q", name)
		}
		p.skipCommas()
		if p.eof() || !p.paramAhead() {
			return nil
		}
	}
}

// paramAhead reports whether a "name =" pair starts here (rather than the
// next challenge's scheme).
func (p *parser) paramAhead() bool {
	save := p.pos
	defer func() { p.pos = save }()
	if p.token() == "" {
		return false
	}
	p.skipOWS()
	return !p.eof() && p.s[p.pos] == '='
}

func (p *parser) value() (string, error) {
	if p.eof() {
		return "", p.errorf("missing parameter value")
	}
	if p.s[p.pos] != '"' {
		v := p.token()
		if v == "" {
			return "", p.errorf("expected a token or quoted-string")
		}
		return v, nil
	}
	p.pos++
	var b strings.Builder
	for p.pos < len(p.s) {
		ch := p.s[p.pos]
		switch {
		case ch == '"':
			p.pos++
			return b.String(), nil
		case ch == '\\':
			if p.pos+1 >= len(p.s) {
				return "", p.errorf("unfinished escape in quoted-string")
			}
			if e := p.s[p.pos+1]; e < 0x20 && e != '\t' || e == 0x7f {
				return "", p.errorf("control character in quoted-string")
			}
			b.WriteByte(p.s[p.pos+1])
			p.pos += 2
		case ch < 0x20 && ch != '\t' || ch == 0x7f:
			return "", p.errorf("control character in quoted-string")
		default:
			b.WriteByte(ch)
			p.pos++
		}
	}
	return "", p.errorf("unterminated quoted-string")
}
