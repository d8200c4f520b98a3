package diagnose

import (
	"fmt"
	"strings"

	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/internal/lazyregexp"
)

// wrappers are the marks documentation puts around a credential, raw
// and percent-encoded.
var wrappers = [][2]string{{"<", ">"}, {"%3C", "%3E"}, {"%3c", "%3e"}, {`"`, `"`}, {"%22", "%22"}, {"'", "'"}, {"%27", "%27"},
	{"\u201c", "\u201d"}, {"{", "}"}, {"[", "]"}}

// Unwrap returns the credential inside documentation's marks (<token>,
// "token", %3Ctoken%3E) when what is inside looks like a real credential,
// not a placeholder word.
func Unwrap(v string) (string, bool) {
	for _, w := range wrappers {
		if len(v) > len(w[0])+len(w[1]) && strings.HasPrefix(v, w[0]) && strings.HasSuffix(v, w[1]) {
			inner := v[len(w[0]) : len(v)-len(w[1])]
			if TokenLike(inner) {
				return inner, true
			}
		}
	}
	return "", false
}

// TokenLike reports whether s looks like a real token: long enough, one
// word, mixing letters and digits, and no placeholder ("YOUR_API_KEY",
// "token").
func TokenLike(s string) bool {
	if len(s) < 16 || strings.ContainsAny(s, " <>\"'") || credential.Placeholder(s) != "" {
		return false
	}
	digits, letters := false, false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits = true
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			letters = true
		}
	}
	return digits && letters
}

// Wrapped reports a credential sent inside documentation's marks; where
// names the place it is sent ("X-Api-Key", "the query parameter key").
// Its title shows the marks, never the credential.
func Wrapped(where, v string) *Finding {
	if _, ok := Unwrap(v); !ok {
		return nil
	}
	return &Finding{Code: CredentialWrapped, Cause: "4. Incorrect token format",
		Title: fmt.Sprintf("the credential in %s is wrapped in %s…%s: the marks are sent as part of it", where, v[:1], v[len(v)-1:]),
		Fix:   "Send the bare credential: documentation writes <token> or \"token\" only to show where it goes."}
}

// Placeholder reports the credential v sent in where ("the X-Api-Key
// value") that credential.Placeholder found to be a placeholder or
// unexpanded shell text; detail (which names the kind, never the value)
// becomes its evidence. Shell text is told from documentation's samples
// (Unexpanded): a variable sent as its own name is VariableUnset, a
// command substitution sent as text ShellSubstitution.
func Placeholder(where, v, detail string) *Finding {
	switch Unexpanded(v) {
	case VariableUnset:
		return &Finding{Code: VariableUnset, Cause: "Environment notes: .env files and variables",
			Title:    where + " is a shell variable's name, not its value: the variable was not expanded (single quotes, or a tool that does not expand variables, sent it as text)",
			Evidence: []string{detail},
			Fix:      "Expand the variable where the credential is written (in a shell: double quotes, -H \"Authorization: Bearer $TOKEN\"; in a program: read the environment, not the text), and check it is set and exported."}
	case ShellSubstitution:
		return &Finding{Code: ShellSubstitution, Cause: "4. Incorrect token format",
			Title:    where + " is the text of a command substitution, not its output: the shell did not run it (single quotes send $(...) as text)",
			Evidence: []string{detail},
			Fix:      "Use double quotes so the shell runs the substitution, or run it first and pass its output."}
	}
	return &Finding{Code: CredentialPlaceholder, Cause: "4. Incorrect token format",
		Title:    where + " is a placeholder, not a credential",
		Evidence: []string{detail},
		Fix:      "Put the real credential in its place."}
}

var (
	// commandText is a command substitution left as text: $(...) or `...`.
	commandText = lazyregexp.New("\\$\\(|`[^`]*`")
	// variableText is a variable reference left as text: ${NAME}, a word
	// $NAME (alone, after a scheme, a colon or an equals sign), %NAME%.
	variableText = lazyregexp.New(`\$\{[A-Za-z_]\w*|(^|[\s:=])\$[A-Za-z_]\w*$|%[A-Za-z_]\w*%`)
)

// Unexpanded says what shell text v holds that a shell did not expand:
// ShellSubstitution for a command substitution, VariableUnset for a
// variable reference ($TOKEN, ${TOKEN}, cmd.exe's %TOKEN%: whether the
// variable is unset or was single-quoted, it never delivered its value),
// "" for anything else.
func Unexpanded(v string) Code {
	switch {
	case commandText.MatchString(v):
		return ShellSubstitution
	case variableText.MatchString(v):
		return VariableUnset
	}
	return ""
}

