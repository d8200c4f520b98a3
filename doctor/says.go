package doctor

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Statement is one thing the server's answer says about the failure, in
// its own words: an OAuth error parameter, an error body field, an error
// header.
type Statement struct {
	// Where names the place it was read: "WWW-Authenticate error_description",
	// "body error.message", "header x-amzn-ErrorType".
	Where string `json:"where"`
	// Text is the server's words (at most 300 bytes).
	Text string `json:"text"`
}

// ServerSays is the normalised record of what a server answered: its
// status, error code and message, and the provider that answered when the
// answer's fingerprint names one.
type ServerSays struct {
	Status     int         `json:"status"`
	Code       string      `json:"code,omitempty"`
	Message    string      `json:"message,omitempty"`
	URI        string      `json:"uri,omitempty"`
	Provider   string      `json:"provider,omitempty"`
	Statements []Statement `json:"statements,omitempty"`
}

// maxStatements bounds what is kept of one answer.
const maxStatements = 12

// codeKeys and messageKeys are the field names error bodies use, across
// the APIs of the provider table (lower case).
var (
	codeKeys = map[string]bool{"error": true, "code": true, "errorcode": true, "error_code": true, "reason": true,
		"type": true, "__type": true, "status": true, ".tag": true, "category": true}
	messageKeys = map[string]bool{"message": true, "error_description": true, "detail": true, "title": true,
		"errormessage": true, "errormessages": true, "errorsummary": true, "msg": true, "description": true,
		"error_message": true, "faultstring": true, "details": true, "hint": true, "error_summary": true}
)

// readSays gathers the server's statements: challenge error parameters,
// error headers, and the fields of a JSON, XML, HTML or text body.
func readSays(a *answer) ServerSays {
	s := ServerSays{Status: a.status}
	add := func(where, text string) {
		text = strings.TrimSpace(text)
		if text == "" || len(s.Statements) >= maxStatements {
			return
		}
		if len(text) > 300 {
			text = text[:300] + "…"
		}
		for _, st := range s.Statements {
			if st.Text == text {
				return
			}
		}
		s.Statements = append(s.Statements, Statement{Where: where, Text: text})
	}
	for _, c := range a.challenges {
		for _, p := range []string{"error", "error_description"} {
			if v, ok := c.Get(p); ok {
				add("WWW-Authenticate "+p, v)
				if p == "error" && s.Code == "" {
					s.Code = v
				} else if p == "error_description" && s.Message == "" {
					s.Message = v
				}
			}
		}
		if v, ok := c.Get("error_uri"); ok && s.URI == "" {
			s.URI = v
		}
	}
	for _, h := range []string{"X-Amzn-Errortype", "X-Ms-Error-Code", "X-Error-Code", "Grpc-Message", "X-Github-Sso", "X-Github-Otp"} {
		if v := a.header.Get(h); v != "" {
			add("header "+strings.ToLower(h), v)
		}
	}
	// GitHub (and its clones) name the scopes a call needs and the ones
	// the token has: a call the token's scopes do not cover is refused
	// for that, whatever the body says (a 404 for private resources).
	if need := splitScopes(a.header.Get("X-Accepted-Oauth-Scopes")); len(need) > 0 && a.header.Values("X-Oauth-Scopes") != nil {
		have := splitScopes(a.header.Get("X-Oauth-Scopes"))
		if !slices.ContainsFunc(need, func(n string) bool { return slices.Contains(have, n) }) {
			add("headers X-Accepted-OAuth-Scopes / X-OAuth-Scopes", fmt.Sprintf("insufficient scope: the call needs one of [%s]; the token has [%s]",
				strings.Join(need, " "), strings.Join(have, " ")))
		}
	}
	ct := strings.ToLower(a.header.Get("Content-Type"))
	body := strings.TrimSpace(string(a.body))
	switch {
	case strings.Contains(ct, "json") || strings.HasPrefix(body, "{") || strings.HasPrefix(body, "["):
		var v any
		if json.Unmarshal(a.body, &v) == nil {
			walkJSON(v, "", 0, func(path, key, text string) {
				k := strings.ToLower(key)
				switch {
				case messageKeys[k]:
					add("body "+path, text)
					if s.Message == "" {
						s.Message = text
					}
				case codeKeys[k] && !(k == "type" && strings.Contains(text, ":")): // not a type URI
					add("body "+path, text)
					if s.Code == "" && !isNumberWord(text) {
						s.Code = text
					}
				}
			})
		}
	case strings.Contains(ct, "xml") || strings.HasPrefix(body, "<?xml") || strings.HasPrefix(body, "<Error"):
		for _, f := range xmlFields(a.body) {
			add("body "+f[0], f[1])
			switch strings.ToLower(f[0]) {
			case "code":
				if s.Code == "" {
					s.Code = f[1]
				}
			case "message", "details":
				if s.Message == "" {
					s.Message = f[1]
				}
			}
		}
	case strings.Contains(ct, "html") || strings.HasPrefix(strings.ToLower(body), "<!doctype") || strings.HasPrefix(strings.ToLower(body), "<html"):
		for _, m := range htmlText.FindAllStringSubmatch(body, 4) {
			add("body <"+strings.ToLower(m[1])+">", tagStrip.ReplaceAllString(m[2], " "))
		}
	case body != "" && len(body) < 1000:
		add("body", body)
		if s.Message == "" {
			s.Message = body
		}
	}
	return s
}

