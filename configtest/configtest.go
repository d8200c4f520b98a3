// Package configtest runs `authgate config test`: a file of requests and
// the decisions they must get, checked through the same engine as the
// admin API's explain, with no server listening and no side effects.
// Operators put it in their CI to prove a configuration change allows and
// denies what they mean.
package configtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/internal/strictyaml"
)

// DefaultTyp is the typ header of a minted token unless the case says
// otherwise, as `authgate jwt mint` does (RFC 9068 access tokens).
const DefaultTyp = "at+jwt"

// File is a CASES.yaml.
type File struct {
	Credentials map[string]Credential `yaml:"credentials"`
	Cases       []Case                `yaml:"cases"`
}

// Credential is a named credential: a literal header, or a token minted
// for the test.
type Credential struct {
	// Header is "Name: value" (e.g. "Authorization: Bearer ...", "X-API-Key: ...").
	Header string `yaml:"header"`
	Mint   *Mint  `yaml:"mint"`
}

// Mint signs a token: with an HMAC secret or a PEM private key.
type Mint struct {
	Alg        string `yaml:"alg"`
	SecretFile string `yaml:"secret_file"`
	KeyFile    string `yaml:"key_file"`
	Kid        string `yaml:"kid"`
	// Typ is the typ header: DefaultTyp when absent, none when "".
	Typ    *string        `yaml:"typ"`
	TTL    time.Duration  `yaml:"ttl"`
	Claims map[string]any `yaml:"claims"`
}

// Case is one request and the decision it must get.
type Case struct {
	Name    string `yaml:"name"`
	Request struct {
		Method string `yaml:"method"`
		Path   string `yaml:"path"`
		// Host is the request's host, for routes with hosts.
		Host       string            `yaml:"host"`
		Credential string            `yaml:"credential"`
		Headers    map[string]string `yaml:"headers"`
	} `yaml:"request"`
	Expect struct {
		Status  int      `yaml:"status"`
		Reason  *string  `yaml:"reason"`
		Subject *string  `yaml:"subject"`
		Scopes  []string `yaml:"scopes"`
		Route   string   `yaml:"route"`
	} `yaml:"expect"`
}

// Result is the outcome of one case.
type Result struct {
	Name string
	Diff []string // empty when the case passed
}

// Load reads and checks a cases file the way the configuration is read:
// an unknown key, a wrong type or an unset ${VAR} is an error at
// file:line: key. Relative key files are relative to it.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f File
	at, err := strictyaml.Decode(path, data, os.LookupEnv, &f)
	if err != nil {
		return nil, err
	}
	if len(f.Cases) == 0 {
		return nil, at("cases", "no cases")
	}
	dir := filepath.Dir(path)
	for name, c := range f.Credentials {
		if (c.Header == "") == (c.Mint == nil) {
			return nil, at("credentials."+name, "give header or mint")
		}
		if m := c.Mint; m != nil {
			for _, p := range []*string{&m.SecretFile, &m.KeyFile} {
				if *p != "" && !filepath.IsAbs(*p) {
					*p = filepath.Join(dir, *p)
				}
			}
		}
	}
	for i, c := range f.Cases {
		if c.Name == "" || c.Request.Path == "" || c.Expect.Status == 0 {
			return nil, at(fmt.Sprintf("cases[%d]", i), "name, request.path and expect.status are required")
		}
		if cr := c.Request.Credential; cr != "" {
			if _, ok := f.Credentials[cr]; !ok {
				return nil, at(fmt.Sprintf("cases[%d].request.credential", i), "no credential named %q", cr)
			}
		}
	}
	return &f, nil
}

// Explainer judges a request without side effects: a gateway in this
// process, or a running one's admin API (package client).
type Explainer interface {
	Explain(ctx context.Context, in api.ExplainRequest) (*api.Explanation, error)
}

