package apikey

import (
	"context"
	"errors"
	"hash/crc32"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/reason"
	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/store/sqlite"
)

func TestFormat(t *testing.T) {
	key, id, err := Generate("live")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key, "ag_live_") || len(key) != len("ag_live_")+49 || len(id) != 8 {
		t.Fatalf("key %q id %q", key, id)
	}
	if env, err := Environment(key); err != nil || env != "live" {
		t.Fatalf("Environment: %q %v", env, err)
	}
	flip := func(s string, i int) string {
		c := byte('A')
		if s[i] == 'A' {
			c = 'B'
		}
		return s[:i] + string(c) + s[i+1:]
	}
	for name, bad := range map[string]string{
		"truncated":       key[:len(key)-1],
		"extended":        key + "x",
		"typo in body":    flip(key, 20),
		"typo in sum":     flip(key, len(key)-2),
		"no prefix":       key[3:],
		"bad char":        key[:20] + "-" + key[21:],
		"env not letters": "ag_LIVE_" + key[8:],
	} {
		if _, err := Environment(bad); reason.CodeOf(err) != reason.APIKeyMalformed {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, err := Generate("Prod!"); err == nil {
		t.Error("bad environment accepted")
	}
}

func newStore(t *testing.T) *sqlite.Store {
	s, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func create(t *testing.T, s store.Store, env string, change func(*store.Key)) (string, store.Key) {
	key, id, _ := Generate(env)
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
	unknown, _, _ := Generate("live")
	id, err := v.Verify(ctx, good)
	if err != nil || id.Subject != "apikey:"+gk.ID || !id.HasScope("read") {
		t.Fatalf("good key: %+v %v", id, err)
	}
	for key, want := range map[string]reason.Code{test: reason.CredentialWrongEnvironment, expired: reason.CredentialExpired,
		unknown: reason.CredentialUnknown, good[:30]: reason.APIKeyMalformed} {
		if _, err := v.Verify(ctx, key); reason.CodeOf(err) != want {
			t.Errorf("%s: %v, want %s", key[:12], err, want)
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
	newKey, _, _ := Generate("live")
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
	key, id, _ := Generate("live")
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

func FuzzEnvironment(f *testing.F) {
	key, _, _ := Generate("live")
	f.Add(key)
	f.Add("ag_test_")
	f.Fuzz(func(t *testing.T, s string) {
		env, err := Environment(s)
		if err != nil {
			if reason.CodeOf(err) != reason.APIKeyMalformed {
				t.Fatalf("reason %s", reason.CodeOf(err))
			}
			return
		}
		if !strings.HasPrefix(s, Prefix+env+"_") || len(s) != len(Prefix)+len(env)+1+randomLen+checksumLen {
			t.Fatalf("accepted %q as a %s key", s, env)
		}
	})
}

func TestChecksumMatchesBase62(t *testing.T) {
	for _, body := range []string{"", "ag_live_x", "ag_test_" + strings.Repeat("Z", 43)} {
		c := crc32.ChecksumIEEE([]byte(body))
		if want := base62(new(big.Int).SetUint64(uint64(c)).Bytes(), checksumLen); checksum(body) != want {
			t.Fatalf("checksum(%q) = %s, want %s", body, checksum(body), want)
		}
	}
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
