// Package storetest is the behaviour every store.Store must have, as one
// test suite that each implementation runs against itself (SQLite,
// PostgreSQL): the same answers, the same errors, the same change stream.
package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/eventually"
	"github.com/authgate/authgate/store"
)

// Open returns two stores over the same (fresh) data, as two gateway
// instances would see it; both are closed by the caller's cleanup.
type Open func(t *testing.T) (a, b store.Store)

// Run runs the whole suite.
func Run(t *testing.T, open Open) {
	t.Run("KeysUsersAudit", func(t *testing.T) { keysUsersAudit(t, open) })
	t.Run("ChangeStream", func(t *testing.T) { changeStream(t, open) })
	t.Run("CacheFollowsChanges", func(t *testing.T) { cacheFollowsChanges(t, open) })
	t.Run("ExportImport", func(t *testing.T) { exportImport(t, open) })
}

// Fill writes one of everything a store holds: keys of both kinds, one
// revoked, one rotated, one used, users, and their audit trail.
func Fill(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	admin := Key("adm")
	admin.Kind, admin.Scopes = store.KindAdmin, nil
	metered := Key("b")
	metered.QuotaRequests, metered.QuotaPer = 1000, time.Minute
	for _, err := range []error{
		s.CreateKey(ctx, Key("a"), "t"), s.CreateKey(ctx, metered, "t"), s.CreateKey(ctx, admin, "t"),
		s.RevokeKey(ctx, "a", time.Now(), "t"), s.RotateKey(ctx, "b", time.Now().Add(time.Hour), Key("c"), "t"),
		s.TouchKeys(ctx, map[string]time.Time{"c": time.Now()}),
		s.AddUser(ctx, store.User{Name: "u1", Hash: "h1", Scopes: []string{"read"}}, "t"),
		s.AddUser(ctx, store.User{Name: "u2", Hash: "h2"}, "t"), s.SetPassword(ctx, "u2", "h3", "t"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func exportImport(t *testing.T, open Open) {
	ctx := context.Background()
	src, _ := open(t)
	Fill(t, src)
	snap, err := src.Export(ctx)
	if err != nil || len(snap.Keys) != 4 || len(snap.Users) != 2 || len(snap.Audit) != 8 {
		t.Fatalf("export: %s %v", snap.Counts(), err)
	}
	dst, peer := open(t)
	var seen Recorder
	defer peer.Subscribe(seen.Add)()
	if err := dst.Import(ctx, snap, false); err != nil {
		t.Fatal(err)
	}
	seen.WaitFor(t, store.Change{Kind: store.AllChanged}, time.Second)
	got, err := dst.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got.Audit = got.Audit[:len(got.Audit)-1] // the import's own event
	if got.Checksum() != snap.Checksum() {
		t.Fatalf("imported %s, checksum differs from the source's %s", got.Counts(), snap.Counts())
	}
	if err := dst.Import(ctx, snap, false); !errors.Is(err, store.ErrExists) {
		t.Fatalf("import into a store that holds keys: %v", err)
	}
	more := store.Snapshot{Keys: []store.Key{Key("new")}, Users: snap.Users}
	if err := dst.Import(ctx, more, true); err != nil {
		t.Fatalf("merge: %v", err)
	}
	if k, err := dst.KeyByID(ctx, "new"); err != nil || k.ID != "new" {
		t.Fatalf("merged key: %v", err)
	}
}

// Key is a key record for tests.
func Key(id string) store.Key {
	return store.Key{ID: id, Name: "n-" + id, Environment: "live", Scopes: []string{"read", "write"},
		Hash: []byte("hash-" + id), Created: time.Now()}
}

func keysUsersAudit(t *testing.T, open Open) {
	ctx := context.Background()
	s, _ := open(t)
	if err := s.CreateKey(ctx, Key("a"), "t"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateKey(ctx, Key("a"), "t"); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate key: %v", err)
	}
	k, err := s.KeyByHash(ctx, []byte("hash-a"))
	if err != nil || k.ID != "a" || len(k.Scopes) != 2 || !k.RevokedAt.IsZero() || k.Kind != store.KindAPI {
		t.Fatalf("KeyByHash: %+v %v", k, err)
	}
	if _, err := s.KeyByHash(ctx, []byte("nope")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing key: %v", err)
	}
	if err := s.RevokeKey(ctx, "a", time.Now(), "t"); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeKey(ctx, "zz", time.Now(), "t"); !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), `"zz"`) {
		t.Fatalf("revoke missing (the error names the key): %v", err)
	}
	if _, err := s.KeyByID(ctx, "zz"); !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), `"zz"`) {
		t.Fatalf("missing key by id (the error names it): %v", err)
	}
	if k, _ := s.KeyByID(ctx, "a"); k.RevokedAt.IsZero() {
		t.Fatal("revocation not stored")
	}
	s.CreateKey(ctx, Key("b"), "t")
	until := time.Now().Add(time.Hour)
	if err := s.RotateKey(ctx, "b", until, Key("c"), "t"); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.KeyByID(ctx, "b"); b.ReplacedBy != "c" || b.Expires.Sub(until).Abs() > time.Millisecond {
		t.Fatalf("rotated: %+v", b)
	}
	admin := Key("d")
	admin.Kind, admin.Scopes = store.KindAdmin, nil
	if err := s.CreateKey(ctx, admin, "t"); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.KeyByID(ctx, "d"); d.Kind != store.KindAdmin || len(d.Scopes) != 0 {
		t.Fatalf("admin key: %+v", d)
	}
	metered := Key("e")
	metered.QuotaRequests, metered.QuotaPer = 100, time.Minute
	if err := s.CreateKey(ctx, metered, "t"); err != nil {
		t.Fatal(err)
	}
	if e, _ := s.KeyByID(ctx, "e"); e.QuotaRequests != 100 || e.QuotaPer != time.Minute {
		t.Fatalf("key quota: %+v", e)
	}
	now := time.Now()
	if err := s.TouchKeys(ctx, map[string]time.Time{"c": now}); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.KeyByID(ctx, "c"); c.LastUsed.Sub(now).Abs() > time.Millisecond {
		t.Fatalf("last_used not written: %v", c.LastUsed)
	}
	// An older time (another instance's late batch) never moves it back;
	// an unknown id is no error.
	if err := s.TouchKeys(ctx, map[string]time.Time{"c": now.Add(-time.Hour), "nope": now}); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.KeyByID(ctx, "c"); c.LastUsed.Sub(now).Abs() > time.Millisecond {
		t.Fatalf("last_used moved back: %v", c.LastUsed)
	}
	if keys, err := s.Keys(ctx); err != nil || len(keys) != 5 || keys[0].ID != "a" {
		t.Fatalf("Keys: %d %v", len(keys), err)
	}
	if err := s.AddUser(ctx, store.User{Name: "u", Hash: "h1", Scopes: []string{"read"}}, "t"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddUser(ctx, store.User{Name: "u", Hash: "h1"}, "t"); !errors.Is(err, store.ErrExists) || !strings.Contains(err.Error(), `"u"`) {
		t.Fatalf("duplicate user (the error names it): %v", err)
	}
	if err := s.SetPassword(ctx, "u", "h2", "t"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, "nobody", "h2", "t"); !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), `"nobody"`) {
		t.Fatalf("password of a missing user (the error names the user): %v", err)
	}
	if u, _ := s.User(ctx, "u"); u.Hash != "h2" || u.Scopes[0] != "read" {
		t.Fatalf("user: %+v", u)
	}
	if users, err := s.Users(ctx); err != nil || len(users) != 1 {
		t.Fatalf("Users: %v %v", users, err)
	}
	if err := s.RemoveUser(ctx, "u", "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.User(ctx, "u"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("removed user: %v", err)
	}
	events, _ := s.Audit(ctx, 100)
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
	}
	want := "user.remove user.passwd user.add key.create key.create key.rotate key.create key.revoke key.create"
	if got := strings.Join(actions, " "); got != want {
		t.Fatalf("audit %q, want %q", got, want)
	}
	if err := s.Ping(ctx); err != nil || s.Problem() != nil {
		t.Fatalf("ping %v, problem %v", err, s.Problem())
	}
}