// tokenKinds recognise credentials of the wrong kind by their shape.
var tokenKinds = []struct {
	re   *lazyregexp.Regexp
	what string
	fix  string
}{
	{lazyregexp.New(`^pk_(test|live)_`), "a publishable key (pk_), meant for browsers", "Server-side API calls need the secret key (sk_)."},
	{lazyregexp.New(`^(?i)(pk\.|pub[_-]|public[_-]|publishable[_-])`), "a public (publishable) key by its prefix, meant for browsers", "Server-side API calls need the secret key the service issues beside it."},
	// A vendor's segment before the public mark: sb_publishable_ (Supabase),
	// xnd_public_ (Xendit), pk_sbox_ (Checkout.com), pkey_test_ (Omise),
	// FLWPUBK- (Flutterwave).
	{lazyregexp.New(`^(?i)([a-z0-9]{2,8}[_-](publishable|public|pub)[_-]|pk_(sbox|sandbox|prod|dev)_|pkey_(test|live)_|flwpubk[_-])`), "a public (publishable) key by its prefix, meant for browsers", "Server-side API calls need the secret key the service issues beside it."},
	{lazyregexp.New(`^whsec_`), "a webhook signing secret (whsec_), which only verifies the signatures of webhooks sent to you", "API calls need the API key, not the webhook endpoint's signing secret."},
	{lazyregexp.New(`^xapp-`), "an app-level token (xapp-), which only opens Socket Mode connections and manages the app", "Web API methods need a bot (xoxb-) or user (xoxp-) token."},
	{lazyregexp.New(`^(sq0idp-|[0-9]+-[a-z0-9]{20,}\.apps\.googleusercontent\.com$)`), "an OAuth client (application) ID, which names the app and is no token", "Run the OAuth flow with it and send the access token it yields."},
	{lazyregexp.New(`^(sq0csp-|GOCSPX-)`), "an OAuth client (application) secret, which the app uses at the token endpoint only", "Exchange it (with the client ID) at the token endpoint and send the access token it yields."},
	{lazyregexp.New(`^(AKIA|ASIA)[A-Z0-9]{16}$`), "an AWS access key ID", "AWS APIs take Signature Version 4 signatures made with the secret key, not a Bearer key."},
	{lazyregexp.New(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`), "an encrypted token (JWE, five parts)", "Send the access token itself; an encrypted ID token is for the client, not for APIs."},
	{lazyregexp.New(`^(PHNhbWw|PD94bWw|PHNhbWxw)`), "a base64 SAML or XML document", "This API wants an OAuth access token, not a SAML assertion."},
	{lazyregexp.New(`^\{`), "JSON, probably a whole token response", "Send only the access_token field of the response."},
	{lazyregexp.New(`^(?i)(bearer|basic|token)$`), "the scheme name itself", "The credential is missing after the scheme."},
}

// TokenKind reports a credential whose shape says it is the wrong kind
// (a publishable or public key, an AWS key ID, a JWE, SAML, a token
// response, the scheme word alone: WrongTokenKind), and a refresh token
// — by its prefix, or a JWT whose typ, token_use or token_type says so
// (Keycloak, Cognito, Simple JWT): TokenTypeMismatch. where
// begins the title ("the Bearer token").
func TokenKind(where, v string) *Finding {
	for _, k := range tokenKinds {
		if k.re.MatchString(v) {
			return &Finding{Code: WrongTokenKind, Cause: "2. Invalid token", Title: fmt.Sprintf("%s is %s", where, k.what), Fix: k.fix}
		}
	}
	if refreshPrefix.MatchString(v) {
		return refreshToken(where)
	}
	d, err := jwt.Decode(v)
	if err != nil {
		return nil
	}
	use, typ := claimString(d.Claims["token_use"]), claimString(d.Header["typ"])
	for _, k := range []string{"typ", "token_type", "type"} {
		if c := claimString(d.Claims[k]); strings.Contains(strings.ToLower(c), "refresh") {
			use = "refresh" // Keycloak's typ Refresh, Simple JWT's token_type refresh
		}
	}
	if strings.EqualFold(use, "refresh") || strings.Contains(strings.ToLower(typ), "refresh") {
		return refreshToken(where)
	}
	return nil
}

// refreshPrefix is a refresh token by its prefix (rt_, refresh_).
// GitHub's refresh tokens (ghr_) and Slack's (xoxe-1-) by their prefixes too.
var refreshPrefix = lazyregexp.New(`^(?i)(rt|refresh)[_-]|^ghr_|^xoxe-\d`)

// refreshToken reports a refresh token sent where an access token goes:
// a token of the right issuer for another use (token_type_mismatch).
func refreshToken(where string) *Finding {
	return &Finding{Code: TokenTypeMismatch, Cause: "2. Invalid token",
		Title: where + " is a refresh token, not an access token", Fix: "Exchange it at the token endpoint for an access token, and send that."}
}

// schemeWords are the scheme words people put inside API-key headers.
var schemeWords = map[string]bool{"bearer": true, "token": true, "basic": true, "apikey": true, "api-key": true, "key": true}

// SchemeWord splits an API-key value that begins with a scheme word
// ("Bearer abc…", "Token abc…") into the word and the rest.
func SchemeWord(v string) (scheme, rest string, ok bool) {
	scheme, rest, ok = strings.Cut(v, " ")
	if !ok || !schemeWords[strings.ToLower(scheme)] || rest == "" {
		return "", "", false
	}
	return scheme, rest, true
}

// APIKey judges the value of an API-key header, in the doctor's order:
// documentation's marks around it, a placeholder or unexpanded shell
// text, a credential of the wrong kind, surrounding spaces or quotes, a
// scheme word before the key. Nil when the value is plausible.
func APIKey(header, v string) *Finding {
	if f := Wrapped(header, v); f != nil {
		return f
	}
	if kind := credential.Placeholder(v); kind != "" {
		return Placeholder("the "+header+" value", v, fmt.Sprintf("the %s value is a placeholder (%s)", header, kind))
	}
	if f := TokenKind("the "+header+" value", v); f != nil {
		return f
	}
	if v != strings.TrimSpace(v) || strings.ContainsAny(v, "\"'") {
		return &Finding{Code: HeaderFormat, Cause: "4. Incorrect token format",
			Title: fmt.Sprintf("the %s value has surrounding spaces or quotes", header), Fix: "Send the key alone, without quotes or spaces."}
	}
	if scheme, _, ok := SchemeWord(v); ok {
		return &Finding{Code: HeaderFormat, Cause: "4. Incorrect token format",
			Title: fmt.Sprintf("the %s value is malformed: it starts with the scheme word %q, and this header takes the key alone", header, scheme),
			Fix:   fmt.Sprintf("Send %s: <key>, without %q (schemes belong in Authorization).", header, scheme)}
	}
	return nil
}
