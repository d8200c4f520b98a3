package challenge

import (
	"regexp"
	"strings"
)

// lenientItem is one scheme, token68 or name=value of a header value that
// bends the grammar: values unquoted with any character but space and
// comma, quoted values with escapes, commas optional.
var lenientItem = regexp.MustCompile(`([!#$%&'*+.^_` + "`" + `|~0-9A-Za-z-]+)(?:[ \t]*=[ \t]*("(?:[^"\\]|\\.)*"?|[^\s,]*))?`)

// ParseLenient reads challenges the way lenient clients do when a server
// bends RFC 9110: parameters without commas between them, unquoted values
// holding '/' or ':', a bare scheme among others, a stray comma. A word
// with no '=' starts a new challenge; name=value pairs belong to the last
// one. It never fails; at most 32 challenges of 32 parameters are kept,
// and values are cut at 1024 bytes.
func ParseLenient(values ...string) []Challenge {
	var out []Challenge
	for _, v := range values {
		for _, m := range lenientItem.FindAllStringSubmatchIndex(v, -1) {
			name := v[m[2]:m[3]]
			if m[4] < 0 { // no '=': a scheme
				if len(out) == 32 {
					return out
				}
				out = append(out, Challenge{Scheme: name})
				continue
			}
			value := v[m[4]:m[5]]
			if n := len(out); n > 0 && len(out[n-1].Params) == 0 && out[n-1].Token68 == "" && strings.Trim(value, "=") == "" {
				// "abc==" right after the scheme is a token68, not abc="="
				out[n-1].Token68 = strings.TrimRight(v[m[2]:m[5]], " \t")
				out[n-1].Token68 = strings.ReplaceAll(out[n-1].Token68, " ", "")
				continue
			}
			if strings.HasPrefix(value, `"`) {
				value = unquoteLenient(value)
			}
			if len(value) > 1024 {
				value = value[:1024]
			}
			if len(out) == 0 {
				continue // a parameter before any scheme
			}
			c := &out[len(out)-1]
			if len(c.Params) < 32 {
				c.Params = append(c.Params, Param{Name: strings.ToLower(name), Value: value})
			}
		}
	}
	return out
}

// unquoteLenient removes the quotes and backslash escapes of a
// quoted-string, tolerating a missing closing quote.
func unquoteLenient(s string) string {
	s = strings.TrimPrefix(s, `"`)
	if strings.HasSuffix(s, `"`) && !strings.HasSuffix(s, `\"`) {
		s = s[:len(s)-1]
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