// Recorder collects the changes a store announces.
type Recorder struct {
	mu  sync.Mutex
	got []store.Change
}

// Add is a store.Store.Subscribe callback.
func (r *Recorder) Add(c store.Change) { r.mu.Lock(); r.got = append(r.got, c); r.mu.Unlock() }

// Take returns and forgets what was recorded.
func (r *Recorder) Take() []store.Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.got
	r.got = nil
	return out
}

// WaitFor waits for want to be announced and says how long it took.
func (r *Recorder) WaitFor(t *testing.T, want store.Change, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < within {
		for _, c := range r.Take() {
			if c == want {
				return time.Since(start)
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("no %+v within %s", want, within)
	return 0
}

func changeStream(t *testing.T, open Open) {
	ctx := context.Background()
	a, b := open(t)
	var seen Recorder
	cancel := a.Subscribe(seen.Add)
	defer cancel()

	if err := a.CreateKey(ctx, Key("a"), "t"); err != nil {
		t.Fatal(err)
	}
	if got := seen.Take(); len(got) != 1 || got[0] != (store.Change{Kind: store.KeyChanged, Key: "a"}) {
		t.Fatalf("own write, before it returned: %+v", got)
	}
	if err := b.RevokeKey(ctx, "a", time.Now(), "cli"); err != nil {
		t.Fatal(err)
	}
	took := seen.WaitFor(t, store.Change{Kind: store.KeyChanged, Key: "a"}, time.Second)
	t.Logf("another instance's revocation announced after %s", took)
	if err := b.AddUser(ctx, store.User{Name: "bob", Hash: "x"}, "cli"); err != nil {
		t.Fatal(err)
	}
	seen.WaitFor(t, store.Change{Kind: store.UserChanged, User: "bob"}, time.Second)
	if err := a.TouchKeys(ctx, map[string]time.Time{"a": time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := b.TouchKeys(ctx, map[string]time.Time{"a": time.Now()}); err != nil {
		t.Fatal(err)
	}
	// "Nothing announced" is proven by a later change, not a pause: once
	// carol's is announced, what the touches could have caused has come
	// (the stream is in commit order), and only carol's may be there.
	if err := b.AddUser(ctx, store.User{Name: "carol", Hash: "x"}, "cli"); err != nil {
		t.Fatal(err)
	}
	carol := store.Change{Kind: store.UserChanged, User: "carol"}
	var got []store.Change
	eventually.True(t, 10*time.Second, "carol's change announced", func() bool {
		got = append(got, seen.Take()...)
		return slices.Contains(got, carol)
	})
	if len(got) != 1 {
		t.Fatalf("last-used times or echoes announced: %+v", got)
	}
	a.Close()
	if got := seen.Take(); len(got) != 1 || got[0].Kind != store.Unavailable {
		t.Fatalf("close: %+v", got)
	}
}

func cacheFollowsChanges(t *testing.T, open Open) {
	ctx := context.Background()
	s, _ := open(t)
	c := store.NewCache[string](s, 10, func(k store.Key, ch store.Change) bool { return ch.Kind == store.KeyChanged && ch.Key == k.ID })
	defer c.Close()
	_, _, gen := c.Get("ha")
	c.Put(gen, "ha", Key("a"))
	c.Put(gen, "hb", Key("b"))
	_, _, stale := c.Get("hc")
	if err := s.CreateKey(ctx, Key("a"), "t"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.Get("ha"); ok {
		t.Fatal("the changed key is still cached")
	}
	if _, ok, _ := c.Get("hb"); !ok {
		t.Fatal("an unrelated key was dropped")
	}
	c.Put(stale, "hc", Key("c"))
	if _, ok, _ := c.Get("hc"); ok {
		t.Fatal("a value read before a change was stored after it")
	}
	s.Close()
	if _, ok, _ := c.Get("hb"); ok {
		t.Fatal("a cache hit while changes cannot be followed")
	}
}
