package doctor

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/diagnose"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/internal/lazyregexp"
)

// This file holds the offline classes of mistakes: facts visible in what
// is sent, checked for any API (docs/doctor.md, "Offline classes").

// wrapped reports a credential sent inside documentation's marks.
func (o *offline) wrapped(where, v string, fix func(*Request, string)) bool {
	w := diagnose.Wrapped(where, v)
	if w == nil {
		return false
	}
	inner, _ := diagnose.Unwrap(v)
	f := fromDiagnose(w, Fail)
	f.Evidence = []string{"sent " + o.mask.show(v) + "; the credential inside is " + o.mask.show(inner)}
	if fix != nil {
		f.Command = o.command(func(r *Request) { fix(r, inner) })
	}
	o.add(f)
	return true
}

// basicPair checks a well-formed Basic pair: a hash for a password, a
// token in the user-name slot, a user name the service's token
// convention does not use. It reports whether it found something.
func (o *offline) basicPair(user, pw string) bool {
	host := hostOf(o.req.URL)
	pair := []string{fmt.Sprintf("user %s, password %s", o.mask.show(user), o.mask.show(pw))}
	f := diagnose.BasicPair(host, user, pw)
	// A token in the user-name slot where the token's owner wants it as
	// the password (the provider table's knowledge), else a JWT there.
	if owner, prefix := providerOfCredential(user); f == nil && owner != nil && owner.TokenAsPassword && (pw == "" || !diagnose.TokenLike(pw)) {
		f = &diagnose.Finding{Code: diagnose.BasicUsernameWrong, Cause: "3. Incorrect authentication scheme",
			Title:    fmt.Sprintf("a %s token (%s…) is in the Basic user-name slot; %s wants it as the password", owner.Name, prefix, owner.Name),
			Evidence: []string{"documented at " + owner.Docs},
			Fix:      "Send the token as the password: -u '<user>:<token>' (" + owner.Expects + ")."}
	}
	if f == nil {
		f = diagnose.JWTAsUser(user)
	}
	if f == nil {
		return false
	}
	g := fromDiagnose(f, Fail)
	switch f.Code {
	case diagnose.PasswordIsHash:
		g.Evidence = []string{fmt.Sprintf("user %q, password %s", user, o.mask.show(pw))}
	case diagnose.BasicUsernameWrong:
		g.Evidence, g.Command = append(pair, f.Evidence...), o.withBasicFlag()
	default:
		g.Evidence = pair
	}
	o.add(g)
	return true
}

