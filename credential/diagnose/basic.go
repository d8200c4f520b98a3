package diagnose

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/internal/lazyregexp"
)

// basicFix is how to make Basic credentials that decode.
const basicFix = "Let the client encode it (curl -u user:password), or use printf '%s' 'user:password' | base64 -w0."

// Base64Wrapped reports a Basic value base64 wrapped over several lines
// (base64 without -w0 breaks its output at 76 characters).
func Base64Wrapped(value string) *Finding {
	if !strings.ContainsAny(value, "\r\n") {
		return nil
	}
	return &Finding{Code: BasicBase64Wrapped, Cause: "4. Incorrect token format",
		Title:    "the Basic credentials are base64 wrapped over several lines",
		Evidence: []string{"base64 wraps its output at 76 characters; the line break ends the header early and the rest is lost or rejected"},
		Fix:      "Encode with base64 -w0 (GNU) or base64 | tr -d '\\n', or let the client build the header: curl -u user:password."}
}

// BasicDecoded decodes the value of Basic credentials (standard base64,
// or unpadded) and judges what it holds: not base64, a trailing newline
// (echo without -n), no colon, not UTF-8. It returns the pair when the
// value decodes to one; a HeaderFormat finding (not UTF-8) is a warning:
// the pair is returned with it.
func BasicDecoded(value string) (user, password string, f *Finding) {
	raw, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		if _, err2 := base64.RawStdEncoding.DecodeString(value); err2 == nil {
			raw, err = base64.RawStdEncoding.DecodeString(value)
		}
	}
	switch {
	case err != nil:
		ev := "standard base64 decoding fails"
		if _, e := base64.RawURLEncoding.DecodeString(strings.TrimRight(value, "=")); e == nil {
			ev = "it is base64url (- and _), but Basic uses standard base64 (+ and /)"
		}
		return "", "", &Finding{Code: BasicNotBase64, Cause: "4. Incorrect token format", Title: "the Basic credentials are not valid base64",
			Evidence: []string{ev}, Fix: basicFix}
	case strings.HasSuffix(string(raw), "\n"):
		return "", "", &Finding{Code: BasicTrailingNewline, Cause: "4. Incorrect token format",
			Title:    "the decoded Basic credentials end with a newline",
			Evidence: []string{"echo adds a newline unless given -n: base64 encodes it, and the password no longer matches"},
			Fix:      "Use echo -n or printf '%s', or curl -u user:password."}
	case !strings.Contains(string(raw), ":"):
		return "", "", &Finding{Code: BasicNoColon, Cause: "4. Incorrect token format",
			Title: "the decoded Basic credentials have no ':' between user and password", Fix: basicFix}
	}
	user, password, _ = strings.Cut(string(raw), ":")
	if !utf8.Valid(raw) {
		f = &Finding{Code: HeaderFormat, Cause: "4. Incorrect token format",
			Title: "the decoded Basic credentials are not UTF-8", Fix: "Servers that announce charset=\"UTF-8\" expect UTF-8 user names and passwords."}
	}
	return user, password, f
}

// passwordHashes recognise a password that is itself a stored hash.
var passwordHashes = []struct {
	re   *lazyregexp.Regexp
	what string
}{
	{lazyregexp.New(`^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$`), "a bcrypt hash"},
	{lazyregexp.New(`^\$argon2(id|i|d)\$`), "an argon2 hash"},
	{lazyregexp.New(`^\$(5|6)\$(rounds=\d+\$)?[^$]{1,16}\$[./A-Za-z0-9]{43,86}$`), "a SHA-crypt hash"},
	{lazyregexp.New(`^\$1\$[^$]{1,8}\$[./A-Za-z0-9]{22}$`), "an MD5-crypt hash"},
	{lazyregexp.New(`^\$apr1\$[^$]{1,8}\$[./A-Za-z0-9]{22}$`), "an Apache MD5 (htpasswd) hash"},
	{lazyregexp.New(`^\{(SHA|SSHA|SHA256|SSHA256|SHA512|SSHA512|PBKDF2[^}]*)\}[A-Za-z0-9+/=]+$`), "an LDAP-style password hash"},
	{lazyregexp.New(`^pbkdf2_sha256\$\d+\$`), "a Django PBKDF2 hash"},
	{lazyregexp.New(`^[^:\s]+:(\$2[abxy]?\$|\$apr1\$|\$argon2|\$[156]\$|\{SHA\})`), "a whole htpasswd line (user:hash)"},
}

