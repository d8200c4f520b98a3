package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/internal/gatewaytest"
)

// TestUsageErrorsExit2: on every command an unknown flag, a wrong number
// of arguments, a missing required flag or an unknown command exits 2;
// other failures exit 1.
func TestUsageErrorsExit2(t *testing.T) {
	var walk func(c *cobra.Command, path []string)
	checked := 0
	walk = func(c *cobra.Command, path []string) {
		if len(c.Commands()) > 0 {
			for _, sub := range c.Commands() {
				walk(sub, append(append([]string{}, path...), sub.Name()))
			}
			return
		}
		if c.Name() == "help" || c.Name() == "completion" {
			return
		}
		checked++
		_, err := run(t, "", append(path, "--no-such-flag")...)
		if code, _ := exitCode(err); code != 2 {
			t.Errorf("%s --no-such-flag: exit %d (%v), want 2", strings.Join(path, " "), code, err)
		}
		if c.Args != nil {
			_, err := run(t, "", append(path, "one", "two", "three", "four")...)
			if code, _ := exitCode(err); err != nil && strings.Contains(err.Error(), "arg(s), received") && code != 2 {
				t.Errorf("%s with four arguments: exit %d (%v), want 2", strings.Join(path, " "), code, err)
			}
		}
	}
	walk(newRoot(), nil)
	if checked < 15 {
		t.Fatalf("only %d commands checked", checked)
	}
	for _, args := range [][]string{{"nosuch"}, {"keys", "create", "--data-dir", t.TempDir()}, {"serve", "extra"}} {
		_, err := run(t, "", args...)
		if code, _ := exitCode(err); code != 2 {
			t.Errorf("%v: exit %d (%v), want 2", args, code, err)
		}
	}
	// Not a usage error: a refused operation exits 1.
	_, err := run(t, "", "keys", "revoke", "nosuch", "--data-dir", t.TempDir())
	if code, _ := exitCode(err); code != 1 {
		t.Errorf("revoking a missing key: exit %d (%v), want 1", code, err)
	}
}

// TestKeysCreateForScripts: --quiet prints exactly one line, the key (the
// metadata goes to stderr); --json prints the view with the key;
// --admin-key-file reads the admin key from a file.
func TestKeysCreateForScripts(t *testing.T) {
	dir := t.TempDir()
	root := newRoot()
	var stdout, stderr bytes.Buffer
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	root.SetArgs([]string{"keys", "create", "--data-dir", dir, "--name", "ci", "--quiet"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "ag_live_") {
		t.Fatalf("--quiet stdout %q", stdout.String())
	}
	if !strings.Contains(stderr.String(), "name:    ci") || strings.Contains(stderr.String(), "ag_live_") {
		t.Fatalf("--quiet stderr %q", stderr.String())
	}
	out, err := run(t, "", "keys", "create", "--data-dir", dir, "--name", "ci2", "--json", "--quota", "10/1m")
	var v api.KeyView
	if err != nil || json.Unmarshal([]byte(out), &v) != nil || !strings.HasPrefix(v.Key, "ag_live_") || v.Quota == nil || v.Quota.Requests != 10 {
		t.Fatalf("--json: %v %s", err, out)
	}
	if _, err := run(t, "", "keys", "create", "--data-dir", dir, "--name", "x", "--json", "--quiet"); err == nil {
		t.Fatal("--json with --quiet accepted")
	}

	d := gatewaytest.Demo(t, true)
	keyFile := filepath.Join(dir, "admin-key")
	os.WriteFile(keyFile, []byte(d.File.AdminKey+"\n"), 0o600)
	t.Setenv("AUTHGATE_ADMIN_KEY", "")
	if out, err := run(t, "", "keys", "list", "--admin", d.File.AdminURL, "--admin-key-file", keyFile); err != nil || !strings.Contains(out, "demo live") {
		t.Fatalf("--admin-key-file: %v\n%s", err, out)
	}
}

// TestJWKSVerifiesMintedTokens: the JWK Set `jwt jwks` prints verifies a
// token `jwt mint` signed with the same key, under the kid it names.
func TestJWKSVerifiesMintedTokens(t *testing.T) {
	dir := t.TempDir()
	for name, gen := range map[string]func() (any, error){
		"ec":  func() (any, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) },
		"rsa": func() (any, error) { return rsa.GenerateKey(rand.Reader, 2048) },
	} {
		key, _ := gen()
		der, _ := x509.MarshalPKCS8PrivateKey(key)
		keyFile := filepath.Join(dir, name+".pem")
		os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
		out, err := run(t, "", "jwt", "jwks", "--key", keyFile)
		if err != nil {
			t.Fatal(err)
		}
		keys, _, err := jwt.ParseJWKS([]byte(out))
		if err != nil || len(keys) != 1 || strings.Contains(out, `"d"`) {
			t.Fatalf("%s: %v %s", name, err, out)
		}
		tok, err := run(t, "", "jwt", "mint", "--key", keyFile, "--kid", keys[0].ID, "--iss", "https://i", "--aud", "api", "--sub", "bob")
		if err != nil {
			t.Fatal(err)
		}
		v, err := jwt.New([]*jwt.Issuer{{Name: "i", Issuer: "https://i", Audiences: []string{"api"}, Algorithms: jwt.DefaultAlgorithms,
			Keys: jwt.NewStaticKeys(keys)}}, jwt.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if id, err := v.Verify(context.Background(), strings.TrimSpace(tok)); err != nil || id.Subject != "bob" {
			t.Fatalf("%s: the minted token does not verify with the printed set: %v", name, err)
		}
	}
	if _, err := run(t, "", "jwt", "jwks"); err == nil {
		t.Fatal("jwks without --key accepted")
	}
}
