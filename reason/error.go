package reason

import (
	"errors"
	"fmt"
	"time"
)

// Error is a failure with its reason. Detail is full operator-grade text
// (it never contains a credential); Err is the underlying cause, if any.
type Error struct {
	Code   Code
	Detail string
	// Scope lists scopes that together suffice on the route
	// (insufficient_scope only): the challenge's scope parameter.
	Scope []string
	// ScopesAny lists a route's alternatives, one of which must be held
	// beside Scope's others (insufficient_scope on an any-of route).
	ScopesAny []string
	// ACRValues and MaxAge are what a step-up needs
	// (insufficient_user_authentication only), sent in the challenge.
	ACRValues []string
	MaxAge    time.Duration
	// RetryAfter, when positive, is sent as Retry-After.
	RetryAfter time.Duration
	// Nonce, when set, is sent as DPoP-Nonce: the server nonce a new
	// DPoP proof must carry (RFC 9449 section 8).
	Nonce string
	Err   error
}

// New returns an Error with a formatted detail.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// Wrap returns an Error whose detail is formatted and whose cause is err.
func Wrap(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...), Err: err}
}

// Error implements error.
func (e *Error) Error() string {
	if e.Detail == "" {
		return string(e.Code)
	}
	return string(e.Code) + ": " + e.Detail
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Entry returns the catalogue entry of the error's code.
func (e *Error) Entry() Entry { return Lookup(e.Code) }

// From extracts the reason of err. An error that carries none is the
// gateway's own fault: auth_unavailable, never a 401.
func From(err error) *Error {
	var re *Error
	if errors.As(err, &re) {
		return re
	}
	return &Error{Code: AuthUnavailable, Detail: "internal error", Err: err}
}

// CodeOf returns the reason code of err, or "" for a nil error.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	return From(err).Code
}
