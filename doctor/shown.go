package doctor

import (
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// shownURL is raw as a report shows it: the value of every query
// parameter that may carry a secret (secretName) and the password
// of the userinfo cut to their first 4 characters, the rest of the URL
// byte for byte. A report never holds a credential the user sent in a
// URL, nor one a server put in a redirect's Location.
func shownURL(raw string) string {
	return maskURL(raw, func(v string) string { return url.QueryEscape(cut4(v)) },
		func(p string) string { return url.PathEscape(cut4(p)) })
}

// commandURL is raw for a command line the user runs: a credential in
// its query becomes ${API_KEY} and the userinfo's password ${PASSWORD},
// which the user sets, and the URL is quoted for a POSIX shell.
func commandURL(raw string) string {
	const key, password = "\x00key\x00", "\x00password\x00"
	masked := maskURL(raw, func(string) string { return key }, func(string) string { return password })
	if masked == raw {
		return shellQuote(raw)
	}
	quoted := inDoubleQuotes.Replace(masked)
	return `"` + strings.NewReplacer(key, "${API_KEY}", password, "${PASSWORD}").Replace(quoted) + `"`
}

// inDoubleQuotes escapes what a POSIX shell would still read inside
// double quotes: a backslash, a quote, a backquote and a dollar sign.
var inDoubleQuotes = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", "$", `\$`)

// maskURL is raw with the value of every query parameter that may carry
// a secret (secretName) replaced by query(its value, unescaped) and the userinfo's
// password by password(it, unescaped); the rest byte for byte.
func maskURL(raw string, query, password func(string) string) string {
	base, q, hasQuery := strings.Cut(raw, "?")
	if scheme, rest, ok := strings.Cut(base, "://"); ok {
		authority, path, hasPath := strings.Cut(rest, "/")
		if at := strings.LastIndexByte(authority, '@'); at >= 0 {
			if user, pass, ok := strings.Cut(authority[:at], ":"); ok {
				if p, err := url.PathUnescape(pass); err == nil {
					pass = p
				}
				base = scheme + "://" + user + ":" + password(pass) + authority[at:]
				if hasPath {
					base += "/" + path
				}
			}
		}
	}
	if !hasQuery {
		return base
	}
	q, fragment, hasFragment := strings.Cut(q, "#")
	pairs := strings.Split(q, "&")
	for i, p := range pairs {
		name, value, ok := strings.Cut(p, "=")
		if n, err := url.QueryUnescape(name); ok && err == nil && secretName(n) {
			if v, err := url.QueryUnescape(value); err == nil {
				value = v
			}
			pairs[i] = name + "=" + query(value)
		}
	}
	masked := base + "?" + strings.Join(pairs, "&")
	if hasFragment {
		masked += "#" + fragment
	}
	return masked
}

// cut4 is s's first 4 characters and an ellipsis when it is longer.
func cut4(s string) string {
	if utf8.RuneCountInString(s) <= 4 {
		return s
	}
	return string([]rune(s)[:4]) + "…"
}

// secretName reports whether a header or query parameter named name may
// carry a secret, which a report never shows: a credential the doctor
// reads (isCredentialHeader, credentialParam), or a name that says
// secret, password, signature, auth, session, token or key (not a cursor's
// or a CSRF token's, notCredentialParams). It is wider
// than what the doctor diagnoses as a credential; a value masked for
// nothing costs only its last characters.
func secretName(name string) bool {
	n := strings.ToLower(name)
	switch {
	case credentialParam(name):
		return true
	case slices.ContainsFunc(notCredentialParams, func(w string) bool { return strings.Contains(n, w) }):
		return false // a page or sync cursor, an idempotency or CSRF token
	case isCredentialHeader(name):
		return true
	}
	for _, w := range []string{"secret", "passw", "signature", "auth", "session", "token", "apikey", "api_key", "api-key", "access_key", "private"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}