// Run checks every case against g.
func Run(ctx context.Context, g Explainer, f *File) ([]Result, error) {
	headers := map[string][2]string{}
	for name, c := range f.Credentials {
		h, err := c.header()
		if err != nil {
			return nil, fmt.Errorf("credential %s: %w", name, err)
		}
		headers[name] = h
	}
	var out []Result
	for _, c := range f.Cases {
		in := api.ExplainRequest{Method: c.Request.Method, Path: c.Request.Path, Host: c.Request.Host, Headers: map[string]string{}}
		for k, v := range c.Request.Headers {
			in.Headers[k] = v
		}
		if c.Request.Credential != "" {
			h := headers[c.Request.Credential]
			in.Headers[h[0]] = h[1]
		}
		e, err := g.Explain(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("case %q: %w", c.Name, err)
		}
		out = append(out, Result{Name: c.Name, Diff: compare(c, e)})
	}
	return out, nil
}

func compare(c Case, e *api.Explanation) []string {
	var diff []string
	mismatch := func(what string, want, got any) {
		diff = append(diff, fmt.Sprintf("%s: want %v, got %v", what, want, got))
	}
	if e.Status != c.Expect.Status {
		mismatch("status", c.Expect.Status, fmt.Sprintf("%d (%s: %s)", e.Status, orNone(e.Reason), e.Detail))
	}
	if c.Expect.Reason != nil && *c.Expect.Reason != e.Reason {
		mismatch("reason", orNone(*c.Expect.Reason), orNone(e.Reason))
	}
	if c.Expect.Route != "" && c.Expect.Route != e.Route {
		mismatch("route", c.Expect.Route, orNone(e.Route))
	}
	subject, scopes := "", []string(nil)
	if e.Identity != nil {
		subject, scopes = e.Identity.Subject, e.Identity.Scopes
	}
	if c.Expect.Subject != nil && *c.Expect.Subject != subject {
		mismatch("subject", orNone(*c.Expect.Subject), orNone(subject))
	}
	for _, s := range c.Expect.Scopes {
		if !slices.Contains(scopes, s) {
			mismatch("scopes", strings.Join(c.Expect.Scopes, " "), strings.Join(scopes, " "))
			break
		}
	}
	return diff
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// header renders the credential as a header name and value.
func (c Credential) header() ([2]string, error) {
	if c.Header != "" {
		name, value, ok := strings.Cut(c.Header, ":")
		if !ok {
			return [2]string{}, fmt.Errorf("header %q has no ':'", name)
		}
		return [2]string{strings.TrimSpace(name), strings.TrimSpace(value)}, nil
	}
	m := c.Mint
	var key any
	alg := m.Alg
	switch {
	case m.SecretFile != "":
		b, err := os.ReadFile(m.SecretFile)
		if err != nil {
			return [2]string{}, err
		}
		key = bytes.TrimRight(b, "\r\n")
		if alg == "" {
			alg = "HS256"
		}
	case m.KeyFile != "":
		b, err := os.ReadFile(m.KeyFile)
		if err != nil {
			return [2]string{}, err
		}
		k, defaultAlg, err := jwt.ParsePrivateKey(b)
		if err != nil {
			return [2]string{}, err
		}
		key = k
		if alg == "" {
			alg = defaultAlg
		}
	default:
		return [2]string{}, errors.New("mint needs secret_file or key_file")
	}
	ttl := m.TTL
	if ttl == 0 {
		ttl = time.Hour
	}
	claims := map[string]any{"iat": time.Now().Unix(), "exp": time.Now().Add(ttl).Unix()}
	for k, v := range m.Claims {
		claims[k] = v
	}
	header := map[string]any{}
	if m.Kid != "" {
		header["kid"] = m.Kid
	}
	typ := DefaultTyp
	if m.Typ != nil {
		typ = *m.Typ
	}
	if typ != "" {
		header["typ"] = typ
	}
	tok, err := jwt.Sign(alg, key, header, claims)
	return [2]string{"Authorization", "Bearer " + tok}, err
}