// credentialNames are the names a credential travels under in a query,
// a form or a JSON body.
var credentialNames = map[string]bool{"key": true, "api_key": true, "apikey": true, "api-key": true, "access_token": true,
	"token": true, "auth": true, "auth_token": true, "x-amz-signature": true, "x-goog-signature": true, "sig": true, "signature": true,
	"hapikey": true, "api_token": true, "access_key": true, "private_token": true, "client_secret": true, "password": true,
	"secret": true, "apitoken": true, "authtoken": true, "id_token": true, "refresh_token": true, "app_key": true, "appkey": true,
	"appid": true, "psw": true, "pwd": true, "passwd": true, "_sid": true, "sid": true, "session_id": true, "sessionid": true, "assertion": true, "client_assertion": true, "subscription-key": true}

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
			jsonCredentials(m, found, 0)
		}
	} else if strings.HasPrefix(body, "<") {
		for _, f := range xmlFields([]byte(body)) { // a SOAP header's credentials
			if credentialElement(f[0]) {
				found[f[0]] = f[1]
			}
		}
	} else if q, err := url.ParseQuery(body); err == nil {
		for k, vs := range q {
			if credentialNames[strings.ToLower(k)] && len(vs) > 0 {
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

// credentialElement reports whether an XML element carries a credential
// by its name: a credential parameter's name, or one ending in
// signature, password or secret (requestSignature).
func credentialElement(name string) bool {
	n := strings.ToLower(name)
	return credentialParam(n) || strings.HasSuffix(n, "signature") || strings.HasSuffix(n, "password") || strings.HasSuffix(n, "secret")
}

// jsonCredentials adds the string fields of m named as credentials to
// found, and those of the objects inside it to a depth of three (a
// JSON-RPC call's params, a wrapper object).
func jsonCredentials(m map[string]any, found map[string]string, depth int) {
	for k, v := range m {
		switch v := v.(type) {
		case string:
			if credentialNames[strings.ToLower(k)] {
				found[k] = v
			}
		case map[string]any:
			if depth < 2 {
				jsonCredentials(v, found, depth+1)
			}
		}
	}
}

// pathCredential recognises a credential in the URL path: a bot token
// (/bot123456:ABC…), a known provider prefix, or a JWT.
var pathCredential = lazyregexp.New(`^(bot\d{6,}:[A-Za-z0-9_-]{30,}|eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$`)

// pathPlaceholder is a path segment written as documentation's sample
// of a credential: <API_KEY>, {token}, YOUR_API_KEY, API_KEY_HERE.
var pathPlaceholder = lazyregexp.New(`(?i)^[<{\[].*(key|token|secret).*[>}\]]$|^(your|my)[_-]?.*(key|token|secret)|(key|token|secret)[_-]?here$`)

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
		if dec, err := url.PathUnescape(seg); err == nil {
			seg = dec
		}
		if credentialSegment(seg) {
			o.sentAny = true
			o.add(Finding{Code: CredentialSent, Status: Info, Title: "A credential is sent in the URL path", Evidence: []string{"segment " + o.mask.show(seg)}})
			o.valueShape("the URL path", seg)
			o.unremovable = true
		}
	}
}

// credentialSegment reports whether a path segment (unescaped) carries
// a credential: a provider's key, a bot token, a JWT, or a placeholder
// written where one goes.
func credentialSegment(seg string) bool {
	p, _ := providerOfCredential(seg)
	return p != nil || pathCredential.MatchString(seg) || pathPlaceholder.MatchString(seg) && credential.Placeholder(seg) != ""
}

// beforeCredential is the number of leading segments of segs (a path
// split on "/") before the first that carries a credential.
func beforeCredential(segs []string) int {
	for i, seg := range segs {
		if dec, err := url.PathUnescape(seg); err == nil {
			seg = dec
		}
		if seg != "" && credentialSegment(seg) {
			return i
		}
	}
	return len(segs)
}

// valueShape checks a credential found outside the headers: empty (the
// variable that should hold it expanded to nothing), a placeholder,
// documentation's marks, surrounding spaces.
func (o *offline) valueShape(where, v string) {
	if dec, err := url.PathUnescape(v); err == nil && dec != v && strings.TrimSpace(dec) != dec {
		v = dec
	}
	kind := credential.Placeholder(v)
	switch {
	case strings.TrimSpace(v) == "":
		o.add(Finding{Code: VariableUnset, Status: Fail, Cause: "Environment notes: .env files and variables",
			Title: "The credential in " + where + " is empty: the variable that should hold it is unset or empty",
			Fix:   "Set the variable in this shell (export NAME=...) or load your .env file (set -a; . ./.env; set +a), and check it expands (double quotes)."})
	case o.wrapped(where, v, nil):
	case kind != "":
		f := fromDiagnose(diagnose.Placeholder("the credential in "+where, v, kind), Fail)
		f.Evidence = append(f.Evidence, "sent "+o.mask.show(v))
		o.add(f)
	case v != strings.TrimSpace(v):
		o.add(Finding{Code: HeaderFormat, Status: Fail, Cause: "4. Incorrect token format",
			Title: "The credential in " + where + " has surrounding spaces", Fix: "Send the credential alone, without spaces or line breaks."})
	case o.tokenKind("the credential in "+where, v):
	default:
		if env := diagnose.KeyEnvironment(v); env != "" {
			o.keyEnvironment(where, v, env)
		}
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
var statedMaximum = lazyregexp.New(`(?i)(\d+)\s*(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|[smhd])\b`)

// lifetimeAgainst compares the token's lifetime with the maximum the
// server states, when it states one; "" when there is nothing to say. A
// token without iat is taken as issued now.
func lifetimeAgainst(d *jwt.Decoded, says string, now time.Time) string {
	exp, ok1 := diagnose.ClaimTime(d, "exp")
	iat, ok2 := diagnose.ClaimTime(d, "iat")
	m := statedMaximum.FindStringSubmatch(says)
	if !ok1 || m == nil {
		return ""
	}
	if !ok2 {
		iat = now
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
			if credentialParam(name) {
				q.Del(name)
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String(), true
}
