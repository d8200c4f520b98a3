// Package basic verifies HTTP Basic credentials (RFC 7617) against users
// in a Store, with argon2id hashes (bcrypt accepted from htpasswd imports
// and upgraded at the next login), equal time for unknown users and wrong
// passwords, a verified-credential cache and a cap on concurrent hashing.
package basic

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Argon2id parameters (OWASP's recommendation: 19 MiB, 2 passes, 1 lane).
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns a PHC-format argon2id hash of password.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	return phc(salt, argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)), nil
}

// unknownUserHash is a hash that no password matches, checked in place
// of an unknown user's so that a wrong user name costs what a wrong
// password does: its parameters are HashPassword's, its salt and sum
// random. Nothing is hashed to make it (argon2id's 19 MiB stay unused
// until a password is checked).
func unknownUserHash() string {
	b := make([]byte, 16+argonKeyLen)
	rand.Read(b)
	return phc(b[:16], b[16:])
}

// phc is the PHC string of an argon2id hash with HashPassword's
// parameters.
func phc(salt, sum []byte) string {
	enc := base64.RawStdEncoding.EncodeToString
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, enc(salt), enc(sum))
}

var errBadHash = errors.New("unsupported or corrupt password hash")

// checkPassword reports whether password matches hash (argon2id or bcrypt).
func checkPassword(hash, password string) (bool, error) {
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		var version int
		var m uint32
		var t uint32
		var p uint8
		parts := strings.Split(hash, "$")
		if len(parts) != 6 {
			return false, errBadHash
		}
		if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
			return false, errBadHash
		}
		if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<20 || t > 16 {
			return false, errBadHash
		}
		salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
		want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
		if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 128 {
			return false, errBadHash
		}
		got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
		return subtle.ConstantTimeCompare(got, want) == 1, nil
	case IsBcrypt(hash):
		err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
		if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			return false, nil
		}
		return err == nil, err
	}
	return false, errBadHash
}

// IsBcrypt reports whether hash is a bcrypt hash ($2a$, $2b$, $2y$).
func IsBcrypt(hash string) bool {
	return strings.HasPrefix(hash, "$2a$") || strings.HasPrefix(hash, "$2b$") || strings.HasPrefix(hash, "$2y$")
}