var (
	htmlText = regexp.MustCompile(`(?is)<(title|h1|h2|p)[^>]*>(.*?)</(?:title|h1|h2|p)>`)
	tagStrip = regexp.MustCompile(`<[^>]*>|\s+`)
)

// splitScopes reads a comma-separated scope list.
func splitScopes(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func isNumberWord(s string) bool { return strings.Trim(s, "0123456789") == "" }

// walkJSON calls visit for each string (and number) value under a known
// key, depth first, at most 5 levels deep.
func walkJSON(v any, path string, depth int, visit func(path, key, text string)) {
	if depth > 5 {
		return
	}
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			switch val := t[k].(type) {
			case string:
				visit(p, k, val)
			case []any:
				for i, item := range val {
					if str, ok := item.(string); ok {
						visit(fmt.Sprintf("%s[%d]", p, i), k, str)
					} else {
						walkJSON(item, fmt.Sprintf("%s[%d]", p, i), depth+1, visit)
					}
				}
			default:
				walkJSON(val, p, depth+1, visit)
			}
		}
	case []any:
		for i, item := range t {
			walkJSON(item, fmt.Sprintf("%s[%d]", path, i), depth+1, visit)
		}
	}
}

// xmlFields returns the leaf elements of an XML error document (AWS, S3,
// Azure Storage, Google Cloud Storage), in order.
func xmlFields(body []byte) [][2]string {
	dec := xml.NewDecoder(strings.NewReader(string(body)))
	var out [][2]string
	var name string
	for len(out) < 20 {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name = t.Name.Local
		case xml.CharData:
			if text := strings.TrimSpace(string(t)); text != "" && name != "" {
				out = append(out, [2]string{name, text})
			}
		case xml.EndElement:
			name = ""
		}
	}
	return out
}

// stated is a cause the server's words name, and the words.
type stated struct {
	code Code
	says Statement
}

// A rule maps words servers use to the finding they state. The table is
// data: the first rule that matches a statement wins, so the specific
// come before the general. Each pattern is checked case-insensitively
// against "where: text".
type rule struct {
	pattern string
	code    Code
}

