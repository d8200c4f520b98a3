package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/client"
	"github.com/authgate/authgate/internal/gatewaytest"
	"github.com/authgate/authgate/reason"
)

// TestClientAgainstTheDemo drives a real admin listener: every call works,
// and every failure comes back as *client.Error with its reason code.
func TestClientAgainstTheDemo(t *testing.T) {
	d := gatewaytest.Demo(t, true)
	ctx := context.Background()
	c, err := client.New(d.File.AdminURL, d.File.AdminKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := c.CreateKey(ctx, api.KeyCreate{Name: "ci", Environment: "live", Scopes: []string{"read"}, Expires: time.Now().Add(time.Hour)})
	if err != nil || k.Key == "" || k.Expires == nil {
		t.Fatalf("create: %+v %v", k, err)
	}
	if _, err := c.RotateKey(ctx, k.ID, time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, err := c.RevokeKey(ctx, k.ID); err != nil || v.RevokedAt == nil {
		t.Fatalf("revoke: %+v %v", v, err)
	}
	if rs, err := c.Revocations(ctx); err != nil || len(rs) == 0 {
		t.Fatalf("revocations: %v %v", rs, err)
	}
	if _, err := c.AddUser(ctx, api.UserCreate{Name: "eve", Password: "a long password"}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetPassword(ctx, "eve", "another long one"); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveUser(ctx, "eve"); err != nil {
		t.Fatal(err)
	}
	x, err := c.Explain(ctx, api.ExplainRequest{Path: "/v1/data", Token: d.File.Tokens["expired"]})
	if err != nil || x.Reason != string(reason.TokenExpired) {
		t.Fatalf("explain: %+v %v", x, err)
	}
	if fs, err := c.Failures(ctx, client.FailureFilter{Reason: string(reason.QuotaExceeded), Since: time.Now().Add(-time.Minute)}); err != nil || len(fs) != 0 {
		t.Fatalf("failures: %v %v", fs, err)
	}
	// A reason that is not in the catalogue is a bad filter, not an empty one.
	if _, err := c.Failures(ctx, client.FailureFilter{Reason: "nothing_like_this"}); client.ReasonOf(err) != reason.RequestInvalid {
		t.Fatalf("failures by an unknown reason: %v", err)
	}

	reader, _ := client.New(d.File.AdminURL, d.File.APIKeys["live"], nil)
	tests := []struct {
		name   string
		call   func() error
		status int
		code   reason.Code
	}{
		{"an API key, not an admin key", func() error { _, err := reader.Keys(ctx); return err }, 401, reason.CredentialWrongKind},
		{"unknown key", func() error { _, err := c.RevokeKey(ctx, "nosuch"); return err }, 404, reason.NotFound},
		{"user who could never log in", func() error {
			_, err := c.AddUser(ctx, api.UserCreate{Name: "a:b", Password: "a long password"})
			return err
		}, 400, reason.RequestInvalid},
		{"empty path", func() error { _, err := c.Explain(ctx, api.ExplainRequest{Path: "v1"}); return err }, 400, reason.RequestInvalid},
	}
	for _, tt := range tests {
		err := tt.call()
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Status != tt.status || client.ReasonOf(err) != tt.code {
			t.Errorf("%s: %v, want %d %s", tt.name, err, tt.status, tt.code)
		}
	}
}

// TestClientBoundsForeignAnswers: an answer that is not a problem body
// still yields an *Error, with printable, bounded text.
func TestClientBoundsForeignAnswers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("<html>\x1b[31m" + string(make([]byte, 5000)) + "</html>"))
	}))
	defer srv.Close()
	c, _ := client.New(srv.URL, "k", nil)
	_, err := c.Keys(context.Background())
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != 502 || len(ce.Problem.Detail) > 200 || ce.Reason() != "" {
		t.Fatalf("%v", err)
	}
	for _, bad := range []string{"", "ftp://x", "http://"} {
		if _, err := client.New(bad, "k", nil); err == nil {
			t.Errorf("URL %q accepted", bad)
		}
	}
}
