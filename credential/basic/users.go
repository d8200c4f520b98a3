package basic

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/reason"
	"github.com/authgate/authgate/store"
)

// Limits of user names and passwords.
const (
	maxUserLen     = 256
	minPasswordLen = 8
	maxPasswordLen = 1024
)

// ValidateName refuses a user name that could never log in: RFC 7617
// splits user-id and password at the first colon, so a name holding one
// is unusable; control characters cannot be typed into a login prompt;
// white space at either end would reach an upstream trimmed.
// Errors are request_invalid.
func ValidateName(name string) error {
	switch {
	case name == "":
		return reason.New(reason.RequestInvalid, "a user name is required")
	case strings.Contains(name, ":"):
		return reason.New(reason.RequestInvalid, "a user name must not contain ':' (Basic splits user and password at the first colon, so this user could never log in)")
	case len(name) > maxUserLen || !utf8.ValidString(name) || credential.IndexControl(name) >= 0:
		return reason.New(reason.RequestInvalid, "a user name must be at most %d bytes of UTF-8 text without control characters", maxUserLen)
	case credential.SubjectProblem(name) != "":
		return reason.New(reason.RequestInvalid, "a user name must not begin or end with white space (the upstream would receive it trimmed, as another user's name)")
	}
	return nil
}

// ValidatePassword refuses a password that is too short to resist
// guessing, too long to hash cheaply, or not typeable text.
func ValidatePassword(pw string) error {
	switch {
	case utf8.RuneCountInString(pw) < minPasswordLen:
		return reason.New(reason.RequestInvalid, "the password must have at least %d characters", minPasswordLen)
	case len(pw) > maxPasswordLen:
		return reason.New(reason.RequestInvalid, "the password must have at most %d bytes", maxPasswordLen)
	case !utf8.ValidString(pw) || credential.IndexControl(pw) >= 0:
		return reason.New(reason.RequestInvalid, "the password must be UTF-8 text without control characters (NUL, newline, ...)")
	}
	return nil
}

// AddUser checks the name, password and scopes, then stores the user with
// an argon2id hash.
func AddUser(ctx context.Context, st store.Store, name, password string, scopes []string, actor string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if err := ValidatePassword(password); err != nil {
		return err
	}
	if err := credential.CheckScopes(scopes); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return st.AddUser(ctx, store.User{Name: name, Hash: hash, Scopes: scopes}, actor)
}

// SetPassword checks and stores a new password for user name.
func SetPassword(ctx context.Context, st store.Store, name, password, actor string) error {
	if err := ValidatePassword(password); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return st.SetPassword(ctx, name, hash, actor)
}

// View is u as the admin API and the CLI show it: never its hash, only
// its kind.
func View(u store.User) api.UserView {
	kind := "argon2id"
	if IsBcrypt(u.Hash) {
		kind = "bcrypt"
	}
	return api.UserView{Name: u.Name, Scopes: append([]string{}, u.Scopes...), Hash: kind, Updated: u.Updated}
}
