package basic

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/singleflight"

	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/reason"
	"github.com/authgate/authgate/store"
)

// Parse decodes the token68 of a Basic Authorization header into user and
// password. Errors are basic_malformed and never echo the value.
func Parse(value string) (user, password string, err error) {
	if strings.ContainsAny(value, "\r\n") {
		return "", "", reason.New(reason.BasicMalformed, "the base64 is wrapped over several lines (use base64 -w0)")
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(value)
	if err != nil {
		if _, err2 := base64.RawStdEncoding.DecodeString(value); err2 == nil {
			raw, err = base64.RawStdEncoding.DecodeString(value)
		}
	}
	if err != nil {
		return "", "", reason.New(reason.BasicMalformed, "the Basic credentials are not valid base64 (did the shell leave $(...) unexpanded?)")
	}
	if !utf8.Valid(raw) {
		return "", "", reason.New(reason.BasicMalformed, "the decoded Basic credentials are not UTF-8")
	}
	s := string(raw)
	if strings.HasSuffix(s, "\n") {
		return "", "", reason.New(reason.BasicMalformed, "the decoded credentials end with a newline: encode with echo -n (or printf), not echo")
	}
	user, password, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", reason.New(reason.BasicMalformed, "the decoded credentials have no ':' between user and password")
	}
	return user, password, nil
}

// Options tune a Verifier; they are the configuration file's basic
// section as it is.
type Options struct {
	// CacheTTL is how long a verified user:password skips the hash (60s).
	CacheTTL time.Duration `yaml:"cache_ttl"`
	// MaxConcurrent bounds simultaneous hash checks (default 2).
	MaxConcurrent int `yaml:"max_concurrent"`
	// QueueTimeout is how long a request waits for a hashing slot before
	// 503 (default 2s).
	QueueTimeout time.Duration `yaml:"queue_timeout"`
	Logger       *slog.Logger  `yaml:"-"`
}

type verified struct {
	user    string
	scopes  []string
	expires time.Time
}

// Verifier checks Basic credentials against a Store.
type Verifier struct {
	store store.Store
	opts  Options
	// macs key the cache: HMAC-SHA-256s under a key drawn at start,
	// reused (Reset keeps the key's pads), so the key schedule is not
	// paid on every request.
	macs  sync.Pool
	cache *store.Cache[[sha256.Size]byte, verified]
	slots chan struct{}
	// dummy is checked in place of an unknown user's hash.
	dummy string
	// flight shares one store look-up and hash check among concurrent
	// requests with the same user:password (keyed by its HMAC, never
	// the password), so a cold stampede costs one hash, not one each.
	flight singleflight.Group
}

// NewVerifier returns a Verifier over s.
func NewVerifier(s store.Store, opts Options) *Verifier {
	if opts.CacheTTL == 0 {
		opts.CacheTTL = time.Minute
	}
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = 2
	}
	if opts.QueueTimeout == 0 {
		opts.QueueTimeout = 2 * time.Second
	}
	key := make([]byte, 32)
	rand.Read(key)
	v := &Verifier{store: s, opts: opts, dummy: unknownUserHash(), slots: make(chan struct{}, opts.MaxConcurrent)}
	v.macs.New = func() any { return hmac.New(sha256.New, key) }
	if s != nil {
		v.cache = store.NewCache[[sha256.Size]byte](s, 10000, func(hit verified, ch store.Change) bool {
			return ch.Kind == store.UserChanged && hit.user == ch.User
		})
	}
	return v
}

// Verify checks the token68 of a Basic header.
func (v *Verifier) Verify(ctx context.Context, value string) (credential.Identity, error) {
	return v.verify(ctx, value, nil)
}

func (v *Verifier) verify(ctx context.Context, value string, t *credential.Trace) (credential.Identity, error) {
	const check = "user and password"
	user, password, err := Parse(value)
	if err := t.Check("encoding (base64 of user:password)", err); err != nil {
		return credential.Identity{}, err
	}
	if v.store == nil {
		return credential.Identity{}, t.Fail(check, &reason.Error{Code: reason.AuthUnavailable, Detail: "this gateway has no user store"})
	}
	ck := v.cacheKey(value)
	hit, ok, gen := v.cache.Get(ck)
	if ok && time.Now().Before(hit.expires) && !t.DryRun() {
		t.Pass(check, "verified earlier (cached)")
		return identity(hit.user, hit.scopes), nil
	}
	if t.DryRun() {
		id, _, err := v.judge(ctx, user, password, t)
		return id, err
	}
	type result struct {
		id    credential.Identity
		entry verified
	}
	r, err, _ := v.flight.Do(string(ck[:]), func() (any, error) {
		// The shared work must not end with the first caller's request.
		id, entry, err := v.judge(context.WithoutCancel(ctx), user, password, nil)
		return result{id, entry}, err
	})
	if err != nil {
		return credential.Identity{}, t.Fail(check, err)
	}
	res := r.(result)
	v.cache.Put(gen, ck, res.entry)
	t.Pass(check, "")
	return res.id, nil
}