// PasswordHash names the kind of stored hash a password is, or "".
func PasswordHash(pw string) string {
	for _, h := range passwordHashes {
		if h.re.MatchString(pw) {
			return h.what
		}
	}
	return ""
}

// A basicConvention is how a service wants a token sent as Basic: the
// user name that goes with it, or the token itself in the user-name slot.
type basicConvention struct {
	// hosts (suffixes) and token prefixes the convention applies to.
	hosts, prefixes []string
	// user is the user name the token goes with ("" when any is taken);
	// userPattern a description when the user is the caller's own.
	user        string
	userPattern *lazyregexp.Regexp
	userWhat    string
	// tokenInUser: the token is the user name, the password empty.
	tokenInUser bool
	docs        string
}

// basicConventions are documented token conventions for Basic.
var basicConventions = []basicConvention{
	{prefixes: []string{"ghs_"}, user: "x-access-token",
		docs: "https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app-installation"},
	{hosts: []string{"pypi.org", "test.pypi.org"}, prefixes: []string{"pypi-"}, user: "__token__", docs: "https://pypi.org/help/#apitoken"},
	{hosts: []string{"api.mailgun.net", "api.eu.mailgun.net"}, user: "api",
		docs: "https://documentation.mailgun.com/docs/mailgun/api-reference/authentication/"},
	{hosts: []string{"api.stripe.com"}, prefixes: []string{"sk_live_", "sk_test_", "rk_live_", "rk_test_"}, tokenInUser: true,
		docs: "https://docs.stripe.com/api/authentication"},
	{hosts: []string{"api.twilio.com"}, userPattern: lazyregexp.New(`^(AC|SK)[0-9a-f]{32}$`), userWhat: "an Account SID (AC…) or API key SID (SK…)",
		docs: "https://www.twilio.com/docs/usage/requests-to-twilio"},
	{hosts: []string{"atlassian.net"}, prefixes: []string{"ATATT"}, userPattern: lazyregexp.New(`^[^@\s]+@[^@\s]+$`), userWhat: "your account's e-mail address",
		docs: "https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/"},
	// Conventions read from the token's own prefix, on any host (self-hosted
	// servers have no host of their own).
	{prefixes: []string{"squ_", "sqa_", "sqp_"}, tokenInUser: true,
		docs: "https://docs.sonarsource.com/sonarqube-server/latest/extension-guide/web-api/"},
	{prefixes: []string{"glsa_"}, user: "api_key", docs: "https://grafana.com/docs/grafana/latest/developers/http_api/auth/"},
	{prefixes: []string{"key-"}, user: "api", docs: "https://documentation.mailgun.com/docs/mailgun/api-reference/authentication/"},
	{prefixes: []string{"dckr_pat_"}, userPattern: lazyregexp.New(`^[a-z0-9][a-z0-9._-]{1,29}$`), userWhat: "your Docker ID (not your e-mail address)",
		docs: "https://docs.docker.com/security/for-developers/access-tokens/"},
	{prefixes: []string{"ATBB"}, userPattern: lazyregexp.New(`^[^@\s]+$`), userWhat: "your Bitbucket user name (not your e-mail address)",
		docs: "https://support.atlassian.com/bitbucket-cloud/docs/using-app-passwords/"},
}

// HasPrefix reports whether v begins with one of prefixes.
func HasPrefix(v string, prefixes []string) bool { return PrefixOf(v, prefixes) != "" }

// PrefixOf returns the first of prefixes that v begins with, or "".
func PrefixOf(v string, prefixes []string) string {
	for _, pre := range prefixes {
		if strings.HasPrefix(v, pre) {
			return pre
		}
	}
	return ""
}

