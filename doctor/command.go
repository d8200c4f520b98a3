package doctor

import (
	"encoding/base64"
	"strings"
)

// command renders the request as a curl command after change, with extra
// options appended. Credentials never appear: a credential header's value
// becomes a shell variable ($TOKEN, $API_KEY) the user sets, and so does
// one in the URL (commandURL).
func (o *offline) command(change func(*Request), extra ...string) string {
	r := *o.req
	r.Headers = append([]Header(nil), o.req.Headers...)
	if change != nil {
		change(&r)
	}
	parts := []string{"curl"}
	if r.Method != "GET" && !(r.Method == "POST" && r.Body != "") {
		parts = append(parts, "-X", r.Method)
	}
	parts = append(parts, commandURL(r.URL))
	for _, h := range r.Headers {
		switch {
		case strings.EqualFold(h.Name, "Authorization"):
			scheme, _, _ := strings.Cut(h.Value, " ")
			parts = append(parts, "-H", `"Authorization: `+inDoubleQuotes.Replace(scheme)+` $TOKEN"`)
		case secretName(h.Name):
			parts = append(parts, "-H", `"`+inDoubleQuotes.Replace(h.Name)+`: $API_KEY"`)
		default:
			parts = append(parts, "-H", shellQuote(h.Name+": "+h.Value))
		}
	}
	if r.Body != "" {
		parts = append(parts, "--data", shellQuote(r.Body))
	}
	return strings.Join(append(parts, extra...), " ")
}

// withBasicFlag is the command with Authorization replaced by curl -u,
// keeping the user name and hiding the password.
func (o *offline) withBasicFlag() string {
	user := "<user>"
	for _, h := range o.req.Get("Authorization") {
		scheme, value, _ := strings.Cut(h.Value, " ")
		if !strings.EqualFold(scheme, "Basic") {
			continue
		}
		clean := strings.NewReplacer("\n", "", "\r", "").Replace(value)
		if raw, err := base64.StdEncoding.DecodeString(clean); err == nil {
			if u, _, ok := strings.Cut(string(raw), ":"); ok && u != "" {
				user = u
			}
		}
	}
	return o.command(func(r *Request) { r.removeHeader("Authorization") }, "-u "+shellQuote(user+":<password>"))
}

// shellQuote quotes s for a POSIX shell, in single quotes when needed.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r == '/' || r == ':' || r == '=' || r == ',' || r == '@' ||
			'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
