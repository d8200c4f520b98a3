package app

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/credential/jwt"
)

// Files the gateway makes in the data folder on first start and keeps
// (mode 0600), so what they key stays stable across reloads and restarts.
const (
	// fingerprintKeyFile keys credential fingerprints.
	fingerprintKeyFile = "fingerprint.key"
	// identityKeyFile signs identity tokens (identity_token).
	identityKeyFile = "identity-key.pem"
)

// keptFile reads dir/name, or makes it with create (once: a process that
// loses the race reads the winner's file) and keeps it with mode 0600.
func (a *App) keptFile(dir, name string, create func() ([]byte, error)) ([]byte, error) {
	path := filepath.Join(dir, name)
	data, err := os.ReadFile(path)
	if err == nil {
		return data, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder %s: %w", dir, err)
	}
	data, err = create()
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // another process made it first
		return os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	a.log.Info("generated a key", "file", path)
	return data, nil
}

// fingerprintKey reads the fingerprint key kept in the data folder, or
// makes one.
func (a *App) fingerprintKey(dir string) (string, error) {
	data, err := a.keptFile(dir, fingerprintKeyFile, func() ([]byte, error) {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		return []byte(hex.EncodeToString(b) + "\n"), nil
	})
	if err != nil {
		return "", fmt.Errorf("fingerprint key: %w", err)
	}
	if key := strings.TrimSpace(string(data)); len(key) >= 32 {
		return key, nil
	}
	return "", fmt.Errorf("%s is damaged (shorter than 32 characters); delete it to make a new one (fingerprints then change)",
		filepath.Join(dir, fingerprintKeyFile))
}

// identityKey loads the identity token's signing key into it: key_file,
// or a P-256 key kept in the data folder. Its kid is derived from the
// public key, so it changes only with the key.
func (a *App) identityKey(dir string, it *config.IdentityToken) error {
	var data []byte
	var err error
	where := it.KeyFile
	if where != "" {
		data, err = os.ReadFile(where)
	} else {
		where = filepath.Join(dir, identityKeyFile)
		data, err = a.keptFile(dir, identityKeyFile, func() ([]byte, error) {
			k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				return nil, err
			}
			der, err := x509.MarshalPKCS8PrivateKey(k)
			if err != nil {
				return nil, err
			}
			return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
		})
	}
	if err != nil {
		return fmt.Errorf("identity_token key: %w", err)
	}
	key, alg, err := jwt.ParsePrivateKey(data)
	if err != nil {
		return fmt.Errorf("identity_token key %s: %w", where, err)
	}
	it.Key, it.Alg = key, alg
	pub, err := x509.MarshalPKIXPublicKey(it.Public())
	if err != nil {
		return fmt.Errorf("identity_token key %s: %w", where, err)
	}
	sum := sha256.Sum256(pub)
	it.KeyID = base64.RawURLEncoding.EncodeToString(sum[:12])
	return nil
}
