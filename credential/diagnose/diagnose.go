// Package diagnose holds the offline checks of a credential: what can be
// said about a credential without sending it anywhere, or from the
// credential and the challenges of an answer alone. A placeholder or
// unexpanded shell text, whitespace and invisible characters, an empty
// value (a variable that expanded to nothing), a JWT expired or not yet
// valid by a clock, a JWT that looks like an ID token, a scheme the server
// does not ask for, a key whose prefix names another environment.
//
// The doctor and package caller share these checks: one implementation,
// each a small exported function. A Finding's Code is the doctor's finding
// code for the same thing. No finding ever contains the credential or any
// part of it.
//
// A token's aud is not compared with the resource of a challenge's
// resource_metadata: RFC 9728's resource identifies the API, it is not
// the audience its tokens must carry (authgate's demo: resource
// http://127.0.0.1:8080, audience demo-api), so a different aud proves
// nothing.
package diagnose

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/apikey/keyformat"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/internal/lazyregexp"
	"github.com/authgate/authgate/reason"
)

// Code names a finding; the values are the doctor's finding codes.
type Code string

// The findings of the offline checks.
const (
	BasicTrailingNewline  Code = "basic_trailing_newline"
	CredentialPlaceholder Code = "credential_placeholder"
	VariableUnset         Code = "variable_unset"
	ShellSubstitution     Code = "shell_substitution_not_run"
	HeaderFormat          Code = "header_format"
	TokenExpired          Code = "token_expired"
	TokenNotYetValid      Code = "token_not_yet_valid"
	SchemeMismatch        Code = "scheme_mismatch"
	WrongEnvironment      Code = "wrong_environment"
	IDTokenSent           Code = "id_token_sent"
	CredentialWrapped     Code = "credential_wrapped"
	WrongTokenKind        Code = "wrong_token_kind"
	TokenTypeMismatch     Code = "token_type_mismatch"
	BasicNotBase64        Code = "basic_not_base64"
	BasicBase64Wrapped    Code = "basic_base64_wrapped"
	BasicNoColon          Code = "basic_no_colon"
	PasswordIsHash        Code = "password_is_hash"
	BasicUsernameWrong    Code = "basic_username_wrong"
)

// Finding is one thing an offline check found. Title is one line in
// plain words, fit to follow "most likely:"; neither it nor Fix holds the
// credential.
type Finding struct {
	Code Code `json:"code"`
	// Cause is the http-401-guide cause it matches.
	Cause string `json:"cause,omitempty"`
	Title string `json:"title"`
	// Evidence are facts behind the finding, none of them the credential.
	Evidence []string `json:"evidence,omitempty"`
	Fix      string   `json:"fix,omitempty"`
}

// Credential is a credential as a client sends it. Value is secret.
type Credential struct {
	// Scheme is the Authorization scheme (Bearer, Basic, …), or "" for a
	// credential sent in an API-key header.
	Scheme string
	// Header is where it is sent: "Authorization" or an API-key header.
	Header string
	// Value is the credential itself (for Basic: the base64 of user:password).
	Value string
}

func (c Credential) where() string {
	if c.Scheme != "" {
		return "the " + c.Scheme + " credential"
	}
	return "the " + c.Header + " value"
}

// Options are what is known beside the credential.
type Options struct {
	// Now is this machine's time (zero: time.Now()).
	Now time.Time
	// Leeway is how far past exp a token is still taken as fresh (less
	// than), and how far in the future nbf or iat may lie (default 30s;
	// negative: none).
	Leeway time.Duration
	// ExpectEnv is the environment the client means to call (live, test);
	// "" skips the environment check.
	ExpectEnv string
	// Challenges are the WWW-Authenticate challenges of the answer, if any.
	Challenges []challenge.Challenge
	// Host is the host called, lower case ("" when unknown): some
	// services document the user name that goes with a token in Basic.
	Host string
}

// Check runs every offline check on c, most telling first.
func Check(c Credential, o Options) []Finding {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	switch {
	case o.Leeway == 0:
		o.Leeway = 30 * time.Second
	case o.Leeway < 0:
		o.Leeway = 0
	}
	var out []Finding
	add := func(f *Finding) {
		if f != nil {
			out = append(out, *f)
		}
	}
	add(Value(c))
	if strings.EqualFold(c.Scheme, "Basic") && Base64Wrapped(c.Value) == nil {
		user, password, f := BasicDecoded(c.Value)
		add(f)
		if f == nil || f.Code == HeaderFormat {
			add(Basic(user, password))
			add(BasicPair(o.Host, user, password))
			add(JWTAsUser(user))
		}
	}
	add(Environment(c.Value, o.ExpectEnv))
	if strings.EqualFold(c.Scheme, "Bearer") {
		add(TokenKind("the Bearer token", c.Value))
	}
	if strings.EqualFold(c.Scheme, "Bearer") || c.Scheme == "" {
		if d, err := jwt.Decode(c.Value); err == nil {
			add(Expired(d, o.Now, o.Leeway))
			add(NotYetValid(d, o.Now, o.Leeway))
			add(IDToken(d))
		}
	}
	// Last: some APIs take schemes they do not announce (Stripe's
	// challenge names Basic, and it takes Bearer too).
	add(Scheme(c, o.Challenges))
	return out
}

