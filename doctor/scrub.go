package doctor

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
)

// minEcho is the shortest run of a secret's characters a report may not
// show: a server that echoes part of the credential sent ("invalid key
// AIzaSyD-9tSr…") is quoted without it.
const minEcho = 12

// secretsSent are the secrets req carries, as sent: the credential of an
// Authorization line (and a Basic pair's base64 and password), the value
// of every header (a DPoP proof's too) and of every query, form or JSON
// body field whose name may carry one (secretName), the URL's user info
// and a path segment that carries a credential. Values shorter than minEcho are left out.
func secretsSent(req *Request) []string {
	var out []string
	keep := func(v string) {
		if v = strings.TrimSpace(v); len(v) >= minEcho {
			out = append(out, v)
		}
	}
	for _, h := range req.Headers {
		if !secretName(h.Name) && !strings.EqualFold(h.Name, "DPoP") {
			continue
		}
		scheme, cred, found := strings.Cut(strings.TrimSpace(h.Value), " ")
		if !found || !(strings.EqualFold(h.Name, "Authorization") || strings.EqualFold(h.Name, "Proxy-Authorization")) {
			keep(h.Value)
			continue
		}
		keep(cred)
		if strings.EqualFold(scheme, "Basic") {
			if raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred)); err == nil {
				_, pass, _ := strings.Cut(string(raw), ":")
				keep(pass)
			}
		}
	}
	params := func(q url.Values) {
		for name, values := range q {
			if secretName(name) {
				for _, v := range values {
					keep(v)
				}
			}
		}
	}
	if u, err := url.Parse(req.URL); err == nil {
		params(u.Query())
		if u.User != nil {
			keep(u.User.Username()) // a token as the user name
		}
		if pass, ok := u.User.Password(); ok {
			keep(pass)
		}
		for _, seg := range strings.Split(u.Path, "/") {
			if seg != "" && credentialSegment(seg) {
				keep(seg)
			}
		}
	}
	var fields map[string]any
	if json.Unmarshal([]byte(req.Body), &fields) == nil {
		for name, v := range fields {
			if s, ok := v.(string); ok && secretName(name) {
				keep(s)
			}
		}
	} else if form, err := url.ParseQuery(req.Body); err == nil {
		params(form)
	}
	return out
}

// scrub cuts every run of at least minEcho characters of a secret out of
// the report's words (titles, evidence, fixes, commands, notes, the
// server's statements, the URLs), leaving its first 4 characters: the
// findings say which credential without showing it.
func scrub(rep *Report, secrets []string) {
	if len(secrets) == 0 {
		return
	}
	clean := func(s *string) {
		for _, secret := range secrets {
			*s = withoutEcho(*s, secret)
		}
	}
	clean(&rep.URL)
	clean(&rep.APIDescription)
	for i := range rep.Hops {
		clean(&rep.Hops[i].URL)
		clean(&rep.Hops[i].Location)
	}
	for i := range rep.Findings {
		f := &rep.Findings[i]
		clean(&f.Title)
		clean(&f.Fix)
		clean(&f.Command)
		for j := range f.Evidence {
			clean(&f.Evidence[j])
		}
	}
	for i := range rep.Notes {
		clean(&rep.Notes[i])
	}
	if says := rep.ServerSays; says != nil {
		clean(&says.Code)
		clean(&says.Message)
		clean(&says.URI)
		for i := range says.Statements {
			clean(&says.Statements[i].Text)
		}
	}
}

// withoutEcho is s with every run of at least minEcho characters of
// secret, as long as it goes on, cut to its first 4.
func withoutEcho(s, secret string) string {
	for i := 0; i+minEcho <= len(secret); i++ {
		for {
			at := strings.Index(s, secret[i:i+minEcho])
			if at < 0 {
				break
			}
			start, end := at, at+minEcho
			for k := i + minEcho; end < len(s) && k < len(secret) && s[end] == secret[k]; k++ {
				end++
			}
			for k := i; start > 0 && k > 0 && s[start-1] == secret[k-1]; k-- {
				start--
			}
			s = s[:start] + cut4(s[start:end]) + s[end:]
		}
	}
	return s
}

// maskedError is an error whose text has the request's secrets cut out
// (masked); Unwrap gives the error itself.
type maskedError struct {
	err  error
	text string
}

func (e *maskedError) Error() string { return e.text }
func (e *maskedError) Unwrap() error { return e.err }

// masked is err as the doctor returns it: the URL of a *url.Error (the
// client's "Get \"https://…?key=…\": connection refused") shown as a
// report shows URLs, and every run of a secret cut out of its text.
func masked(err error, secrets []string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = shownURL(ue.URL)
	}
	text := err.Error()
	for _, secret := range secrets {
		text = withoutEcho(text, secret)
	}
	return &maskedError{err: err, text: text}
}
