package doctor

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// sentSecrets are the secret parts of what req sends: the credential of
// an Authorization line (and, for Basic, its password), the value of a
// header or query parameter whose name says key, token, secret,
// signature, password or session. Values shorter than 12 characters or
// that look like placeholders are left out: they are not secrets a report
// could leak. public are the Basic user names, which a report may show.
func sentSecrets(req *Request) (out, public []string) {
	keep := func(v string) {
		v = strings.Trim(strings.TrimSpace(v), `"'<>`)
		if len(v) >= 12 && !strings.ContainsAny(v, "${}") && !strings.Contains(strings.ToUpper(v), "YOUR") {
			out = append(out, v)
		}
	}
	secretName := func(name string) bool {
		name = strings.ToLower(name)
		for _, w := range []string{"key", "token", "secret", "signature", "password", "session", "auth"} {
			if strings.Contains(name, w) {
				return true
			}
		}
		return false
	}
	for _, h := range req.Headers {
		switch {
		case strings.EqualFold(h.Name, "Authorization") || strings.EqualFold(h.Name, "Proxy-Authorization"):
			scheme, cred, found := strings.Cut(strings.TrimSpace(h.Value), " ")
			if !found {
				keep(scheme)
				continue
			}
			keep(cred)
			if strings.EqualFold(scheme, "Basic") {
				if raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred)); err == nil {
					user, pass, _ := strings.Cut(string(raw), ":")
					keep(pass)
					public = append(public, user)
				}
			}
		case secretName(h.Name):
			keep(h.Value)
		}
	}
	if u, err := url.Parse(req.URL); err == nil {
		for name, values := range u.Query() {
			if secretName(name) {
				for _, v := range values {
					keep(v)
				}
			}
		}
		if pass, ok := u.User.Password(); ok {
			keep(pass)
		}
	}
	return out, public
}

// leakedSecret is the first secret of secrets that the report shows,
// whole or as 16 characters in a row that are not also part of a public
// string, in its text or its JSON; "" if none.
func leakedSecret(rep *Report, secrets, public []string) string {
	var b strings.Builder
	rep.WriteText(&b, true)
	js, _ := json.Marshal(rep)
	shown := b.String() + string(js)
	for _, s := range secrets {
		if len(s) < 16 {
			if strings.Contains(shown, s) {
				return s
			}
			continue
		}
		for i := 0; i+16 <= len(s); i++ {
			if w := s[i : i+16]; strings.Contains(shown, w) && !slices.ContainsFunc(public, func(p string) bool { return strings.Contains(p, w) }) {
				return s
			}
		}
	}
	return ""
}

func TestShownURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://api.example.com/v1/x":                                    "https://api.example.com/v1/x",
		"https://api.example.com/v1/x?q=1&key=AIzaSyD-9tSrke72Pou&page=2": "https://api.example.com/v1/x?q=1&key=AIza%E2%80%A6&page=2",
		"https://h/x?apiKey=abc":                                          "https://h/x?apiKey=abc",
		"https://h/x?access_token=%3CAIzaSyD%3E#frag":                     "https://h/x?access_token=%3CAIz%E2%80%A6#frag",
		"https://h/x?signature=c8db56825ae71d6d&timestamp=1":              "https://h/x?signature=c8db%E2%80%A6&timestamp=1",
		"https://h/x?next_page_token=abcdefabcdef":                        "https://h/x?next_page_token=abcdefabcdef",
		"https://user:s3cr3tpassw0rd@h/x":                                 "https://user:s3cr%E2%80%A6@h/x",
		"https://user:s3cr3tpassw0rd@h":                                   "https://user:s3cr%E2%80%A6@h",
		"https://user@h/x?k=v":                                            "https://user@h/x?k=v",
	} {
		if got := shownURL(raw); got != want {
			t.Errorf("shownURL(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestCommandURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://api.example.com/v1/x":                     "https://api.example.com/v1/x",
		"https://h/x?q=a b&key=AIzaSyD-9tSrke72Pou&page=2": `"https://h/x?q=a b&key=${API_KEY}&page=2"`,
		"https://h/x?q=$HOME&token=abcdefabcdef":           `"https://h/x?q=\$HOME&token=${API_KEY}"`,
		`https://user:s3cr3tpassw0rd@h/x?a="`:              `"https://user:${PASSWORD}@h/x?a=\""`,
		"https://h/x?next_page_token=abcdefabcdef&x='y'":   `'https://h/x?next_page_token=abcdefabcdef&x='\''y'\'''`,
	} {
		if got := commandURL(raw); got != want {
			t.Errorf("commandURL(%q) = %s, want %s", raw, got, want)
		}
	}
}

// TestUnreachedErrorShowsNoSecret: when the server cannot be reached, the
// error names the URL without the key in its query or its password.
func TestUnreachedErrorShowsNoSecret(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	req, err := ParseCurl("curl 'http://user:PASSWORDPASSWORD42@"+addr+"/x?q=1&api_key=SECRETSECRETSECRET123' -H 'X-Custom-Token: TOKENTOKENTOKEN456'", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), req, Options{Timeout: 2 * time.Second})
	if err == nil {
		t.Fatal("no error from an address nothing listens on")
	}
	for _, secret := range []string{"SECRETSECRET", "PASSWORDPASS", "TOKENTOKEN"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows %s…: %v", secret, err)
		}
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("the error no longer names the address: %v", err)
	}
}
