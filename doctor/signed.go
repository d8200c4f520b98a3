package doctor

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/authgate/authgate/internal/lazyregexp"
)

// signatureName is a header or parameter that carries the request's own
// signature (sign, signature, ACCESS-SIGN, X-BAPI-SIGN, apisign,
// CHECKSUMHASH), and timestampName one that carries the time it was
// signed at (timestamp, ts, ACCESS-TIMESTAMP, X-BAPI-TIMESTAMP).
var (
	signatureName = lazyregexp.New(`(?i)^([a-z0-9]+[-_])*(sign|signature|sig|apisign|hmac|checksum|checksumhash)$`)
	timestampName = lazyregexp.New(`(?i)^([a-z0-9]+[-_])*(timestamp|ts|time|reqtime|request[-_]time)$`)
)

// namedValue is one header, query parameter or body field.
type namedValue struct{ where, name, value string }

// requestFields are the request's headers, query parameters and form or
// top-level JSON body fields.
func (o *offline) requestFields() []namedValue {
	var out []namedValue
	for _, h := range o.req.Headers {
		out = append(out, namedValue{"header", h.Name, strings.TrimSpace(h.Value)})
	}
	out = append(out, o.queryFields()...)
	body := strings.TrimSpace(o.req.Body)
	var m map[string]any
	switch {
	case strings.HasPrefix(body, "{") && json.Unmarshal([]byte(body), &m) == nil:
		for k, v := range m {
			switch v := v.(type) {
			case string:
				out = append(out, namedValue{"body field", k, v})
			case float64:
				out = append(out, namedValue{"body field", k, strconv.FormatFloat(v, 'f', -1, 64)})
			}
		}
	case strings.HasPrefix(body, "<"):
		for _, f := range xmlFields([]byte(body)) {
			out = append(out, namedValue{"body field", f[0], f[1]})
		}
	case body != "":
		if q, err := url.ParseQuery(body); err == nil {
			for k, vs := range q {
				out = append(out, namedValue{"body field", k, vs[0]})
			}
		}
	}
	return out
}

// queryFields are the parameters of the request's query.
func (o *offline) queryFields() []namedValue {
	u, err := url.Parse(o.req.URL)
	if err != nil {
		return nil
	}
	var out []namedValue
	for k, vs := range u.Query() {
		for _, v := range vs {
			out = append(out, namedValue{"query parameter", k, v})
		}
	}
	return out
}

// signedBy names the field of fields (requestFields) that carries the
// request's own signature, or "": a value of 16 characters or more, with
// no space.
func signedBy(fields []namedValue) string {
	for _, f := range fields {
		if signatureName.MatchString(f.name) && len(f.value) >= 16 && !strings.ContainsAny(f.value, " \t") {
			return "the " + f.where + " " + f.name
		}
	}
	return ""
}

// staleTimestamp reports a signed request whose timestamp (Unix seconds
// or milliseconds) is a day or more from now: signed requests carry the
// time they were made, and servers take them within minutes of it.
func (o *offline) staleTimestamp() {
	fields := o.requestFields()
	if signedBy(fields) == "" {
		return
	}
	now := o.opts.now()
	for _, f := range fields {
		if !timestampName.MatchString(f.name) || len(f.value) != 10 && len(f.value) != 13 {
			continue
		}
		n, err := strconv.ParseInt(f.value, 10, 64)
		if err != nil {
			continue
		}
		at := time.Unix(n, 0)
		if len(f.value) == 13 {
			at = time.UnixMilli(n)
		}
		if off := now.Sub(at); off.Abs() >= 24*time.Hour {
			o.add(Finding{Code: ClockSkew, Status: Fail, Basis: Decoded, Cause: "6. Clock skew",
				Title: fmt.Sprintf("The signed request's timestamp is %s %s the clock of this machine (the %s %s): servers take a signed request only within minutes of the time it carries",
					relativeDays(off), map[bool]string{true: "behind", false: "ahead of"}[off > 0], f.where, f.name),
				Evidence: []string{fmt.Sprintf("%s %s = %s (%s)", f.where, f.name, f.value, at.UTC().Format(time.RFC3339))},
				Fix:      "Sign the request again with the current time (and check this machine's clock); a copied example keeps the time it was made at."})
			return
		}
	}
}

// relativeDays says a long duration in days.
func relativeDays(d time.Duration) string {
	days := int(d.Abs().Hours() / 24)
	if days == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", days)
}

// stamped reports whether the request carries the time it was made at
// (a timestamp header, parameter or body field: requestTimestamp).
func (o *offline) stamped() bool {
	for _, f := range o.requestFields() {
		if timestampName.MatchString(f.name) || strings.HasSuffix(strings.ToLower(f.name), "timestamp") {
			return true
		}
	}
	return false
}

// numericNonce reports whether the request sends a nonce that counts (a
// number of ten digits or more: a time in seconds or milliseconds), as
// signed exchange calls do, not a CSRF token.
func (o *offline) numericNonce() bool {
	for _, f := range o.requestFields() {
		if strings.EqualFold(f.name, "nonce") && len(f.value) >= 10 && strings.Trim(f.value, "0123456789") == "" {
			return true
		}
	}
	return false
}
