// Package challenge builds and parses WWW-Authenticate header values
// following the grammar of RFC 9110 §11: several challenges per header or
// several header lines, token68 or auth-params, quoted-string escapes, and
// case-insensitive scheme and parameter names.
package challenge

import (
	"strings"
)

// Param is one auth-param. Name is lower-case after parsing.
type Param struct {
	Name  string
	Value string
}

// Challenge is one auth-scheme with either a token68 or parameters.
type Challenge struct {
	Scheme  string
	Token68 string
	Params  []Param
}

// Get returns the value of the parameter name (case-insensitive) and
// whether it is present.
func (c Challenge) Get(name string) (string, bool) {
	for _, p := range c.Params {
		if strings.EqualFold(p.Name, name) {
			return p.Value, true
		}
	}
	return "", false
}

// String renders the challenge. Parameter values are always sent as
// quoted-strings, with '"' and '\' escaped.
func (c Challenge) String() string {
	var b strings.Builder
	b.WriteString(c.Scheme)
	if c.Token68 != "" {
		b.WriteByte(' ')
		b.WriteString(c.Token68)
		return b.String()
	}
	for i, p := range c.Params {
		if i == 0 {
			b.WriteByte(' ')
		} else {
			b.WriteString(", ")
		}
		b.WriteString(p.Name)
		b.WriteString(`="`)
		for j := 0; j < len(p.Value); j++ {
			ch := p.Value[j]
			if ch == '"' || ch == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(ch)
		}
		b.WriteByte('"')
	}
	return b.String()
}

// IsToken reports whether s is an RFC 9110 token (1*tchar).
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTchar(s[i]) {
			return false
		}
	}
	return true
}

// IsToken68 reports whether s matches token68 = 1*( ALPHA / DIGIT /
// "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func IsToken68(s string) bool {
	i := 0
	for i < len(s) && isToken68Char(s[i]) {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	return i == len(s)
}

func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func isToken68Char(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~+/", c) >= 0
}