var rules = []rule{
	// RFC 9470: the token is fine, the sign-in behind it is not enough.
	{`insufficient_user_authentication|step[- ]?up|authentication (level|context) .{0,30}(insufficient|required)|requires? (mfa|multi-factor|two-factor authentication level)`, StepUpRequired},
	// Lists of causes say no one cause.
	{`may be invalid, or|invalid, expired,? (or|and) revoked|expired or revoked|revoked or expired|malformed, or expired|invalid or expired|expired or invalid`, CredentialsRejected},
	// Who the credential is for.
	{`\bid[ _-]?token\b.{0,40}(not|cannot|instead|supported)|expected an access token|token_use|access_token_type_unsupported.{0,80}id token`, IDTokenSent},
	{`audience|\baud\b|idx10214|idx10208|invalid_audience|wrong aud`, TokenAudienceMismatch},
	{`issuer|\biss\b|idx10205|idx10204`, TokenIssuerMismatch},
	{`\btyp\b|token type .{0,20}(mismatch|invalid|not allowed|expected)|wrong token type|invalid token type`, TokenTypeMismatch},
	// Keys and signatures.
	{`signature key was not found|idx10503|idx10501|no matching key|unable to find .{0,20}key|kid .{0,40}not found|unknown kid|key .{0,20}not found|no key for|jwks`, TokenKeyUnknown},
	{`signaturedoesnotmatch|request signature we calculated|incompletesignature|signature .{0,30}(does not|doesn't) match|invalid signature for request|authorization header requires|not the same as any computed signature|authorization header is formed correctly`, RequestSignatureInvalid},
	{`invalid signature|signature (is )?invalid|signature verification|bad signature|idx10511|idx10504|signature .{0,20}failed|jwt signature`, TokenSignatureInvalid},
	// Time.
	{`requesttimetooskewed|clock skew|time too skewed|signature expired:|request time .{0,40}(too|out of)`, ClockSkew},
	{`not (yet )?valid (yet|before)|not yet valid|used before|\bnbf\b|idx10222|before .{0,20}issued`, TokenNotYetValid},
	{`revoked|token_revoked|deactivated|account_inactive|(account|user|key|token|client|credential)( is| has been| was)? (disabled|suspended)`, CredentialRevoked},
	{`expired|\bexp\b|expiredtoken|token_expired|lifetime validation failed|idx10223|session expired|invalid_session_id|request has expired`, TokenExpired},
	// Environments.
	{`test mode|live mode|sandbox|wrong (environment|datacenter|region)|another environment|different environment`, WrongEnvironment},
	// Kinds of credential.
	{`publishable (api )?key|use a secret (api )?key|passwords? (is|are) deprecated|basic authentication with passwords|password authentication .{0,30}(removed|no longer)|use an? (api|access|personal access) token`, WrongTokenKind},
	{`access_token_type_unsupported|unsupported token type|wrong type of (token|credential)|token type .{0,20}not supported|expected oauth 2 access token`, WrongTokenKind},
	// Companion headers.
	{`\b[a-z-]*version\b.{0,40}(required|missing|must be|should be defined)|missing_version|two-factor|x-github-otp|otp code|client[-_ ]?id.{0,20}(required|missing)|x-goog-user-project|user project`, CompanionHeaderMissing},
	// Nothing, or nothing usable, arrived.
	{`(x-api-key|api[-_ ]key|authorization|auth) header (is )?(required|missing)|no api key found|failed to resolve api key|credentials were not provided|not authenticated|no (api key|token|credentials|authorization( header)?|auth(entication)? (token|credentials|header)) .{0,20}(provided|found|supplied|present|given)|you did(n't| not) provide|missing (api key|authentication|authorization|bearer|token|credentials|access token)|missingauthenticationtoken|requires authentication|authentication required|authentication credentials .{0,20}missing|unregistered callers|system:anonymous|login required|not_authed|no authorization token was found|unauthenticated request|credentials? (were |was )?not (found|supplied|present)|anonymous access is disabled`, CredentialsMissing},
	{`malformed|not well formed|idx14100|idx12741|invalid (format|authorization header|header)|must be in the form|bad authorization header|\binvalid_request\b|could not be parsed|not a valid jwt|jwt must have|header_format|invalid character`, HeaderFormat},
	// Permissions (403 and its disguises).
	{`higher privileges|insufficient.{0,20}scope|scope_insufficient|missing_scope|required scope|not have (the )?(required )?(permission|scope|access)|insufficient privileges|not accessible by|permission_denied|authorization_requestdenied|accessdenied|access denied|is forbidden|cannot (get|list|create|update|delete|watch|patch)|is unauthorized for user|not authorized to perform|authorizationpermissionmismatch|insufficient permissions|not authorized to access|explicit deny`, InsufficientScope},
	{`saml enforcement|\bsso\b|gated|not in the authorized list|restricted and you|ip .{0,30}not (allowed|authorized|in)|allowlist|whitelist|blocked|organization .{0,30}(policy|restricts)|not permitted|forbidden by policy`, Forbidden},
	{`rate limit|too many (requests|attempts|failed)|throttl|quota`, TooManyFailures},
	// Unknown credentials, then plain refusals.
	{`invalid (x-)?api[-_ ]?(key|token)|incorrect api key|api key (not valid|invalid|is invalid)|unknown (api )?key|no such (api )?key|invalidclienttokenid|security token included in the request is invalid|unrecognizedclientexception|unrecognized login|invalid_api_key|api key invalid|api_key_invalid|key not found|does not exist`, CredentialUnknown},
	{`bad credentials|invalid[_ ]auth|invalid (access |bearer |auth(entication)? )?token|invalid credentials|invalid authentication credentials|authentication failed|authenticationfailed|unauthorized|unable to authenticate|could not be verified|could not verify|token verification failed|access token validation failure|notauthorizedexception|invalid_grant|invalid_client|wrong password|incorrect (password|username)|invalid (password|username|user name)|login failed|token is invalid|is not valid|(token|key|credentials?)( provided)? (is|are) invalid|authenticate`, CredentialsRejected},
}

var compiledRules = func() []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(rules))
	for i, r := range rules {
		out[i] = regexp.MustCompile(`(?i)` + r.pattern)
	}
	return out
}()

// classify returns the index of the first rule one statement matches, or
// -1.
func classify(st Statement) int {
	for i, re := range compiledRules {
		if re.MatchString(st.Text) {
			return i
		}
	}
	return -1
}

// statedCause returns the most specific cause the server's statements
// name: among the statements that name a cause, the one whose rule comes
// first in the table (so "AccessDenied: Request has expired" is an
// expiry); a statement that only refuses counts when none says why.
func (s ServerSays) statedCause() (stated, bool) {
	var generic *stated
	best, bestRule := stated{}, len(rules)
	for _, st := range s.Statements {
		i := classify(st)
		switch {
		case i < 0:
		case rules[i].code == CredentialsRejected:
			if generic == nil {
				generic = &stated{rules[i].code, st}
			}
		case i < bestRule:
			best, bestRule = stated{rules[i].code, st}, i
		}
	}
	if bestRule < len(rules) {
		return best, true
	}
	if generic != nil {
		return *generic, true
	}
	return stated{}, false
}
