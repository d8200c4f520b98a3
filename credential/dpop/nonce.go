package dpop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// Nonces are server nonces (RFC 9449 section 8) that need no shared
// state: a nonce is the number of a time window and a MAC of it under a
// key, so every instance that holds the key (the fleet's fingerprint key)
// issues and accepts the same nonces. A new one is issued each lifetime;
// the previous one is still accepted, so a client is asked again at most
// once per lifetime.
type Nonces struct {
	key      []byte
	lifetime time.Duration
}

// NewNonces returns nonces keyed with a key derived from secret, changing
// every lifetime.
func NewNonces(secret []byte, lifetime time.Duration) *Nonces {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("authgate dpop nonce v1"))
	return &Nonces{key: m.Sum(nil), lifetime: lifetime}
}

// Current is the nonce of now's window.
func (n *Nonces) Current(now time.Time) string { return n.of(n.window(now)) }

// Valid reports whether nonce is the current window's or the previous
// one's.
func (n *Nonces) Valid(nonce string, now time.Time) bool {
	w := n.window(now)
	return hmac.Equal([]byte(nonce), []byte(n.of(w))) || hmac.Equal([]byte(nonce), []byte(n.of(w-1)))
}

func (n *Nonces) window(now time.Time) uint64 { return uint64(now.UnixNano() / int64(n.lifetime)) }

func (n *Nonces) of(w uint64) string {
	var b [8 + 16]byte
	binary.BigEndian.PutUint64(b[:8], w)
	m := hmac.New(sha256.New, n.key)
	m.Write(b[:8])
	copy(b[8:], m.Sum(nil))
	return base64.RawURLEncoding.EncodeToString(b[:])
}
