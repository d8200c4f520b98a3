package postgres

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/pgtest"
	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/store/storetest"
)

// frozenBound is how long any store call may take while its connections
// hang: the default query timeout (2 s) and generous slack.
const frozenBound = 5 * time.Second

// TestEveryCallBoundedWhenFrozen: with every connection to PostgreSQL
// hanging (a stalled pgbouncer, a partition: no reset, no answer), every
// method of store.Store returns within the query timeout and slack, with
// an error that is store.ErrUnavailable (so 503, never 401); the change
// stream says Unavailable and Problem names the lost stream. The table
// must cover every method of the interface.
func TestEveryCallBoundedWhenFrozen(t *testing.T) {
	dsn := pgtest.DSN(t)
	proxy, via := pgtest.ProxyDSN(t, dsn)
	s := open(t, via)
	storetest.Fill(t, s)
	var seen storetest.Recorder
	defer s.Subscribe(seen.Add)()
	defer proxy.Thaw() // a failure must not leave the cleanup hanging
	ctx := context.Background()
	snap := store.Snapshot{Keys: []store.Key{storetest.Key("new")}}
	fails := func(err error) error {
		if !errors.Is(err, store.ErrUnavailable) {
			return errors.New("want store.ErrUnavailable, got " + errString(err))
		}
		return nil
	}
	calls := []struct {
		method string
		call   func() error
	}{
		{"CreateKey", func() error { return fails(s.CreateKey(ctx, storetest.Key("x"), "t")) }},
		{"KeyByHash", func() error { _, err := s.KeyByHash(ctx, []byte("hash-c")); return fails(err) }},
		{"KeyByID", func() error { _, err := s.KeyByID(ctx, "c"); return fails(err) }},
		{"Keys", func() error { _, err := s.Keys(ctx); return fails(err) }},
		{"RevokeKey", func() error { return fails(s.RevokeKey(ctx, "c", time.Now(), "t")) }},
		{"RotateKey", func() error { return fails(s.RotateKey(ctx, "c", time.Now(), storetest.Key("d"), "t")) }},
		{"TouchKeys", func() error { return fails(s.TouchKeys(ctx, map[string]time.Time{"c": time.Now()})) }},
		{"AddUser", func() error { return fails(s.AddUser(ctx, store.User{Name: "u3", Hash: "h"}, "t")) }},
		{"User", func() error { _, err := s.User(ctx, "u1"); return fails(err) }},
		{"Users", func() error { _, err := s.Users(ctx); return fails(err) }},
		{"SetPassword", func() error { return fails(s.SetPassword(ctx, "u1", "h", "t")) }},
		{"RemoveUser", func() error { return fails(s.RemoveUser(ctx, "u1", "t")) }},
		{"Audit", func() error { _, err := s.Audit(ctx, 10); return fails(err) }},
		{"Export", func() error { _, err := s.Export(ctx); return fails(err) }},
		{"Import", func() error { return fails(s.Import(ctx, snap, true)) }},
		{"Ping", func() error { return fails(s.Ping(ctx)) }},
		{"Subscribe", func() error { // the stream says it cannot follow
			return poll(func() bool { return slices.Contains(seen.Take(), store.Change{Kind: store.Unavailable}) })
		}},
		{"Problem", func() error { return poll(func() bool { return s.Problem() != nil }) }},
	}
	var names []string
	for _, c := range calls {
		names = append(names, c.method)
	}
	iface := reflect.TypeFor[store.Store]()
	for i := range iface.NumMethod() {
		if m := iface.Method(i).Name; m != "Close" && !slices.Contains(names, m) {
			t.Errorf("store.Store.%s is not in the table of calls under a frozen connection", m)
		}
	}

	proxy.Freeze()
	type result struct {
		method string
		err    error
		took   time.Duration
	}
	results := make(chan result, len(calls))
	start := time.Now()
	for _, c := range calls {
		go func() {
			err := c.call()
			results <- result{c.method, err, time.Since(start)}
		}()
	}
	timeout := time.After(frozenBound)
	for range calls {
		select {
		case r := <-results:
			if r.err != nil {
				t.Errorf("%s under a frozen connection: %v", r.method, r.err)
			} else {
				t.Logf("%s answered after %s", r.method, r.took.Round(time.Millisecond))
			}
			names = slices.DeleteFunc(names, func(n string) bool { return n == r.method })
		case <-timeout:
			t.Fatalf("still hanging after %s under a frozen connection: %v", frozenBound, names)
		}
	}
	if p := s.Problem(); p != nil {
		t.Logf("problem: %v", p)
	}
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(frozenBound):
		t.Fatalf("Close still hanging after %s under a frozen connection", frozenBound)
	}
}