// Value judges the text of the credential: empty (an unset variable),
// an API key's value (APIKey), Basic base64 wrapped over lines
// (Base64Wrapped), unexpanded shell text or a placeholder, whitespace,
// quotes, control and invisible characters, and characters a token68
// cannot hold. It returns nil when the value is plausible.
func Value(c Credential) *Finding {
	v := c.Value
	where := c.where()
	if strings.TrimSpace(v) == "" {
		return &Finding{Code: VariableUnset, Cause: "Environment notes: .env files and variables",
			Title: where + " is empty: the variable that should hold it is unset or empty",
			Fix:   "Set the variable in the process's environment (or load the .env file) before the client starts."}
	}
	if c.Scheme == "" && !strings.EqualFold(c.Header, "Authorization") {
		if f := APIKey(c.Header, v); f != nil {
			return f
		}
	}
	if strings.EqualFold(c.Scheme, "Basic") {
		if f := Base64Wrapped(v); f != nil {
			return f
		}
	}
	if kind := credential.Placeholder(v); kind != "" {
		return Placeholder(where, v, kind)
	}
	if v != strings.TrimSpace(v) {
		return &Finding{Code: HeaderFormat, Cause: "4. Incorrect token format",
			Title: where + " has leading or trailing whitespace (a newline from a file or a .env line)",
			Fix:   "Trim the value (strings.TrimSpace) where it is read."}
	}
	if i, name := Invisible(v); i >= 0 {
		return &Finding{Code: HeaderFormat, Cause: "4. Incorrect token format",
			Title: fmt.Sprintf("%s contains %s at byte %d (copied from a document or chat)", where, name, i),
			Fix:   "Copy the credential again from its source as plain text."}
	}
	if i := strings.IndexFunc(v, func(r rune) bool { return credential.IsControl(r) || unicode.IsSpace(r) }); i >= 0 {
		return &Finding{Code: HeaderFormat, Cause: "4. Incorrect token format",
			Title: fmt.Sprintf("%s contains whitespace or a control character at byte %d", where, i),
			Fix:   "A credential is one word: copy it again, without line breaks or spaces."}
	}
	if q := v[0]; (q == '"' || q == '\'') && len(v) > 1 && v[len(v)-1] == q {
		return &Finding{Code: HeaderFormat, Cause: "4. Incorrect token format",
			Title: where + " is wrapped in quotes",
			Fix:   "Send it without the quotes (a .env loader or a JSON file kept them)."}
	}
	if c.Header == "Authorization" && (strings.EqualFold(c.Scheme, "Bearer") || strings.EqualFold(c.Scheme, "Basic")) {
		if err := credential.CheckFormat(credential.Presented{Scheme: c.Scheme, Value: v, Header: "Authorization"}); err != nil {
			return &Finding{Code: HeaderFormat, Cause: "4. Incorrect token format",
				Title: reason.From(err).Detail,
				Fix:   "Send 'Authorization: " + c.Scheme + " <credential>' with the credential exactly as issued."}
		}
	}
	return nil
}

// invisibles names the characters copy and paste brings in unseen.
var invisibles = map[rune]string{
	0x200B: "a zero-width space", 0x200C: "a zero-width non-joiner", 0x200D: "a zero-width joiner",
	0xFEFF: "a byte-order mark", 0x00A0: "a non-breaking space", 0x2060: "a word joiner",
	0x2018: "a typographic quote", 0x2019: "a typographic quote", 0x201C: "a typographic quote", 0x201D: "a typographic quote",
	0x2013: "an en dash", 0x2014: "an em dash", 0x2026: "an ellipsis (the credential was shortened for display)",
}

// Invisible finds the first invisible or typographic character of v (or
// any other non-ASCII one) and names it; -1 when there is none.
func Invisible(v string) (int, string) {
	for i, r := range v {
		if name, ok := invisibles[r]; ok {
			return i, name
		}
		if r == utf8.RuneError {
			return i, "a byte that is not UTF-8"
		}
		if r > unicode.MaxASCII {
			return i, fmt.Sprintf("the non-ASCII character U+%04X", r)
		}
	}
	return -1, ""
}

