package apikey

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/apikey/keyformat"
	"github.com/authgate/authgate/reason"
	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/store/sqlite"
)

func newStore(t *testing.T) *sqlite.Store {
	s, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func create(t *testing.T, s store.Store, env string, change func(*store.Key)) (string, store.Key) {
	key, id, _ := keyformat.Generate(env)
	k := store.Key{ID: id, Name: "t", Environment: env, Scopes: []string{"read"}, Hash: Hash(key), Created: time.Now()}
	if change != nil {
		change(&k)
	}
	if err := s.CreateKey(context.Background(), k, "test"); err != nil {
		t.Fatal(err)
	}
	return key, k
}

func TestVerify(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	v := NewVerifier(s, "live", nil)
	good, gk := create(t, s, "live", nil)
	test, _ := create(t, s, "test", nil)
	expired, _ := create(t, s, "live", func(k *store.Key) { k.Expires = time.Now().Add(-time.Hour) })
	unknown, _, _ := keyformat.Generate("live")
	id, err := v.Verify(ctx, good)
	if err != nil || id.Subject != "apikey:"+gk.ID || !id.HasScope("read") {
		t.Fatalf("good key: %+v %v", id, err)
	}
	for key, want := range map[string]reason.Code{test: reason.CredentialWrongEnvironment, expired: reason.CredentialExpired,
		unknown: reason.CredentialUnknown, good[:30]: reason.APIKeyMalformed} {
		// Twice: a refused key is not remembered (Remembered skips the
		// checks the first verification made).
		for range 2 {
			if _, err := v.Verify(ctx, key); reason.CodeOf(err) != want {
				t.Errorf("%s: %v, want %s", key[:12], err, want)
			}
		}
		if _, err, known := v.Remembered(credential.Presented{Value: key}); known && reason.CodeOf(err) != want {
			t.Errorf("%s: remembered as %v, want %s", key[:12], err, want)
		}
	}
	// Revocation by another process takes effect on the very next
	// request, although the key is cached.
	other, err := sqlite.Open(ctx, filepathDir(s))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := v.Verify(ctx, good); err != nil {
		t.Fatal(err)
	}
	if err := other.RevokeKey(ctx, gk.ID, time.Now(), "cli"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, good); reason.CodeOf(err) != reason.CredentialRevoked {
		t.Fatalf("after revocation: %v", err)
	}
}

func filepathDir(s *sqlite.Store) string { return strings.TrimSuffix(s.Path(), "/"+sqlite.FileName) }

func TestRotationGraceAndLastUsed(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	v := NewVerifier(s, "", nil)
	oldKey, old := create(t, s, "live", nil)
	newKey, _, _ := keyformat.Generate("live")
	next := store.Key{ID: "next0001", Name: "t", Environment: "live", Hash: Hash(newKey), Created: time.Now()}
	if err := s.RotateKey(ctx, old.ID, time.Now().Add(time.Hour), next, "test"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{oldKey, newKey} {
		if _, err := v.Verify(ctx, k); err != nil {
			t.Fatalf("during grace: %v", err)
		}
	}
	v.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	_, err := v.Verify(ctx, oldKey)
	if re := reason.From(err); re.Code != reason.CredentialExpired || !strings.Contains(re.Detail, "next0001") {
		t.Fatalf("after grace: %v", err)
	}
	v.Flush(ctx)
	if k, _ := s.KeyByID(ctx, "next0001"); k.LastUsed.IsZero() {
		t.Fatal("last_used not written by Flush")
	}
}

func TestStoreDownIs503(t *testing.T) {
	s := newStore(t)
	good, _ := create(t, s, "live", nil)
	v := NewVerifier(s, "live", nil)
	s.Close()
	_, err := v.Verify(context.Background(), good)
	if re := reason.From(err); re.Code != reason.AuthUnavailable || !errors.Is(err, err) {
		t.Fatalf("closed store: %v", err)
	}
}

func BenchmarkVerifyHit(b *testing.B) {
	s, err := sqlite.Open(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	key, id, _ := keyformat.Generate("live")
	s.CreateKey(context.Background(), store.Key{ID: id, Name: "b", Environment: "live", Hash: Hash(key), Created: time.Now()}, "b")
	v := NewVerifier(s, "live", nil)
	v.Verify(context.Background(), key)
	b.Run("store-version-check", func(b *testing.B) {
		for b.Loop() {
			s.Version(context.Background())
		}
	})
	b.Run("verify-cached", func(b *testing.B) {
		for b.Loop() {
			if _, err := v.Verify(context.Background(), key); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestRotateRefusesRevokedKeys: a revoked key cannot be rotated, and says
// so (it is not "not found"); a missing one is not found, by its id.
func TestRotateRefusesRevokedKeys(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	k, _, err := Create(ctx, s, Spec{Name: "r", Environment: "live"}, "t")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeKey(ctx, k.ID, time.Now(), "t"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Rotate(ctx, s, k.ID, time.Hour, "t"); reason.CodeOf(err) != reason.RequestInvalid {
		t.Errorf("rotating a revoked key: %v", err)
	}
	if _, _, err := Rotate(ctx, s, "nokey", time.Hour, "t"); !errors.Is(err, store.ErrNotFound) || store.Reason(err).Code != reason.NotFound {
		t.Errorf("rotating a missing key: %v", err)
	}
	keys, _ := s.Keys(ctx)
	if len(keys) != 1 {
		t.Errorf("%d keys after refused rotations", len(keys))
	}
}