// poll waits up to frozenBound for cond.
func poll(cond func() bool) error {
	for deadline := time.Now().Add(frozenBound); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return nil
		}
	}
	return errors.New("not within " + frozenBound.String())
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

// TestCacheMadeDuringAnOutageIsNotUsed: a cache made while the change
// stream is lost (a reload builds new caches) hears Unavailable at once
// and stores nothing, so an entry read then cannot outlive a change it
// missed; after the thaw the stream resumes (AllChanged) and a change
// made during the outage is read fresh.
func TestCacheMadeDuringAnOutageIsNotUsed(t *testing.T) {
	dsn := pgtest.DSN(t)
	proxy, via := pgtest.ProxyDSN(t, dsn)
	a, err := Open(context.Background(), via, Options{QueryTimeout: 500 * time.Millisecond, Heartbeat: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b := open(t, dsn)
	ctx := context.Background()
	if err := b.CreateKey(ctx, storetest.Key("k"), "t"); err != nil {
		t.Fatal(err)
	}
	var seen storetest.Recorder
	defer a.Subscribe(seen.Add)()
	defer proxy.Thaw()
	proxy.Freeze()
	if err := poll(func() bool { return a.Problem() != nil }); err != nil {
		t.Fatalf("the lost stream is not a problem: %v", err)
	}
	var late storetest.Recorder
	defer a.Subscribe(late.Add)()
	if got := late.Take(); !slices.Contains(got, store.Change{Kind: store.Unavailable}) {
		t.Fatalf("a subscriber during the outage heard %+v, want Unavailable at once", got)
	}
	c := store.NewCache[string](a, 10, func(store.Key, store.Change) bool { return true })
	defer c.Close()
	_, _, gen := c.Get("k")
	c.Put(gen, "k", storetest.Key("k"))
	if _, ok, _ := c.Get("k"); ok {
		t.Fatal("a cache made during the outage serves an entry")
	}
	if err := b.RevokeKey(ctx, "k", time.Now(), "t"); err != nil {
		t.Fatal(err)
	}
	proxy.Thaw()
	seen.WaitFor(t, store.Change{Kind: store.AllChanged}, frozenBound)
	if k, err := a.KeyByID(ctx, "k"); err != nil || k.RevokedAt.IsZero() {
		t.Fatalf("after the thaw: %+v %v", k, err)
	}
	if err := a.Problem(); err != nil {
		t.Fatalf("after the thaw: %v", err)
	}
}

// TestHeartbeatKeepsAQuietStreamUp: a stream that hears no change for
// many heartbeats stays up (each heartbeat's round trip answers): no
// Unavailable, no AllChanged, no problem — and a change still arrives.
func TestHeartbeatKeepsAQuietStreamUp(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, err := Open(context.Background(), dsn, Options{Heartbeat: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b := open(t, dsn)
	var seen storetest.Recorder
	defer a.Subscribe(seen.Add)()
	deadline := time.Now().Add(time.Second) // ten heartbeats
	for time.Now().Before(deadline) {
		if got := seen.Take(); len(got) != 0 {
			t.Fatalf("a quiet stream announced %+v", got)
		}
		if err := a.Problem(); err != nil {
			t.Fatalf("a quiet stream: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := b.CreateKey(context.Background(), storetest.Key("k"), "t"); err != nil {
		t.Fatal(err)
	}
	seen.WaitFor(t, store.Change{Kind: store.KeyChanged, Key: "k"}, frozenBound)
}
