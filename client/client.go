// Package client is the Go client of authgate's admin API and explain: the
// CLI's --admin mode and the doctor's --explain-via use it, and so can any
// program that manages a gateway. Failures come back as *Error, carrying
// the reason code of the problem body.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/reason"
)

// maxAnswer bounds what is read of one answer.
const maxAnswer = 4 << 20

// Client talks to one gateway's admin listener.
type Client struct {
	base string
	key  string
	http *http.Client
}

// New returns a Client for the admin listener at baseURL (for example
// http://127.0.0.1:9090), authenticating with an admin API key. A nil
// httpClient uses one with a 30-second timeout.
func New(baseURL, adminKey string, httpClient *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("admin URL %q: give http(s)://host:port", baseURL)
	}
	if adminKey == "" {
		return nil, errors.New("no admin key")
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{base: strings.TrimSuffix(baseURL, "/"), key: adminKey, http: httpClient}, nil
}

// Error is an answer other than success: the status and the problem body
// (its Reason is a reason code when the server is authgate).
type Error struct {
	Method, Path string
	Status       int
	Problem      api.Problem
}

// Error implements error.
func (e *Error) Error() string {
	what := e.Problem.Reason
	if what == "" {
		what = e.Problem.Title
	}
	if what == "" {
		what = http.StatusText(e.Status)
	}
	msg := fmt.Sprintf("admin API %s %s: %d %s", e.Method, e.Path, e.Status, what)
	if e.Problem.Detail != "" {
		msg += ": " + e.Problem.Detail
	}
	return msg
}

// Reason is the reason code the server gave, if any.
func (e *Error) Reason() reason.Code { return reason.Code(e.Problem.Reason) }

// ReasonOf returns the reason code of an *Error in err's chain, or "".
func ReasonOf(err error) reason.Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason()
	}
	return ""
}

// do sends in (if not nil) as JSON and decodes the answer into out (if
// not nil).
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set(api.DefaultAPIKeyHeader, c.key)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		e := &Error{Method: method, Path: path, Status: resp.StatusCode}
		if json.Unmarshal(data, &e.Problem) != nil {
			e.Problem = api.Problem{Status: resp.StatusCode, Detail: printable(data, 200)}
		}
		return e
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("admin API %s %s: answer is not the expected JSON: %w", method, path, err)
		}
	}
	return nil
}

// printable keeps at most n bytes of printable ASCII of an answer that is
// not a problem body, for an error message.
func printable(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, string(b))
}

// CreateKey creates an API key; the answer's Key is the only copy.
func (c *Client) CreateKey(ctx context.Context, in api.KeyCreate) (api.KeyView, error) {
	var v api.KeyView
	return v, c.do(ctx, http.MethodPost, api.AdminPrefix+"/keys", in, &v)
}

// Keys lists the API keys (never their secrets).
func (c *Client) Keys(ctx context.Context) ([]api.KeyView, error) {
	var v []api.KeyView
	return v, c.do(ctx, http.MethodGet, api.AdminPrefix+"/keys", nil, &v)
}

// RevokeKey revokes key id; it is refused from the next request on.
func (c *Client) RevokeKey(ctx context.Context, id string) (api.KeyView, error) {
	var v api.KeyView
	return v, c.do(ctx, http.MethodPost, api.AdminPrefix+"/keys/"+url.PathEscape(id)+"/revoke", nil, &v)
}

// RotateKey creates a replacement for key id; the old key stays valid for grace.
func (c *Client) RotateKey(ctx context.Context, id string, grace time.Duration) (api.KeyView, error) {
	var v api.KeyView
	return v, c.do(ctx, http.MethodPost, api.AdminPrefix+"/keys/"+url.PathEscape(id)+"/rotate", api.KeyRotate{Grace: grace.String()}, &v)
}

// Revocations lists the revoked keys.
func (c *Client) Revocations(ctx context.Context) ([]api.KeyView, error) {
	var v []api.KeyView
	return v, c.do(ctx, http.MethodGet, api.AdminPrefix+"/revocations", nil, &v)
}

// AddUser adds a Basic user.
func (c *Client) AddUser(ctx context.Context, in api.UserCreate) (api.UserView, error) {
	var v api.UserView
	return v, c.do(ctx, http.MethodPost, api.AdminPrefix+"/users", in, &v)
}

// SetPassword sets user name's password.
func (c *Client) SetPassword(ctx context.Context, name, password string) error {
	return c.do(ctx, http.MethodPut, api.AdminPrefix+"/users/"+url.PathEscape(name)+"/password", api.PasswordChange{Password: password}, nil)
}

// RemoveUser removes user name.
func (c *Client) RemoveUser(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, api.AdminPrefix+"/users/"+url.PathEscape(name), nil, nil)
}

// Users lists the Basic users (never their hashes).
func (c *Client) Users(ctx context.Context) ([]api.UserView, error) {
	var v []api.UserView
	return v, c.do(ctx, http.MethodGet, api.AdminPrefix+"/users", nil, &v)
}

// FailureFilter narrows the failure feed; empty fields match everything.
type FailureFilter struct {
	Reason, Route, Fingerprint string
	Since                      time.Time
}

func (f FailureFilter) query() string {
	q := url.Values{}
	for k, v := range map[string]string{"reason": f.Reason, "route": f.Route, "fingerprint": f.Fingerprint} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.UTC().Format(time.RFC3339))
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// Failures lists recent failures, newest first.
func (c *Client) Failures(ctx context.Context, f FailureFilter) ([]api.Failure, error) {
	var v []api.Failure
	return v, c.do(ctx, http.MethodGet, api.AdminPrefix+"/failures"+f.query(), nil, &v)
}

// Explain asks how the gateway judges a request, without side effects.
func (c *Client) Explain(ctx context.Context, in api.ExplainRequest) (*api.Explanation, error) {
	var v api.Explanation
	if err := c.do(ctx, http.MethodPost, api.AdminPrefix+"/explain", in, &v); err != nil {
		return nil, err
	}
	return &v, nil
}
