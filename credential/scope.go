package credential

import (
	"fmt"
	"strings"

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

// SplitScopes splits an RFC 6749 §3.3 scope string: scope tokens
// separated by spaces (0x20) only. A tab, a no-break space or any other
// character outside a scope token is an error, never a separator: the
// upstream must not read a scope that was not granted.
func SplitScopes(s string) ([]string, error) {
	var out []string
	for _, part := range strings.Split(s, " ") {
		if part == "" {
			continue // tolerate doubled spaces
		}
		if !ValidScope(part) {
			return nil, fmt.Errorf("a scope holds a character outside RFC 6749's scope tokens (only spaces separate scopes)")
		}
		out = append(out, part)
	}
	return out, nil
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