// Scheme reports a credential sent with a scheme none of the challenges
// asks for (nil when there are no challenges or one matches); an
// Authorization header without a scheme matches none. An API-key header
// is judged only against challenges that name no scheme it could fit: a
// server that asks only for Basic or Bearer in Authorization.
func Scheme(c Credential, cs []challenge.Challenge) *Finding {
	if len(cs) == 0 {
		return nil
	}
	apiKey := c.Scheme == "" && !strings.EqualFold(c.Header, "Authorization")
	var offered []string
	for _, ch := range cs {
		if c.Scheme != "" && strings.EqualFold(ch.Scheme, c.Scheme) {
			return nil
		}
		if apiKey && !strings.EqualFold(ch.Scheme, "Basic") && !strings.EqualFold(ch.Scheme, "Bearer") {
			return nil // ApiKey, or a scheme of the API's own: a header may well be it
		}
		offered = append(offered, ch.Scheme)
	}
	sent := c.Scheme
	switch {
	case apiKey:
		sent = "an API key in " + c.Header
	case sent == "":
		sent = "no scheme"
	}
	return &Finding{Code: SchemeMismatch, Cause: "3. Incorrect authentication scheme",
		Title: fmt.Sprintf("the request uses %s; the server asks for %s", sent, strings.Join(offered, " or ")),
		Fix:   "Use a scheme named in WWW-Authenticate."}
}

// Expired reports a token expired by the clock now: exp is no later
// than now - leeway (the doctor: leeway 0, so a token is expired at exp).
func Expired(d *jwt.Decoded, now time.Time, leeway time.Duration) *Finding {
	if exp, ok := ClaimTime(d, "exp"); ok && now.Sub(exp) >= leeway {
		return &Finding{Code: TokenExpired, Cause: "2. Invalid or expired token",
			Title: fmt.Sprintf("the token expired %s ago (by this machine's clock)", now.Sub(exp).Round(time.Second)),
			Fix:   "Obtain a new access token (refresh it) and retry."}
	}
	return nil
}

// NotYetValid reports a token whose nbf, else iat, lies more than leeway
// in the future of the clock now.
func NotYetValid(d *jwt.Decoded, now time.Time, leeway time.Duration) *Finding {
	for _, k := range []string{"nbf", "iat"} {
		if t, ok := ClaimTime(d, k); ok && t.Sub(now) > leeway {
			return &Finding{Code: TokenNotYetValid, Cause: "6. Clock skew",
				Title: fmt.Sprintf("the token's %s is %s in the future (by this machine's clock)", k, t.Sub(now).Round(time.Second)),
				Fix:   "The issuer's clock or this machine's is wrong: check NTP on both."}
		}
	}
	return nil
}

// ClaimTime reads a NumericDate claim (RFC 7519: may be non-integer).
func ClaimTime(d *jwt.Decoded, name string) (time.Time, bool) {
	raw, ok := d.Claims[name]
	if !ok {
		return time.Time{}, false
	}
	var f float64
	if json.Unmarshal(raw, &f) != nil {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0), true
}

// IDToken reports a JWT that looks like an OpenID Connect ID token.
func IDToken(d *jwt.Decoded) *Finding {
	if why := IDTokenSigns(d); why != "" {
		return &Finding{Code: IDTokenSent, Cause: "2. Invalid token (wrong audience)",
			Title: "this looks like an OpenID Connect ID token, not an access token: " + why,
			Fix:   "Send the access_token from the token response, not the id_token."}
	}
	return nil
}

// IDTokenSigns says why a JWT looks like an ID token ("" when it does
// not): token_use id (Cognito), nonce or at_hash, or an audience with
// profile claims and no scope at all.
func IDTokenSigns(d *jwt.Decoded) string {
	has := func(k string) bool { _, ok := d.Claims[k]; return ok }
	use, typ := claimString(d.Claims["token_use"]), claimString(d.Header["typ"])
	switch {
	case use == "id":
		return "token_use is id (Cognito's ID token); APIs take the access token"
	case strings.EqualFold(typ, "at+jwt"):
		return ""
	case has("nonce") || has("at_hash"):
		return "it has a nonce or at_hash claim, which ID tokens carry"
	case has("aud") && (has("email") || has("name") || has("preferred_username") || has("azp")) && !has("scope") && !has("scp"):
		return "it has an audience and profile claims (email, name, azp) but no scope, as ID tokens do"
	}
	return ""
}

// claimString reads a JSON string ("" when raw is none).
func claimString(raw json.RawMessage) string {
	var s string
	json.Unmarshal(raw, &s)
	return s
}

