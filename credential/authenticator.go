package credential

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/authgate/authgate/challenge"
)

// An Authenticator judges one kind of credential — one scheme a route can
// list. It follows Oathkeeper's contract: Claims says "mine" or "not mine"
// before anything is judged, so a chain of authenticators finds the one
// responsible; Authenticate then answers an identity or a *reason.Error.
// Adding a scheme is one package that implements this and registers its
// SchemeInfo, plus one line where the gateway's authenticators are built.
type Authenticator interface {
	// Scheme is the name routes list under schemes ("bearer").
	Scheme() string
	// Claims reports whether p is this authenticator's to judge.
	Claims(p Presented) bool
	// Authenticate judges p and records each check it runs in t (which
	// may be nil; t.DryRun() forbids side effects). Errors are
	// *reason.Error.
	Authenticate(ctx context.Context, p Presented, t *Trace) (Identity, error)
	// Challenges are what a 401 offers for this scheme, without error
	// parameters; the responder adds those to the challenge of the
	// scheme the failing credential used.
	Challenges(realm string) []Challenge
}

// A Rememberer is an Authenticator that can answer from what it already
// knows — a credential it verified or refused before, still held — with
// no work a client could make expensive: no signature, no password hash,
// no store or network round trip. The gateway then only reads the
// failure limits instead of reserving a failure before the work: a known
// good credential costs the limiter (and a shared Redis) no write, while
// a locked-out client stays locked out and a known refusal still spends
// a failure.
type Rememberer interface {
	// Remembered answers p from memory; known is false when p is not
	// remembered, and Authenticate then judges it in full. err is a
	// *reason.Error. It has no side effects beyond cache statistics.
	Remembered(p Presented) (id Identity, err error, known bool)
}

// AccountNamer is implemented by authenticators whose credentials name an
// account before they are verified (a Basic user name): failures are then
// also limited per account, so guessing one user's password from many
// addresses is limited too. The name is used as a limiter key only.
type AccountNamer interface {
	Account(p Presented) string
}

// Challenge is a WWW-Authenticate challenge an authenticator offers.
type Challenge struct {
	challenge.Challenge
	// TakesErrors: RFC 6750-style error, error_description and scope
	// parameters may be added (Bearer, ApiKey); Basic takes none.
	TakesErrors bool
}

// BearerChallenge is the RFC 6750 challenge for realm; it takes error
// parameters.
func BearerChallenge(realm string) Challenge {
	return Challenge{Challenge: challenge.Challenge{Scheme: "Bearer", Params: []challenge.Param{{Name: "realm", Value: realm}}},
		TakesErrors: true}
}

// SchemeInfo describes a scheme for configuration checks and messages.
type SchemeInfo struct {
	// Name is what routes list under schemes.
	Name string
	// Title names its credentials in a message ("Bearer JWTs").
	Title string
	// UsesStore: its credentials live in the key and user store.
	UsesStore bool
}

var (
	schemesMu sync.RWMutex
	schemes   = map[string]SchemeInfo{}
)

// RegisterScheme makes a scheme known to the configuration; each scheme
// package calls it once from init. A second registration of a name panics.
func RegisterScheme(s SchemeInfo) {
	schemesMu.Lock()
	defer schemesMu.Unlock()
	if _, dup := schemes[s.Name]; dup {
		panic("credential: scheme " + s.Name + " registered twice")
	}
	schemes[s.Name] = s
}

// LookupScheme returns the registered scheme of name.
func LookupScheme(name string) (SchemeInfo, bool) {
	schemesMu.RLock()
	defer schemesMu.RUnlock()
	s, ok := schemes[name]
	return s, ok
}

// SchemeNames lists the registered schemes, sorted.
func SchemeNames() []string {
	schemesMu.RLock()
	defer schemesMu.RUnlock()
	out := make([]string, 0, len(schemes))
	for n := range schemes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// DescribeSchemes joins the titles of names for a message.
func DescribeSchemes(names []string) string {
	titles := make([]string, 0, len(names))
	for _, n := range names {
		if s, ok := LookupScheme(n); ok {
			titles = append(titles, s.Title)
		} else {
			titles = append(titles, n)
		}
	}
	return strings.Join(titles, ", ")
}

// Describe names what kind of credential p is without quoting any of it:
// a known scheme word is named, anything else is described by shape only,
// since a credential sent without a scheme word sits where the scheme
// would be.
func Describe(p Presented) string {
	if p.Header != "" && p.Header != "Authorization" {
		return "a credential in the " + p.Header + " header"
	}
	if p.Header == "" {
		return "a credential in the query string"
	}
	if name, ok := KnownScheme(p.Scheme); ok {
		return fmt.Sprintf("the scheme '%s'", name)
	}
	if p.Value == "" {
		return fmt.Sprintf("an Authorization header of one word (%d characters) and no scheme; if it is the credential itself, put 'Bearer ' (or the scheme the API wants) before it", len(p.Scheme))
	}
	return fmt.Sprintf("an Authorization header whose first word (%d characters) is no authentication scheme this gateway knows", len(p.Scheme))
}

// knownSchemes are the HTTP authentication schemes of the IANA registry
// and a few common non-registered ones: words that are safe to repeat,
// since no credential is spelled like them.
var knownSchemes = []string{"Basic", "Bearer", "Digest", "DPoP", "GNAP", "HOBA", "Mutual", "Negotiate", "NTLM", "OAuth",
	"PrivateToken", "SCRAM-SHA-1", "SCRAM-SHA-256", "vapid", "Concealed", "AWS4-HMAC-SHA256", "Token", "ApiKey", "Api-Key",
	"JWT", "Key", "MAC", "Hawk", "SharedKey", "SSWS", "GoogleLogin", "Splunk", "Kerberos"}

// KnownScheme returns the canonical spelling of s when it is a known
// authentication scheme (compared case-insensitively).
func KnownScheme(s string) (string, bool) {
	for _, k := range knownSchemes {
		if strings.EqualFold(k, s) {
			return k, true
		}
	}
	return "", false
}
