package credential

import (
	"fmt"

	"github.com/authgate/authgate/reason"
)

// maxScopes and maxScopeLen bound what a key or user may be granted.
const (
	maxScopes   = 64
	maxScopeLen = 128
)

// ValidScope reports whether s is an RFC 6749 §3.3 scope-token: one or
// more of %x21 / %x23-5B / %x5D-7E (no space, quote or backslash).
func ValidScope(s string) bool {
	if s == "" || len(s) > maxScopeLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// CheckScopes refuses a scope list that a credential could not carry:
// more than 64 scopes, or one that is not a scope-token.
func CheckScopes(scopes []string) error {
	if len(scopes) > maxScopes {
		return reason.New(reason.RequestInvalid, "%d scopes; at most %d", len(scopes), maxScopes)
	}
	for i, s := range scopes {
		if !ValidScope(s) {
			return reason.New(reason.RequestInvalid, "scope %d is not a scope token (1-%d visible ASCII characters, no quote or backslash)%s",
				i+1, maxScopeLen, quotedIfSafe(s))
		}
	}
	return nil
}

// quotedIfSafe quotes an operator-given name in an error when it is short
// printable ASCII, so a typo can be seen; otherwise it says nothing.
func quotedIfSafe(s string) string {
	if s == "" || len(s) > 64 {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return ""
		}
	}
	return fmt.Sprintf(": %q", s)
}
