package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/client"
	"github.com/authgate/authgate/credential/apikey"
	"github.com/authgate/authgate/credential/basic"
	"github.com/authgate/authgate/store"
)

// backend is where keys and users are managed: the store itself, or a
// running gateway's admin API. Both apply the same rules (those of
// credential/apikey and credential/basic: the admin API calls them too).
type backend interface {
	createKey(ctx context.Context, spec apikey.Spec) (api.KeyView, error)
	listKeys(ctx context.Context) ([]api.KeyView, error)
	revokeKey(ctx context.Context, id string) error
	rotateKey(ctx context.Context, id string, grace time.Duration) (api.KeyView, error)
	addUser(ctx context.Context, name, password string, scopes []string) error
	setPassword(ctx context.Context, name, password string) error
	removeUser(ctx context.Context, name string) error
	listUsers(ctx context.Context) ([]api.UserView, error)
}

// storeBackend acts on the store directly.
type storeBackend struct{ s store.Store }

func (b storeBackend) createKey(ctx context.Context, spec apikey.Spec) (api.KeyView, error) {
	k, key, err := apikey.Create(ctx, b.s, spec, actor())
	v := apikey.View(k, time.Now())
	v.Key = key
	return v, err
}

func (b storeBackend) listKeys(ctx context.Context) ([]api.KeyView, error) {
	keys, err := b.s.Keys(ctx)
	var out []api.KeyView
	now := time.Now()
	for _, k := range keys {
		out = append(out, apikey.View(k, now))
	}
	return out, err
}

func (b storeBackend) revokeKey(ctx context.Context, id string) error {
	return b.s.RevokeKey(ctx, id, time.Now(), actor())
}

func (b storeBackend) rotateKey(ctx context.Context, id string, grace time.Duration) (api.KeyView, error) {
	next, key, err := apikey.Rotate(ctx, b.s, id, grace, actor())
	v := apikey.View(next, time.Now())
	v.Key = key
	return v, err
}

func (b storeBackend) addUser(ctx context.Context, name, password string, scopes []string) error {
	return basic.AddUser(ctx, b.s, name, password, scopes, actor())
}

func (b storeBackend) setPassword(ctx context.Context, name, password string) error {
	return basic.SetPassword(ctx, b.s, name, password, actor())
}

func (b storeBackend) removeUser(ctx context.Context, name string) error {
	return b.s.RemoveUser(ctx, name, actor())
}

func (b storeBackend) listUsers(ctx context.Context) ([]api.UserView, error) {
	users, err := b.s.Users(ctx)
	var out []api.UserView
	for _, u := range users {
		out = append(out, basic.View(u))
	}
	return out, err
}

// adminBackend acts through a running gateway's admin API.
type adminBackend struct{ c *client.Client }

func newAdminBackend(url, keyEnv, keyFile string) (*adminBackend, error) {
	key := os.Getenv(keyEnv)
	if keyFile != "" {
		data, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, fmt.Errorf("--admin-key-file: %w", err)
		}
		key = strings.TrimSpace(string(data))
	}
	if key == "" {
		return nil, fmt.Errorf("the admin key is read from $%s (or --admin-key-file), which is empty", keyEnv)
	}
	c, err := client.New(url, key, nil)
	if err != nil {
		return nil, err
	}
	return &adminBackend{c: c}, nil
}

func (b *adminBackend) createKey(ctx context.Context, spec apikey.Spec) (api.KeyView, error) {
	in := api.KeyCreate{Name: spec.Name, Kind: spec.Kind, Environment: spec.Environment, Scopes: spec.Scopes, Expires: spec.Expires}
	if q := spec.Quota; q != nil {
		in.Quota = &api.Quota{Requests: q.Requests, Per: q.Per.String()}
	}
	return b.c.CreateKey(ctx, in)
}

func (b *adminBackend) listKeys(ctx context.Context) ([]api.KeyView, error) { return b.c.Keys(ctx) }

func (b *adminBackend) revokeKey(ctx context.Context, id string) error {
	_, err := b.c.RevokeKey(ctx, id)
	return err
}

func (b *adminBackend) rotateKey(ctx context.Context, id string, grace time.Duration) (api.KeyView, error) {
	return b.c.RotateKey(ctx, id, grace)
}

func (b *adminBackend) addUser(ctx context.Context, name, password string, scopes []string) error {
	_, err := b.c.AddUser(ctx, api.UserCreate{Name: name, Password: password, Scopes: scopes})
	return err
}

func (b *adminBackend) setPassword(ctx context.Context, name, password string) error {
	return b.c.SetPassword(ctx, name, password)
}

func (b *adminBackend) removeUser(ctx context.Context, name string) error {
	return b.c.RemoveUser(ctx, name)
}

func (b *adminBackend) listUsers(ctx context.Context) ([]api.UserView, error) { return b.c.Users(ctx) }

var errImportNeedsStore = errors.New("users import works on the store directly (htpasswd hashes are not sent over the admin API): drop --admin")
