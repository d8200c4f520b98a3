// Package credential extracts the credential a request presents and holds
// what every verifier shares: the identity it yields, the fingerprint that
// stands for a credential in logs, and the checks for placeholders.
// The verifiers themselves live in sub-packages (credential/jwt, …).
package credential

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"strings"
	"sync"
	"time"
)

// Identity is what a verifier learned from a good credential.
type Identity struct {
	// Kind names the verifier: "jwt", "apikey", "basic".
	Kind    string
	Subject string
	Issuer  string
	// IssuerName is the configured name of a token's issuer (issuers[].name).
	IssuerName string
	Scopes     []string
	// Fingerprint stands for the credential in logs and headers.
	Fingerprint string
	// ExpiresAt is when the credential stops being valid (zero: never).
	ExpiresAt time.Time
	// IssuedAt is a token's iat (zero when unknown).
	IssuedAt time.Time
	// Quota is the credential's own request budget, on every route (an
	// API key's; nil: none).
	Quota *Quota
	// Claims are a token's claims (JWTs only; nil otherwise), for claim
	// rules and claim headers. Never logged.
	Claims map[string]json.RawMessage
}

// Principal is the identity as an upstream receives it (the subject
// identity header, the identity token's sub): unambiguous across kinds and
// issuers, so no credential of one kind can pass for another's subject.
// "apikey:<id>" for an API key, "basic:<user>" for a Basic user,
// "token:<issuer name>:<sub>" for a JWT or an introspected token (issuer
// names hold no ':'), "<kind>:<subject>" for any other kind.
func (id *Identity) Principal() string {
	switch id.Kind {
	case "apikey":
		return id.Subject // already "apikey:<id>"
	case "jwt", "introspection":
		return "token:" + id.IssuerName + ":" + id.Subject
	}
	return id.Kind + ":" + id.Subject
}

// SubjectProblem says why s cannot name a subject, or "" when it can: a
// control character, or white space at either end, would be dropped or
// trimmed on the way to an upstream (HTTP field values), so two subjects
// would arrive as one ("alice" and "alice\t"). The text never quotes s.
func SubjectProblem(s string) string {
	switch {
	case IndexControl(s) >= 0:
		return "holds a control character"
	case s != strings.TrimSpace(s):
		return "begins or ends with white space"
	}
	return ""
}

// Quota is a budget of Requests per window Per.
type Quota struct {
	Requests int
	Per      time.Duration
}

// String is the quota as the CLI writes it: 1000/1m0s.
func (q Quota) String() string { return fmt.Sprintf("%d/%s", q.Requests, q.Per) }

// HasScope reports whether the identity holds scope s.
func (id *Identity) HasScope(s string) bool {
	for _, have := range id.Scopes {
		if have == s {
			return true
		}
	}
	return false
}

// Fingerprinter computes short keyed hashes of credentials: the same
// credential always gives the same 12 hex characters under one key, and
// nothing about the credential can be learned from them.
type Fingerprinter struct {
	key  []byte
	macs sync.Pool // of *keyedMAC (HMAC-SHA-256 under key)
}

// NewFingerprinter returns a Fingerprinter keyed with key; an empty key
// draws a random one (fingerprints then change at every start).
func NewFingerprinter(key []byte) *Fingerprinter {
	if len(key) == 0 {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			panic("credential: no randomness: " + err.Error())
		}
	}
	f := &Fingerprinter{key: append([]byte(nil), key...)}
	f.macs.New = func() any { return &keyedMAC{Hash: hmac.New(sha256.New, f.key)} }
	return f
}

// Digest is a credential's keyed digest: HMAC-SHA-256 under a
// Fingerprinter's key. It is computed once per request and serves twice:
// as the verified-token cache's key (collision-resistant, and of no use to
// anyone without the key) and, cut short, as the fingerprint in logs.
type Digest [sha256.Size]byte

// Fingerprint is the credential's fingerprint: the digest's first 6
// bytes in hex.
func (d *Digest) Fingerprint() string {
	var fp [12]byte
	hex.Encode(fp[:], d[:6])
	return string(fp[:])
}

// Of returns the fingerprint of secret.
func (f *Fingerprinter) Of(secret string) string {
	d := f.Digest(secret)
	return d.Fingerprint()
}

// Digest returns the keyed digest of secret.
func (f *Fingerprinter) Digest(secret string) Digest {
	// A keyed HMAC is reused (Reset keeps the key's pads), which spares
	// the key schedule on every request.
	m := f.macs.Get().(*keyedMAC)
	m.Reset()
	// Through a buffer kept with the MAC: writing the string itself
	// would copy it on every call.
	m.buf = append(m.buf[:0], secret...)
	m.Write(m.buf)
	clear(m.buf)
	// Into the MAC's own array: a local one would escape through the
	// interface call.
	d := Digest(m.Sum(m.sum[:0]))
	f.macs.Put(m)
	return d
}

// keyedMAC is a pooled HMAC with its input and output buffers.
type keyedMAC struct {
	hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

// ValidEnvironment reports whether env can name an environment (live,
// test, staging2): 1-16 lower-case letters and digits, starting with a
// letter. API keys carry it in their prefix; issuers and the gateway name
// theirs. Every API key's prefix is checked, so it is a loop, not a
// regular expression.
func ValidEnvironment(env string) bool {
	if len(env) == 0 || len(env) > 16 || env[0] < 'a' || env[0] > 'z' {
		return false
	}
	for i := 1; i < len(env); i++ {
		if c := env[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
