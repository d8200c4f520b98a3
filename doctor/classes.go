package doctor

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/diagnose"
	"github.com/authgate/authgate/credential/jwt"
)

// This file holds the offline classes of mistakes: facts visible in what
// is sent, checked for any API (docs/doctor.md, "Offline classes").

// wrappers are the marks documentation puts around a credential, raw
// and percent-encoded.
var wrappers = [][2]string{{"<", ">"}, {"%3C", "%3E"}, {"%3c", "%3e"}, {`"`, `"`}, {"%22", "%22"}, {"'", "'"}, {"%27", "%27"},
	{"\u201c", "\u201d"}, {"{", "}"}, {"[", "]"}}

// wrappedCredential returns the credential inside documentation's marks
// (<token>, "token", %3Ctoken%3E) when what is inside looks like a real
// credential, not a placeholder word.
func wrappedCredential(v string) (string, bool) {
	for _, w := range wrappers {
		if len(v) > len(w[0])+len(w[1]) && strings.HasPrefix(v, w[0]) && strings.HasSuffix(v, w[1]) {
			inner := v[len(w[0]) : len(v)-len(w[1])]
			if tokenLike(inner) {
				return inner, true
			}
		}
	}
	return "", false
}

// tokenLike: long enough, one word, mixing letters and digits, and no
// placeholder ("YOUR_API_KEY", "token").
func tokenLike(s string) bool {
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

// wrapped reports a credential sent inside documentation's marks.
func (o *offline) wrapped(where, v string, fix func(*Request, string)) bool {
	inner, ok := wrappedCredential(v)
	if !ok {
		return false
	}
	f := Finding{Code: CredentialWrapped, Status: Fail, Cause: "4. Incorrect token format",
		Title:    fmt.Sprintf("The credential in %s is wrapped in %s…%s: the marks are sent as part of it", where, v[:1], v[len(v)-1:]),
		Evidence: []string{"sent " + o.mask.show(v) + "; the credential inside is " + o.mask.show(inner)},
		Fix:      "Send the bare credential: documentation writes <token> or \"token\" only to show where it goes."}
	if fix != nil {
		f.Command = o.command(func(r *Request) { fix(r, inner) })
	}
	o.add(f)
	return true
}

// passwordHashes recognise a password that is itself a stored hash.
var passwordHashes = []struct {
	re   *regexp.Regexp
	what string
}{
	{regexp.MustCompile(`^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$`), "a bcrypt hash"},
	{regexp.MustCompile(`^\$argon2(id|i|d)\$`), "an argon2 hash"},
	{regexp.MustCompile(`^\$(5|6)\$(rounds=\d+\$)?[^$]{1,16}\$[./A-Za-z0-9]{43,86}$`), "a SHA-crypt hash"},
	{regexp.MustCompile(`^\$1\$[^$]{1,8}\$[./A-Za-z0-9]{22}$`), "an MD5-crypt hash"},
	{regexp.MustCompile(`^\$apr1\$[^$]{1,8}\$[./A-Za-z0-9]{22}$`), "an Apache MD5 (htpasswd) hash"},
	{regexp.MustCompile(`^\{(SHA|SSHA|SHA256|SSHA256|SHA512|SSHA512|PBKDF2[^}]*)\}[A-Za-z0-9+/=]+$`), "an LDAP-style password hash"},
	{regexp.MustCompile(`^pbkdf2_sha256\$\d+\$`), "a Django PBKDF2 hash"},
	{regexp.MustCompile(`^[^:\s]+:(\$2[abxy]?\$|\$apr1\$|\$argon2|\$[156]\$|\{SHA\})`), "a whole htpasswd line (user:hash)"},
}

// passwordHash names the kind of hash a password is, or "".
func passwordHash(pw string) string {
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
	userPattern *regexp.Regexp
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
	{hosts: []string{"api.twilio.com"}, userPattern: regexp.MustCompile(`^(AC|SK)[0-9a-f]{32}$`), userWhat: "an Account SID (AC…) or API key SID (SK…)",
		docs: "https://www.twilio.com/docs/usage/requests-to-twilio"},
	{hosts: []string{"atlassian.net"}, prefixes: []string{"ATATT"}, userPattern: regexp.MustCompile(`^[^@\s]+@[^@\s]+$`), userWhat: "your account's e-mail address",
		docs: "https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/"},
	// Conventions read from the token's own prefix, on any host (self-hosted
	// servers have no host of their own).
	{prefixes: []string{"squ_", "sqa_", "sqp_"}, tokenInUser: true,
		docs: "https://docs.sonarsource.com/sonarqube-server/latest/extension-guide/web-api/"},
	{prefixes: []string{"glsa_"}, user: "api_key", docs: "https://grafana.com/docs/grafana/latest/developers/http_api/auth/"},
	{prefixes: []string{"key-"}, user: "api", docs: "https://documentation.mailgun.com/docs/mailgun/api-reference/authentication/"},
	{prefixes: []string{"dckr_pat_"}, userPattern: regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,29}$`), userWhat: "your Docker ID (not your e-mail address)",
		docs: "https://docs.docker.com/security/for-developers/access-tokens/"},
	{prefixes: []string{"ATBB"}, userPattern: regexp.MustCompile(`^[^@\s]+$`), userWhat: "your Bitbucket user name (not your e-mail address)",
		docs: "https://support.atlassian.com/bitbucket-cloud/docs/using-app-passwords/"},
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
		if len(c.prefixes) > 0 && (c.user != "" || c.tokenInUser || c.userPattern != nil) && (hasPrefix(pw, c.prefixes) || hasPrefix(user, c.prefixes)) {
			return c
		}
	}
	return nil
}

// basicPair checks a well-formed Basic pair: a hash for a password, a
// token in the user-name slot, a user name the service's token
// convention does not use. It reports whether it found something.
func (o *offline) basicPair(user, pw string) bool {
	for _, part := range []struct{ slot, v string }{{"password", pw}, {"user name", user}} {
		if kind := credential.Placeholder(part.v); kind != "" && part.v != "" {
			o.add(Finding{Code: CredentialPlaceholder, Status: Fail, Cause: "4. Incorrect token format",
				Title:    "The Basic " + part.slot + " is a placeholder, not a credential: " + kind,
				Evidence: []string{fmt.Sprintf("user %s, password %s", o.mask.show(user), o.mask.show(pw))},
				Fix:      "Put the real value in its place (and check the shell expands the variable that should hold it)."})
			return true
		}
	}
	if what := passwordHash(pw); what != "" {
		o.add(Finding{Code: PasswordIsHash, Status: Fail, Cause: "2. Invalid credentials",
			Title:    fmt.Sprintf("The password sent is %s, not the password", what),
			Evidence: []string{fmt.Sprintf("user %q, password %s", user, o.mask.show(pw))},
			Fix:      "Send the plain password (or the token); the server keeps the hash and compares against it. A hash copied from .htpasswd or a database never matches."})
		return true
	}
	host := ""
	if u, err := url.Parse(o.req.URL); err == nil {
		host = strings.ToLower(u.Hostname())
	}
	bad := func(title, fix, docs string) bool {
		o.add(Finding{Code: BasicUsernameWrong, Status: Fail, Cause: "3. Incorrect authentication scheme", Title: title,
			Evidence: []string{fmt.Sprintf("user %s, password %s", o.mask.show(user), o.mask.show(pw)), "documented at " + docs},
			Fix:      fix, Command: o.withBasicFlag()})
		return true
	}
	c := conventionFor(host, user, pw)
	switch {
	case c != nil && c.tokenInUser && pw != "" && hasPrefix(pw, c.prefixes):
		return bad("The key is sent as the Basic password; this service wants it as the user name, with an empty password",
			"Send the key as the user name: curl -u '<key>:' (note the colon).", c.docs)
	case c != nil && c.user != "" && user != c.user && (tokenLike(pw) || hasPrefix(pw, c.prefixes)):
		return bad(fmt.Sprintf("The token is sent with the user name %q; this service's convention is the user name %q", user, c.user),
			fmt.Sprintf("Send -u '%s:<token>'.", c.user), c.docs)
	case c != nil && c.userPattern != nil && !c.userPattern.MatchString(user) && tokenLike(pw):
		return bad(fmt.Sprintf("The Basic user name %q is not %s, which this service wants with the token", user, c.userWhat),
			"Send "+c.userWhat+" as the user name and the token as the password.", c.docs)
	}
	// A token in the user-name slot where the token's owner wants it as
	// the password (or a JWT, which Basic never carries as a user).
	if owner, prefix := providerOfCredential(user); owner != nil && owner.TokenAsPassword && (pw == "" || !tokenLike(pw)) {
		return bad(fmt.Sprintf("A %s token (%s…) is in the Basic user-name slot; %s wants it as the password", owner.Name, prefix, owner.Name),
			"Send the token as the password: -u '<user>:<token>' ("+owner.Expects+").", owner.Docs)
	}
	if _, err := jwt.Decode(user); err == nil && strings.HasPrefix(user, "eyJ") {
		return bad("A JWT is in the Basic user-name slot",
			"Send a JWT as Authorization: Bearer <token>; Basic carries a user name and a password.", "https://www.rfc-editor.org/rfc/rfc7617")
	}
	return false
}

// credentialNames are the names a credential travels under in a query,
// a form or a JSON body.
var credentialNames = map[string]bool{"key": true, "api_key": true, "apikey": true, "api-key": true, "access_token": true,
	"token": true, "auth": true, "auth_token": true, "x-amz-signature": true, "x-goog-signature": true, "sig": true, "signature": true,
	"hapikey": true, "api_token": true, "access_key": true, "private_token": true, "client_secret": true, "password": true,
	"secret": true, "apitoken": true, "authtoken": true, "id_token": true, "refresh_token": true, "app_key": true, "appkey": true,
	"appid": true, "_sid": true, "sid": true, "session_id": true, "sessionid": true, "assertion": true, "client_assertion": true, "subscription-key": true}

// bodyCredentials finds credentials in a form or JSON body and checks
// their shape; they count as sent.
func (o *offline) bodyCredentials() {
	body := strings.TrimSpace(o.req.Body)
	if body == "" {
		return
	}
	found := map[string]string{}
	if strings.HasPrefix(body, "{") {
		var m map[string]any
		if json.Unmarshal([]byte(body), &m) == nil {
			for k, v := range m {
				if s, ok := v.(string); ok && credentialNames[strings.ToLower(k)] && s != "" {
					found[k] = s
				}
			}
		}
	} else if q, err := url.ParseQuery(body); err == nil {
		for k, vs := range q {
			if credentialNames[strings.ToLower(k)] && len(vs) > 0 && vs[0] != "" {
				found[k] = vs[0]
			}
		}
	}
	for k, v := range found {
		o.sentAny = true
		o.valueShape("the body field "+k, v)
		o.unremovable = true
	}
}

// pathCredential recognises a credential in the URL path: a bot token
// (/bot123456:ABC…), a known provider prefix, or a JWT.
var pathCredential = regexp.MustCompile(`^(bot\d{6,}:[A-Za-z0-9_-]{30,}|eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$`)

// urlCredentials counts credentials in the URL's user info and path as
// sent, and checks their shape.
func (o *offline) urlCredentials() {
	u, err := url.Parse(o.req.URL)
	if err != nil {
		return
	}
	if u.User != nil {
		o.sentAny = true
		pw, _ := u.User.Password()
		o.add(Finding{Code: CredentialSent, Status: Info, Title: "Credentials are sent in the URL (user:password@host): clients turn them into Basic",
			Evidence: []string{fmt.Sprintf("user %q, password %s", u.User.Username(), o.mask.show(pw))}})
		if !o.basicPair(u.User.Username(), pw) {
			o.valueShape("the URL's password", pw)
		}
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "" {
			continue
		}
		if p, _ := providerOfCredential(seg); p != nil || pathCredential.MatchString(seg) {
			o.sentAny = true
			o.add(Finding{Code: CredentialSent, Status: Info, Title: "A credential is sent in the URL path", Evidence: []string{"segment " + o.mask.show(seg)}})
			o.valueShape("the URL path", seg)
			o.unremovable = true
		}
	}
}

// valueShape checks a credential found outside the headers: a
// placeholder, documentation's marks, surrounding spaces.
func (o *offline) valueShape(where, v string) {
	if dec, err := url.PathUnescape(v); err == nil && dec != v && strings.TrimSpace(dec) != dec {
		v = dec
	}
	switch {
	case o.wrapped(where, v, nil):
	case credential.Placeholder(v) != "":
		o.add(Finding{Code: CredentialPlaceholder, Status: Fail, Cause: "4. Incorrect token format",
			Title:    "The credential in " + where + " is a placeholder, not a credential",
			Evidence: []string{"sent " + o.mask.show(v)}, Fix: "Put the real credential in."})
	case v != strings.TrimSpace(v):
		o.add(Finding{Code: HeaderFormat, Status: Fail, Cause: "4. Incorrect token format",
			Title: "The credential in " + where + " has surrounding spaces", Fix: "Send the credential alone, without spaces or line breaks."})
	}
}

// expMilliseconds: an exp (or iat) written in milliseconds, not seconds
// (JavaScript's Date.now()): a date tens of thousands of years away,
// which servers refuse as too far in the future or take as never.
func (o *offline) expMilliseconds(d *jwt.Decoded) bool {
	for _, k := range []string{"exp", "iat", "nbf"} {
		raw, ok := d.Claims[k]
		if !ok {
			continue
		}
		var f float64
		if json.Unmarshal(raw, &f) == nil && f > 1e11 {
			o.add(Finding{Code: TokenLifetimeTooLong, Status: Fail, Cause: "2. Invalid token (lifetime)",
				Title:    fmt.Sprintf("The token's %s is in milliseconds (%.0f), not seconds: it reads as the year %d", k, f, time.Unix(int64(f), 0).Year()),
				Evidence: []string{"JWT times are seconds since 1970 (RFC 7519 NumericDate); Date.now() gives milliseconds"},
				Fix:      "Divide by 1000: Math.floor(Date.now() / 1000) + lifetime."})
			return true
		}
	}
	return false
}

// statedMaximum reads a maximum duration from the server's words ("at
// most 10 minutes", "cannot be more than 60 minutes", "(60 minutes)").
var statedMaximum = regexp.MustCompile(`(?i)(\d+)\s*(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|[smhd])\b`)

// lifetimeAgainst compares the token's lifetime with the maximum the
// server states, when it states one; "" when there is nothing to say.
func lifetimeAgainst(d *jwt.Decoded, says string) string {
	exp, ok1 := diagnose.ClaimTime(d, "exp")
	iat, ok2 := diagnose.ClaimTime(d, "iat")
	m := statedMaximum.FindStringSubmatch(says)
	if !ok1 || m == nil {
		return ""
	}
	if !ok2 {
		iat = time.Now()
	}
	var n int
	fmt.Sscan(m[1], &n)
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}[strings.ToLower(m[2])[0]]
	limit := time.Duration(n) * unit
	if life := exp.Sub(iat); limit > 0 && life > limit {
		return fmt.Sprintf("the token lives %s (exp - iat); the server accepts at most %s", life.Round(time.Second), limit)
	}
	return ""
}

// urlWithoutCredentials is the request's URL without its user info and
// credential query parameters, for the request sent without credentials;
// false when a credential cannot be taken out (in the path or the body).
func (o *offline) urlWithoutCredentials() (string, bool) {
	if o.unremovable {
		return "", false
	}
	u, err := url.Parse(o.req.URL)
	if err != nil {
		return "", false
	}
	u.User = nil
	if u.RawQuery != "" {
		q := u.Query()
		for name := range q {
			if credentialNames[strings.ToLower(name)] {
				q.Del(name)
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String(), true
}