// envPrefix reads the environment in other vendors' key prefixes: an
// environment word as the key's first segment (test_, live_: Lob, Column)
// or its second (sk_test_, secret-live-, myapp-prod-).
var envPrefix = lazyregexp.New(`^(?:(?:sk|pk|rk)_(test|live)_|(test|live|sandbox)_|[A-Za-z0-9]{0,12}?[_-](test|live|prod|production|sandbox|dev|staging)[_-])`)

// envSegments are the environment words a key's prefix segments use
// beside those of envPrefix: pdl_sdbx_ (Paddle), sk_sbox_ (Checkout.com),
// xnd_development_ (Xendit), TEST- (Mercado Pago), shippo_test_.
var envSegments = map[string]bool{"test": true, "live": true, "sandbox": true, "sbox": true, "sdbx": true, "prod": true, "production": true,
	"dev": true, "development": true, "staging": true, "uat": true}

// KeyEnvironment reads the environment a key's prefix names (ag_live_,
// sk_test_, …), or "". An authgate key's prefix is read as package
// keyformat reads it. Past envPrefix, any of the first three segments
// (split at _ or -, the last one never: it is the secret) that is an
// environment word names it, in lower case (or upper case as the first:
// TEST-).
func KeyEnvironment(key string) string {
	if env := keyformat.PrefixEnvironment(key); env != "" {
		return env
	}
	m := envPrefix.FindStringSubmatch(key)
	for _, g := range m[min(len(m), 1):] {
		if g != "" {
			return g
		}
	}
	if strings.HasPrefix(key, keyformat.Prefix) {
		return "" // authgate's own format, read above
	}
	segs := strings.FieldsFunc(key, func(r rune) bool { return r == '_' || r == '-' })
	for i := 0; i < len(segs)-1 && i < 3; i++ {
		if w := segs[i]; envSegments[w] || i == 0 && envSegments[strings.ToLower(w)] && w == strings.ToUpper(w) {
			return strings.ToLower(w)
		}
	}
	return ""
}

// NormalEnv folds the names of environments to live or test.
func NormalEnv(env string) string {
	switch strings.ToLower(env) {
	case "live", "prod", "production", "prd":
		return "live"
	case "test", "sandbox", "sbox", "sdbx", "dev", "development", "staging", "stage", "uat":
		return "test"
	}
	return strings.ToLower(env)
}

// Environment reports a key whose prefix names another environment than
// expect (nil when expect is "" or the prefix names none).
func Environment(key, expect string) *Finding {
	env := KeyEnvironment(key)
	if env == "" || expect == "" || NormalEnv(env) == NormalEnv(expect) {
		return nil
	}
	return &Finding{Code: WrongEnvironment, Cause: "5. Wrong credentials for environment",
		Title: fmt.Sprintf("a %s credential (by its prefix) is sent where %s is expected", env, expect),
		Fix:   fmt.Sprintf("Use the %s credential (check which .env file or secret the client loads).", expect)}
}

// Basic judges the user name and password of Basic credentials before
// they are encoded, which only a client that holds the pair can do: an
// empty password (an unset variable), a trailing newline (read from a
// file, or echo without -n), surrounding spaces, a colon in the user name
// (RFC 7617 §2: the first colon ends it). Nil when the pair is plausible;
// BasicPair judges the pair as the server decodes it.
func Basic(user, password string) *Finding {
	switch {
	case password == "":
		return &Finding{Code: VariableUnset, Cause: "Environment notes: .env files and variables",
			Title: "the Basic password is empty: the variable that should hold it is unset or empty",
			Fix:   "Set the variable in the process's environment (or load the .env file) before the client starts."}
	case strings.HasSuffix(password, "\n") || strings.HasSuffix(user, "\n"):
		return &Finding{Code: BasicTrailingNewline, Cause: "4. Incorrect token format",
			Title: "the Basic user name or password ends with a newline (read from a file, or made with echo without -n)",
			Fix:   "Trim the value where it is read (strings.TrimSpace)."}
	case user != strings.TrimSpace(user) || password != strings.TrimSpace(password):
		return &Finding{Code: HeaderFormat, Cause: "4. Incorrect token format",
			Title: "the Basic user name or password has leading or trailing whitespace",
			Fix:   "Trim the value where it is read (strings.TrimSpace)."}
	case strings.Contains(user, ":"):
		return &Finding{Code: HeaderFormat, Cause: "4. Incorrect token format",
			Title: "the Basic user name contains ':', which ends a user name in Basic (RFC 7617): the server reads a shorter user and a longer password",
			Fix:   "Use a user name without ':' (a password may contain it)."}
	}
	return nil
}
