// Package keyformat is the shape of an authgate API key. A key reads
// ag_<env>_<43 base62 characters of 32 random bytes><6 base62 characters of
// CRC32>: the checksum lets a truncated or mistyped key be recognised
// offline, and the fixed shape lets secret scanners find leaked keys. It
// needs no store, so clients (the doctor) read keys as the gateway does.
package keyformat

import (
	"crypto/rand"
	"fmt"
	"hash/crc32"
	"math/big"
	"strings"

	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/reason"
)

// Prefix starts every authgate API key.
const Prefix = "ag_"

const (
	alphabet    = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	randomLen   = 43 // 62^43 > 2^256
	checksumLen = 6  // 62^6 > 2^32
)

// Generate returns a new key for env, and a public id for it.
func Generate(env string) (key, id string, err error) {
	if !credential.ValidEnvironment(env) {
		return "", "", fmt.Errorf("environment %q: use 1-16 lower-case letters and digits, starting with a letter", env)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", "", err
	}
	body := Prefix + env + "_" + base62(secret, randomLen)
	idBytes := make([]byte, 6)
	if _, err := rand.Read(idBytes); err != nil {
		return "", "", err
	}
	return body + checksum(body), base62(idBytes, 8), nil
}

// Looks reports whether s has the shape of an authgate key at all (its
// prefix), so it is judged as a key and not as a JWT.
func Looks(s string) bool { return strings.HasPrefix(s, Prefix) }

// PrefixEnvironment returns the environment a key's prefix names
// (ag_<env>_), without judging the rest of the key; "" when s does not
// start with such a prefix.
func PrefixEnvironment(s string) string {
	env, _ := cutPrefix(s)
	return env
}

// cutPrefix splits a key into the environment its prefix names and the
// body after it; env is "" when s has no valid prefix.
func cutPrefix(s string) (env, body string) {
	rest, ok := strings.CutPrefix(s, Prefix)
	env, body, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || !credential.ValidEnvironment(env) {
		return "", ""
	}
	return env, body
}

// Environment checks a key's shape and checksum offline and returns the
// environment it names. Errors are api_key_malformed.
func Environment(key string) (string, error) {
	env, body := cutPrefix(key)
	if env == "" {
		return "", reason.New(reason.APIKeyMalformed, "the API key does not start with ag_<environment>_")
	}
	if n := len(body); n != randomLen+checksumLen {
		return "", reason.New(reason.APIKeyMalformed, "the API key is %d characters after its prefix, want %d: it was truncated or extended in copying", n, randomLen+checksumLen)
	}
	for i := 0; i < len(body); i++ {
		if strings.IndexByte(alphabet, body[i]) < 0 {
			return "", reason.New(reason.APIKeyMalformed, "the API key has a character outside A-Z a-z 0-9 at position %d", len(Prefix)+len(env)+1+i)
		}
	}
	cut := len(key) - checksumLen
	if checksum(key[:cut]) != key[cut:] {
		return "", reason.New(reason.APIKeyMalformed, "the API key's checksum does not match: a character was mistyped or changed")
	}
	return env, nil
}

// checksum is the CRC32 of body in 6 base62 digits. It runs on every
// request, so it uses plain integer arithmetic.
func checksum(body string) string {
	c := crc32.ChecksumIEEE([]byte(body))
	var out [checksumLen]byte
	for i := checksumLen - 1; i >= 0; i-- {
		out[i] = alphabet[c%62]
		c /= 62
	}
	return string(out[:])
}

// base62 renders b as exactly n base62 digits (left-padded with '0').
func base62(b []byte, n int) string {
	x := new(big.Int).SetBytes(b)
	out := make([]byte, n)
	base := big.NewInt(62)
	mod := new(big.Int)
	for i := n - 1; i >= 0; i-- {
		x.DivMod(x, base, mod)
		out[i] = alphabet[mod.Int64()]
	}
	return string(out)
}