// conventionFor returns the convention that applies to a Basic pair sent
// to host, or nil.
func conventionFor(host, user, pw string) *basicConvention {
	for i := range basicConventions {
		c := &basicConventions[i]
		for _, h := range c.hosts {
			if host == h || strings.HasSuffix(host, "."+h) {
				return c
			}
		}
		if len(c.prefixes) > 0 && (c.user != "" || c.tokenInUser || c.userPattern != nil) && (HasPrefix(pw, c.prefixes) || HasPrefix(user, c.prefixes)) {
			return c
		}
	}
	return nil
}

// KnownConvention reports whether a documented token convention applies
// to a Basic pair sent to host (BasicPair has judged the pair by it).
func KnownConvention(host, user, pw string) bool { return conventionFor(host, user, pw) != nil }

// BasicPair judges a well-formed Basic pair sent to host (lower case,
// "" when unknown): a placeholder in either slot, a password that is a
// stored hash, a user name a service's documented token convention does
// not use (a key sent as the password where it goes in the user-name
// slot, a token with the wrong user name), a JWT in the user-name slot.
// Nil when the pair is plausible. A title may name the user name, never
// the password.
func BasicPair(host, user, pw string) *Finding {
	for _, part := range []struct{ slot, v string }{{"password", pw}, {"user name", user}} {
		if kind := credential.Placeholder(part.v); kind != "" && part.v != "" {
			return Placeholder("the Basic "+part.slot, part.v, kind)
		}
	}
	if what := PasswordHash(pw); what != "" {
		return &Finding{Code: PasswordIsHash, Cause: "2. Invalid credentials",
			Title: fmt.Sprintf("the password sent is %s, not the password", what),
			Fix:   "Send the plain password (or the token); the server keeps the hash and compares against it. A hash copied from .htpasswd or a database never matches."}
	}
	bad := func(title, fix, docs string) *Finding {
		return &Finding{Code: BasicUsernameWrong, Cause: "3. Incorrect authentication scheme", Title: title,
			Evidence: []string{"documented at " + docs}, Fix: fix}
	}
	c := conventionFor(host, user, pw)
	switch {
	case c != nil && c.tokenInUser && pw != "" && HasPrefix(pw, c.prefixes):
		return bad("the key is sent as the Basic password; this service wants it as the user name, with an empty password",
			"Send the key as the user name: curl -u '<key>:' (note the colon).", c.docs)
	case c != nil && c.user != "" && user != c.user && (TokenLike(pw) || HasPrefix(pw, c.prefixes)):
		return bad(fmt.Sprintf("the token is sent with the user name %q; this service's convention is the user name %q", user, c.user),
			fmt.Sprintf("Send -u '%s:<token>'.", c.user), c.docs)
	case c != nil && c.userPattern != nil && !c.userPattern.MatchString(user) && TokenLike(pw):
		return bad(fmt.Sprintf("the Basic user name %q is not %s, which this service wants with the token", user, c.userWhat),
			"Send "+c.userWhat+" as the user name and the token as the password.", c.docs)
	case TokenLike(user) && emailShape.MatchString(pw):
		// Jira's and Confluence's email:token, Zendesk's email/token:token,
		// written the other way round: the password slot holds the user.
		return bad("the Basic pair is swapped: a token is in the user-name slot and an e-mail address in the password slot",
			"Send the e-mail address (the account) as the user name and the token as the password: -u 'you@example.com:<token>'.",
			"https://www.rfc-editor.org/rfc/rfc7617 (user-id, then password) and https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/")
	}
	return nil
}

// emailShape is an e-mail address.
var emailShape = lazyregexp.New(`^[^@\s:]+@[^@\s:]+\.[A-Za-z]{2,}$`)

// JWTAsUser reports a JWT in the Basic user-name slot: Basic never
// carries one as a user.
func JWTAsUser(user string) *Finding {
	if _, err := jwt.Decode(user); err != nil || !strings.HasPrefix(user, "eyJ") {
		return nil
	}
	return &Finding{Code: BasicUsernameWrong, Cause: "3. Incorrect authentication scheme",
		Title:    "a JWT is in the Basic user-name slot",
		Evidence: []string{"documented at https://www.rfc-editor.org/rfc/rfc7617"},
		Fix:      "Send a JWT as Authorization: Bearer <token>; Basic carries a user name and a password."}
}