// Remembered implements credential.Rememberer: a user:password verified
// within cache_ttl (refusals are not remembered).
func (v *Verifier) Remembered(p credential.Presented) (credential.Identity, error, bool) {
	if v.cache == nil {
		return credential.Identity{}, nil, false
	}
	hit, ok, _ := v.cache.Get(v.cacheKey(p.Value))
	if !ok || !time.Now().Before(hit.expires) {
		return credential.Identity{}, nil, false
	}
	return identity(hit.user, hit.scopes), nil, true
}

// cacheKey keys the cache of verified credentials by the header's
// token68 as sent, so that a hit needs no decoding: a keyed hash, so the
// cache holds no password. (Two encodings of one user:password, were
// they both accepted, are two entries.)
func (v *Verifier) cacheKey(value string) [sha256.Size]byte {
	m := v.macs.Get().(hash.Hash)
	m.Reset()
	io.WriteString(m, value)
	var ck [sha256.Size]byte
	m.Sum(ck[:0])
	v.macs.Put(m)
	return ck
}

// judge looks the user up and checks the password: the identity, what to
// cache, or why not.
func (v *Verifier) judge(ctx context.Context, user, password string, t *credential.Trace) (credential.Identity, verified, error) {
	const check = "user and password"
	u, err := v.store.User(ctx, user)
	found := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return credential.Identity{}, verified{}, t.Fail(check, unavailable(err))
	}
	hash := v.dummy
	if found {
		hash = u.Hash
	}
	good, err := v.check(ctx, hash, password)
	if err != nil {
		return credential.Identity{}, verified{}, t.Fail(check, err)
	}
	if !good || !found {
		return credential.Identity{}, verified{}, t.Fail(check, reason.New(reason.BasicInvalid, "user name or password is wrong"))
	}
	t.Pass(check, "")
	if !t.DryRun() && IsBcrypt(u.Hash) {
		v.upgrade(ctx, u.Name, password)
	}
	return identity(u.Name, u.Scopes), verified{user: u.Name, scopes: u.Scopes, expires: time.Now().Add(v.opts.CacheTTL)}, nil
}

// Close stops following the store's changes.
func (v *Verifier) Close() {
	if v.cache != nil {
		v.cache.Close()
	}
}

// check runs one hash comparison within the concurrency cap.
func (v *Verifier) check(ctx context.Context, hash, password string) (bool, error) {
	wait, cancel := context.WithTimeout(ctx, v.opts.QueueTimeout)
	defer cancel()
	select {
	case v.slots <- struct{}{}:
	case <-wait.Done():
		return false, &reason.Error{Code: reason.AuthUnavailable, RetryAfter: time.Second,
			Detail: "too many password checks at once; the gateway sheds load rather than queue without end"}
	}
	defer func() { <-v.slots }()
	good, err := checkPassword(hash, password)
	if err != nil {
		return false, &reason.Error{Code: reason.AuthUnavailable, Err: err, Detail: "a stored password hash is unusable"}
	}
	return good, nil
}

// upgrade re-hashes an imported bcrypt password as argon2id.
func (v *Verifier) upgrade(ctx context.Context, name, password string) {
	h, err := HashPassword(password)
	if err == nil {
		err = v.store.SetPassword(ctx, name, h, "authgate:rehash")
	}
	if err != nil && v.opts.Logger != nil {
		v.opts.Logger.Warn("re-hashing an imported bcrypt password failed", "user", name, "error", err.Error())
	}
}

func identity(user string, scopes []string) credential.Identity {
	return credential.Identity{Kind: "basic", Subject: user, Scopes: scopes}
}

func unavailable(err error) error {
	return &reason.Error{Code: reason.AuthUnavailable, RetryAfter: 5 * time.Second, Err: err, Detail: "the user store did not answer"}
}
