package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/authgate/authgate/credential/basic"
	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/store/sqlite"
)

// backend is where keys and users are managed: the store itself, or a
// running gateway's admin API.
type backend interface {
	createKey(ctx context.Context, name, env string, scopes []string, expires time.Time) (gateway.KeyView, error)
	listKeys(ctx context.Context) ([]gateway.KeyView, error)
	revokeKey(ctx context.Context, id string) error
	rotateKey(ctx context.Context, id string, grace time.Duration) (gateway.KeyView, error)
	addUser(ctx context.Context, name, password string, scopes []string) error
	setPassword(ctx context.Context, name, password string) error
	removeUser(ctx context.Context, name string) error
	listUsers(ctx context.Context) ([]gateway.UserView, error)
}

// storeBackend acts on the store directly.
type storeBackend struct{ s *sqlite.Store }

func (b storeBackend) createKey(ctx context.Context, name, env string, scopes []string, expires time.Time) (gateway.KeyView, error) {
	k, key, err := gateway.NewKey(ctx, b.s, name, env, scopes, expires, actor())
	v := gateway.ViewKey(k)
	v.Key = key
	return v, err
}

func (b storeBackend) listKeys(ctx context.Context) ([]gateway.KeyView, error) {
	keys, err := b.s.Keys(ctx)
	var out []gateway.KeyView
	for _, k := range keys {
		out = append(out, gateway.ViewKey(k))
	}
	return out, err
}

func (b storeBackend) revokeKey(ctx context.Context, id string) error {
	return b.s.RevokeKey(ctx, id, time.Now(), actor())
}

func (b storeBackend) rotateKey(ctx context.Context, id string, grace time.Duration) (gateway.KeyView, error) {
	next, key, err := gateway.RotateKey(ctx, b.s, id, grace, actor())
	v := gateway.ViewKey(next)
	v.Key = key
	return v, err
}

func (b storeBackend) addUser(ctx context.Context, name, password string, scopes []string) error {
	hash, err := basic.HashPassword(password)
	if err != nil {
		return err
	}
	return b.s.AddUser(ctx, store.User{Name: name, Hash: hash, Scopes: scopes}, actor())
}

func (b storeBackend) setPassword(ctx context.Context, name, password string) error {
	hash, err := basic.HashPassword(password)
	if err != nil {
		return err
	}
	return b.s.SetPassword(ctx, name, hash, actor())
}

func (b storeBackend) removeUser(ctx context.Context, name string) error {
	return b.s.RemoveUser(ctx, name, actor())
}

func (b storeBackend) listUsers(ctx context.Context) ([]gateway.UserView, error) {
	users, err := b.s.Users(ctx)
	var out []gateway.UserView
	for _, u := range users {
		out = append(out, gateway.ViewUser(u))
	}
	return out, err
}

// adminBackend acts through a running gateway's admin API.
type adminBackend struct {
	url, key string
	client   *http.Client
}

func newAdminBackend(url, keyEnv string) (*adminBackend, error) {
	key := os.Getenv(keyEnv)
	if key == "" {
		return nil, fmt.Errorf("the admin key is read from $%s, which is empty", keyEnv)
	}
	return &adminBackend{url: strings.TrimSuffix(url, "/"), key: key, client: &http.Client{Timeout: 30 * time.Second}}, nil
}

func (b *adminBackend) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, _ := json.Marshal(in)
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.url+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("X-API-Key", b.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if resp.StatusCode >= 300 {
		var p struct {
			Title, Detail, Reason string
		}
		json.Unmarshal(data, &p)
		msg := strings.TrimSpace(p.Title + ": " + p.Detail)
		if p.Reason != "" {
			msg = p.Reason + ": " + p.Detail
		}
		return fmt.Errorf("admin API %s %s: %d %s", method, path, resp.StatusCode, msg)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func (b *adminBackend) createKey(ctx context.Context, name, env string, scopes []string, expires time.Time) (gateway.KeyView, error) {
	var v gateway.KeyView
	err := b.do(ctx, "POST", "/admin/v1/keys", map[string]any{"name": name, "environment": env, "scopes": scopes, "expires": expires}, &v)
	return v, err
}

func (b *adminBackend) listKeys(ctx context.Context) ([]gateway.KeyView, error) {
	var v []gateway.KeyView
	return v, b.do(ctx, "GET", "/admin/v1/keys", nil, &v)
}

func (b *adminBackend) revokeKey(ctx context.Context, id string) error {
	return b.do(ctx, "POST", "/admin/v1/keys/"+id+"/revoke", nil, nil)
}

func (b *adminBackend) rotateKey(ctx context.Context, id string, grace time.Duration) (gateway.KeyView, error) {
	var v gateway.KeyView
	return v, b.do(ctx, "POST", "/admin/v1/keys/"+id+"/rotate", map[string]string{"grace": grace.String()}, &v)
}

func (b *adminBackend) addUser(ctx context.Context, name, password string, scopes []string) error {
	return b.do(ctx, "POST", "/admin/v1/users", map[string]any{"name": name, "password": password, "scopes": scopes}, nil)
}

func (b *adminBackend) setPassword(ctx context.Context, name, password string) error {
	return b.do(ctx, "PUT", "/admin/v1/users/"+name+"/password", map[string]string{"password": password}, nil)
}

func (b *adminBackend) removeUser(ctx context.Context, name string) error {
	return b.do(ctx, "DELETE", "/admin/v1/users/"+name, nil, nil)
}

func (b *adminBackend) listUsers(ctx context.Context) ([]gateway.UserView, error) {
	var v []gateway.UserView
	return v, b.do(ctx, "GET", "/admin/v1/users", nil, &v)
}

var errImportNeedsStore = errors.New("users import works on the store directly (htpasswd hashes are not sent over the admin API): drop --admin")
