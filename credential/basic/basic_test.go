package basic

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/authgate/authgate/reason"
	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/store/sqlite"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestParse(t *testing.T) {
	good := map[string][2]string{
		b64("alice:pw"):                          {"alice", "pw"},
		b64("alice:p:w:x"):                       {"alice", "p:w:x"},
		b64("alice:"):                            {"alice", ""},
		b64("jörg:pässwörd"):                     {"jörg", "pässwörd"},
		strings.TrimRight(b64("alice:pw1"), "="): {"alice", "pw1"},
	}
	for in, want := range good {
		u, p, err := Parse(in)
		if err != nil || u != want[0] || p != want[1] {
			t.Errorf("Parse(%q) = %q %q %v", in, u, p, err)
		}
	}
	long := b64(strings.Repeat("x", 60) + ":" + strings.Repeat("y", 60))
	for name, in := range map[string]string{
		"not base64":       "$(echo -n 'username:password' | base64)",
		"wrapped":          long[:76] + "\n" + long[76:],
		"no colon":         b64("alicepw"),
		"trailing newline": b64("alice:pw\n"),
		"not UTF-8":        base64.StdEncoding.EncodeToString([]byte("al\xffce:pw")),
	} {
		if _, _, err := Parse(in); reason.CodeOf(err) != reason.BasicMalformed {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// countingStore counts user look-ups, which cache hits skip.
type countingStore struct {
	store.Store
	lookups atomic.Int32
}

func (c *countingStore) User(ctx context.Context, name string) (store.User, error) {
	c.lookups.Add(1)
	return c.Store.User(ctx, name)
}

func newStore(t testing.TB) (*sqlite.Store, string) {
	dir := t.TempDir()
	s, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

func addUser(t testing.TB, s store.Store, name, pw string) {
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddUser(context.Background(), store.User{Name: name, Hash: h, Scopes: []string{"read"}}, "t"); err != nil {
		t.Fatal(err)
	}
}

func TestVerify(t *testing.T) {
	ctx := context.Background()
	s, dir := newStore(t)
	cs := &countingStore{Store: s}
	v := NewVerifier(cs, Options{})
	addUser(t, s, "alice", "correct horse")
	id, err := v.Verify(ctx, b64("alice:correct horse"))
	if err != nil || id.Subject != "alice" || !id.HasScope("read") {
		t.Fatalf("good: %+v %v", id, err)
	}
	if _, err := v.Verify(ctx, b64("alice:correct horse")); err != nil || cs.lookups.Load() != 1 {
		t.Fatalf("second use: %v, %d look-ups (want 1: cache hit)", err, cs.lookups.Load())
	}
	_, errWrong := v.Verify(ctx, b64("alice:wrong"))
	_, errUnknown := v.Verify(ctx, b64("mallory:x"))
	if reason.CodeOf(errWrong) != reason.BasicInvalid || reason.CodeOf(errUnknown) != reason.BasicInvalid ||
		reason.From(errWrong).Detail != reason.From(errUnknown).Detail {
		t.Fatalf("wrong password %v / unknown user %v must be indistinguishable", errWrong, errUnknown)
	}

	// Writes that change no decision keep the cache: last-used times of
	// API keys, another user's change.
	lookups := cs.lookups.Load()
	if err := s.TouchKeys(ctx, map[string]time.Time{"nokey": time.Now()}); err != nil {
		t.Fatal(err)
	}
	addUser(t, s, "zed", "correct horse")
	if _, err := v.Verify(ctx, b64("alice:correct horse")); err != nil || cs.lookups.Load() != lookups {
		t.Fatalf("after unrelated writes: %v, %d look-ups (want %d: still cached)", err, cs.lookups.Load(), lookups)
	}

	// Another process changes the password, then removes the user: both
	// take effect on the next request although the pair is cached.
	cli, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	h, _ := HashPassword("battery staple")
	if err := cli.SetPassword(ctx, "alice", h, "cli"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, b64("alice:correct horse")); reason.CodeOf(err) != reason.BasicInvalid {
		t.Fatalf("old password after change: %v", err)
	}
	if _, err := v.Verify(ctx, b64("alice:battery staple")); err != nil {
		t.Fatalf("new password: %v", err)
	}
	if err := cli.RemoveUser(ctx, "alice", "cli"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, b64("alice:battery staple")); reason.CodeOf(err) != reason.BasicInvalid {
		t.Fatalf("removed user: %v", err)
	}
}

func TestHtpasswdImportAndRehash(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	bc, _ := bcrypt.GenerateFromPassword([]byte("s3cret-pw"), bcrypt.MinCost)
	file := "# comment\nbob:" + string(bc) + "\ncarol:$apr1$abc$def\ndave:{SHA}xyz=\nbad line\n"
	entries, problems, err := ParseHtpasswd(strings.NewReader(file))
	if err != nil || len(entries) != 1 || entries[0].User != "bob" || len(problems) != 3 {
		t.Fatalf("entries %+v problems %q err %v", entries, problems, err)
	}
	s.AddUser(ctx, store.User{Name: "bob", Hash: entries[0].Hash}, "import")
	v := NewVerifier(s, Options{})
	if _, err := v.Verify(ctx, b64("bob:s3cret-pw")); err != nil {
		t.Fatal(err)
	}
	u, _ := s.User(ctx, "bob")
	if !strings.HasPrefix(u.Hash, "$argon2id$") {
		t.Fatalf("bcrypt hash not upgraded: %s", u.Hash[:7])
	}
	v2 := NewVerifier(s, Options{})
	if _, err := v2.Verify(ctx, b64("bob:s3cret-pw")); err != nil {
		t.Fatalf("after re-hash: %v", err)
	}
}

func TestHashingIsCapped(t *testing.T) {
	s, _ := newStore(t)
	addUser(t, s, "alice", "correct horse")
	v := NewVerifier(s, Options{MaxConcurrent: 1, QueueTimeout: 50 * time.Millisecond})
	v.slots <- struct{}{} // another check holds the only slot
	_, err := v.Verify(context.Background(), b64("alice:guess"))
	if re := reason.From(err); re.Code != reason.AuthUnavailable || re.RetryAfter <= 0 {
		t.Fatalf("saturated hashing: %v", err)
	}
	<-v.slots
	if _, err := v.Verify(context.Background(), b64("alice:correct horse")); err != nil {
		t.Fatal(err)
	}
}

// TestColdStampedeHashesOnce: 32 concurrent requests with the same
// user:password, none cached, share one look-up and one hash check, and
// all get the same answer; a wrong password among them is judged on its
// own.
func TestColdStampedeHashesOnce(t *testing.T) {
	s, _ := newStore(t)
	addUser(t, s, "alice", "correct horse")
	cs := &countingStore{Store: s}
	v := NewVerifier(cs, Options{})
	defer v.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 33)
	start := make(chan struct{})
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := v.Verify(context.Background(), b64("alice:correct horse"))
			errs <- err
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		if _, err := v.Verify(context.Background(), b64("alice:wrong horse")); reason.CodeOf(err) != reason.BasicInvalid {
			errs <- fmt.Errorf("the wrong password: %v", err)
		}
	}()
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// One flight for the right password (sometimes two, when one finished
	// before the rest arrived: never one per request), one for the wrong.
	if n := cs.lookups.Load(); n > 4 {
		t.Fatalf("%d look-ups for 32 requests with one credential and 1 with another", n)
	}
}

func BenchmarkBasic(b *testing.B) {
	s, _ := newStore(b)
	addUser(b, s, "alice", "correct horse")
	v := NewVerifier(s, Options{})
	cred := b64("alice:correct horse")
	b.Run("cold-argon2id", func(b *testing.B) {
		for b.Loop() {
			if ok, err := checkPassword(v.dummy, "x"); ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
	v.Verify(context.Background(), cred)
	b.Run("verify-cached", func(b *testing.B) {
		for b.Loop() {
			if _, err := v.Verify(context.Background(), cred); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func FuzzParse(f *testing.F) {
	f.Add(b64("alice:pw"))
	f.Add("$(echo)")
	f.Fuzz(func(t *testing.T, s string) {
		u, p, err := Parse(s)
		if err != nil {
			if reason.CodeOf(err) != reason.BasicMalformed {
				t.Fatalf("reason %s", reason.CodeOf(err))
			}
			return
		}
		if strings.HasSuffix(p, "\n") || strings.Contains(u, ":") {
			t.Fatalf("accepted user %q password %q", u, p)
		}
	})
}

func FuzzHtpasswd(f *testing.F) {
	f.Add("bob:$2y$05$abcdefghijklmnopqrstuu\n# c\ncarol:$apr1$x$y\n")
	f.Fuzz(func(t *testing.T, s string) {
		entries, _, _ := ParseHtpasswd(strings.NewReader(s))
		for _, e := range entries {
			if e.User == "" || !IsBcrypt(e.Hash) {
				t.Fatalf("bad entry %+v", e)
			}
		}
	})
}

// TestUnknownUserHash: the hash an unknown user's password is checked
// against costs what a real one does (HashPassword's parameters, the
// same length of sum), matches no password, and differs each time.
func TestUnknownUserHash(t *testing.T) {
	stored, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	params := func(h string) string {
		parts := strings.Split(h, "$")
		if len(parts) != 6 {
			t.Fatalf("not a PHC string: %d parts", len(parts))
		}
		sum, err := base64.RawStdEncoding.DecodeString(parts[5])
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%s$%s$%s$%d", parts[1], parts[2], parts[3], len(sum))
	}
	dummy := unknownUserHash()
	if got, want := params(dummy), params(stored); got != want {
		t.Errorf("unknown-user hash %q, want the parameters of HashPassword's %q", got, want)
	}
	for _, password := range []string{"", "correct horse", "x"} {
		if ok, err := checkPassword(dummy, password); ok || err != nil {
			t.Errorf("checkPassword(unknown-user hash, %q) = %v, %v; want false, nil", password, ok, err)
		}
	}
	if unknownUserHash() == dummy {
		t.Error("two unknown-user hashes are the same")
	}
}
