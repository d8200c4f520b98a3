package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// Session bounds: the defaults of the console's sessions.
const (
	// DefaultIdle ends a session nobody used for this long.
	DefaultIdle = 30 * time.Minute
	// DefaultAbsolute ends every session this long after sign-in.
	DefaultAbsolute = 12 * time.Hour
	// maxSessions bounds the sessions held; the oldest is ended first.
	maxSessions = 1000
)

// Cookie names: under TLS the __Host- prefix pins the cookie to this
// origin (Secure, Path=/, no Domain); over plain HTTP (a loopback admin
// listener) the browser would refuse a __Host- cookie, so the name is
// plain and the cookie is not Secure.
const (
	cookieTLS   = "__Host-authgate_console"
	cookiePlain = "authgate_console"
	// signInCookie carries the sign-in form's CSRF token before a session
	// exists (double submit).
	signInCookieTLS   = "__Host-authgate_console_signin"
	signInCookiePlain = "authgate_console_signin"
)

// Sessions holds the console's signed-in sessions in memory. It outlives
// configuration reloads (build one per process); a restart signs everyone
// out. The cookie holds a random id; only its SHA-256 is kept here.
type Sessions struct {
	// Idle and Absolute bound a session's life.
	Idle, Absolute time.Duration
	now            func() time.Time

	mu   sync.Mutex
	byID map[[32]byte]*session
}

// session is one signed-in operator.
type session struct {
	// subject is the admin credential's subject ("apikey:<id>", a JWT's
	// sub, or "oidc:<issuer>:<sub>").
	subject string
	// name is how pages name the operator (the key's name, an e-mail).
	name string
	// role is config.RoleAdmin or config.RoleViewer.
	role string
	// notice is what the last change did, shown by the next page once
	// (guarded by Sessions.mu).
	notice string
	// csrf is the token every state-changing request must carry.
	csrf    string
	created time.Time
	seen    time.Time
	// ends is the absolute end: sign-in plus Absolute, or the admin
	// credential's own expiry if sooner.
	ends time.Time
}

// NewSessions returns an empty session store with the default bounds,
// reading the clock now (nil: time.Now). Give it the clock that judged the
// admin credentials, so that a session ends at its JWT's exp on the same
// clock that accepted the JWT.
func NewSessions(now func() time.Time) *Sessions {
	if now == nil {
		now = time.Now
	}
	return &Sessions{Idle: DefaultIdle, Absolute: DefaultAbsolute, now: now, byID: map[[32]byte]*session{}}
}

// randomToken is 32 random bytes, base64url.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// start signs subject in with role until at most expires (zero: no
// credential expiry) and returns the cookie value; pages call the
// operator name.
func (s *Sessions) start(subject, name, role string, expires time.Time) (string, *session) {
	now := s.now()
	id := randomToken()
	ss := &session{subject: subject, name: name, role: role, csrf: randomToken(), created: now, seen: now, ends: now.Add(s.Absolute)}
	if !expires.IsZero() && expires.Before(ss.ends) {
		ss.ends = expires
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.byID {
		if s.over(v, now) {
			delete(s.byID, k)
		}
	}
	if len(s.byID) >= maxSessions {
		evictOldest(s.byID, func(v *session) time.Time { return v.created })
	}
	s.byID[sha256.Sum256([]byte(id))] = ss
	return id, ss
}

// evictOldest deletes the entry of m that began first (by began).
func evictOldest[V any](m map[[32]byte]V, began func(V) time.Time) {
	var oldest [32]byte
	var at time.Time
	for k, v := range m {
		if t := began(v); at.IsZero() || t.Before(at) {
			oldest, at = k, t
		}
	}
	delete(m, oldest)
}

// over reports whether ss has ended at now.
func (s *Sessions) over(ss *session, now time.Time) bool {
	return !now.Before(ss.ends) || now.Sub(ss.seen) >= s.Idle
}

// lookup returns the live session of cookie value id and marks it used.
func (s *Sessions) lookup(id string) (*session, bool) {
	if id == "" {
		return nil, false
	}
	key := sha256.Sum256([]byte(id))
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.byID[key]
	if !ok {
		return nil, false
	}
	if s.over(ss, now) {
		delete(s.byID, key)
		return nil, false
	}
	ss.seen = now
	return ss, true
}

// end signs the session of cookie value id out.
func (s *Sessions) end(id string) {
	s.mu.Lock()
	delete(s.byID, sha256.Sum256([]byte(id)))
	s.mu.Unlock()
}

// endSubject signs every session of subject out (its key was revoked).
func (s *Sessions) endSubject(subject string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.byID {
		if v.subject == subject {
			delete(s.byID, k)
		}
	}
}

// notify keeps a notice for ss's next page.
func (s *Sessions) notify(ss *session, notice string) {
	s.mu.Lock()
	ss.notice = notice
	s.mu.Unlock()
}

// takeNotice returns ss's notice, once.
func (s *Sessions) takeNotice(ss *session) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := ss.notice
	ss.notice = ""
	return n
}

// sameToken compares two CSRF tokens in constant time.
func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// cookieName is the session cookie's name for r's connection.
func cookieName(r *http.Request, tlsName, plainName string) string {
	if r.TLS != nil {
		return tlsName
	}
	return plainName
}

// setCookie writes a console cookie: HttpOnly, SameSite=Strict, Path=/
// (required by __Host-), Secure under TLS; maxAge 0 is a session cookie,
// < 0 deletes it.
func setCookie(w http.ResponseWriter, r *http.Request, tlsName, plainName, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: cookieName(r, tlsName, plainName), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

// cookieValue reads a console cookie of r.
func cookieValue(r *http.Request, tlsName, plainName string) string {
	c, err := r.Cookie(cookieName(r, tlsName, plainName))
	if err != nil {
		return ""
	}
	return c.Value
}
