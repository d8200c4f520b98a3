package apikey

import (
	"time"

	"github.com/authgate/authgate/store"
)

// State is where a key is in its life. It is said here once, by StateOf:
// the verifier refuses by it, and the CLI, the admin API and the console
// show it in its String, so no surface can call a key active that the
// gateway refuses.
type State int

// The states of a key. When several apply, revocation wins over expiry and
// expiry over rotation.
const (
	// StateActive: the key opens what its scopes allow.
	StateActive State = iota
	// StateRotating: the key was replaced by rotation and still works
	// until its grace period ends.
	StateRotating
	// StateExpired: the key is past its expiry (a rotated key also once its
	// grace is over) and refused with credential_expired.
	StateExpired
	// StateRevoked: the key is refused with credential_revoked for good,
	// whatever its expiry.
	StateRevoked
)

// StateOf is the state of k at now.
func StateOf(k store.Key, now time.Time) State {
	switch {
	case !k.RevokedAt.IsZero():
		return StateRevoked
	case !k.Expires.IsZero() && !now.Before(k.Expires):
		return StateExpired
	case k.ReplacedBy != "":
		return StateRotating
	}
	return StateActive
}

// String is the state's word, the same on every surface (the "state" of
// the admin API's key view): active, rotating, expired or revoked.
func (s State) String() string {
	switch s {
	case StateActive:
		return "active"
	case StateRotating:
		return "rotating"
	case StateExpired:
		return "expired"
	case StateRevoked:
		return "revoked"
	}
	return "unknown"
}

// Usable reports whether a key in state s is accepted (its kind, scopes
// and environment permitting): active or in its rotation grace.
func (s State) Usable() bool { return s == StateActive || s == StateRotating }
