package doctor

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/authgate/authgate/internal/lazyregexp"
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
	// split: the text holds several messages, each also a statement of
	// its own; it is quoted, and its parts are what is weighed.
	split bool
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
const maxStatements = 24

// codeKeys and messageKeys are the field names error bodies use, across
// the APIs of the provider table (lower case); skipKeys hold values that
// are never statements (identifiers, times, places, links).
var (
	codeKeys = map[string]bool{"error": true, "code": true, "errorcode": true, "error_code": true, "reason": true,
		"type": true, "__type": true, "status": true, ".tag": true, "category": true, "subcode": true, "error_type": true, "errortype": true}
	messageKeys = map[string]bool{"message": true, "error_description": true, "detail": true, "title": true,
		"errormessage": true, "errormessages": true, "errorsummary": true, "msg": true, "description": true,
		"error_message": true, "faultstring": true, "details": true, "hint": true, "error_summary": true, "error_msg": true,
		"errors": true, "reason_phrase": true, "explanation": true, "info": true, "user_message": true, "developer_message": true}
	skipKeys = map[string]bool{"id": true, "request_id": true, "requestid": true, "trace_id": true, "traceid": true, "correlation_id": true,
		"timestamp": true, "time": true, "date": true, "path": true, "url": true, "href": true, "uri": true, "instance": true,
		"documentation_url": true, "doc_url": true, "help_url": true, "link": true, "more_info": true, "method": true, "jsonrpc": true,
		"locale": true, "lang": true, "name": true, "version": true, "x-request-id": true, "debug_id": true, "transaction_id": true}
)

// grantKey is a field whose name says its value is a grant the call
// needs and the credential lacks: required_scopes, missing_permissions,
// scopes_required.
var grantKey = lazyregexp.New(`(?i)^(required|missing|needed|requires)[_-]?(scopes?|permissions?|roles?|privileges?)$|^(scopes?|permissions?|roles?|privileges?)[_-]?(required|missing|needed)$`)

// errorHeaders are the response headers servers put their reasons in.
var errorHeaders = []string{"X-Amzn-Errortype", "X-Ms-Error-Code", "X-Error-Code", "X-Error", "X-Error-Message", "X-Error-Description",
	"X-Auth-Error", "X-Reason", "X-Error-Detail", "X-Ms-Diagnostics", "Grpc-Message", "Grpc-Status-Details", "X-Github-Sso", "X-Github-Otp",
	"X-Amz-Error-Message", "X-Amz-Error-Code", "X-Failure-Reason", "X-Rejection-Reason", "X-Authentication-Denied-Reason", "X-Seraph-Loginreason",
	"Message", "X-Message", "Error-Message", "Error", "Status-Message", "X-Status-Message", "X-Status-Reason"}

// vendorErrorHeader is the name of a header a vendor puts its reason in:
// X-Mashery-Error-Code, X-Kong-Error-Message, X-Myapi-Auth-Reason.
var vendorErrorHeader = lazyregexp.New(`(?i)^x-[\w-]*-(error|err|reason)(-(code|message|msg|detail|description|reason))?$`)

// vendorErrorHeaders returns, sorted, at most 4 response headers named as
// a vendor's error headers that errorHeaders does not list.
func vendorErrorHeaders(h http.Header) []string {
	var out []string
	for name := range h {
		if vendorErrorHeader.MatchString(name) && !slices.Contains(errorHeaders, http.CanonicalHeaderKey(name)) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out[:min(len(out), 4)]
}

// splitMessages splits a string holding several messages ("a; b",
// "a | b", lines, sentences) into its parts.
func splitMessages(text string) []string {
	var out []string
	for _, chunk := range messageSep.Split(text, -1) {
		start := 0
		for i := 1; i+2 < len(chunk); i++ {
			// a sentence ends at ". X" (not "e.g. x", not "v1.2")
			if strings.ContainsRune(".!?", rune(chunk[i])) && chunk[i+1] == ' ' && chunk[i+2] >= 'A' && chunk[i+2] <= 'Z' {
				out = appendTrimmed(out, chunk[start:i+1])
				start = i + 2
			}
		}
		out = appendTrimmed(out, chunk[start:])
	}
	return out
}

// statementsOf is what one string of an answer states: itself, and when
// it holds several messages, each of them (the whole then marked split:
// quoted, not weighed).
func statementsOf(where, text string) []Statement {
	out := []Statement{{Where: where, Text: text}}
	if parts := splitMessages(text); len(parts) > 1 {
		out[0].split = true
		for _, p := range parts {
			out = append(out, Statement{Where: where, Text: p})
		}
	}
	return out
}

func appendTrimmed(out []string, s string) []string {
	if s = strings.TrimSpace(s); s != "" {
		out = append(out, s)
	}
	return out
}

var messageSep = lazyregexp.New(`;\s+|\s\|\s|\s*\n\s*`)

// readSays gathers the server's statements: challenge error parameters,
// error headers, and every string of a JSON, XML, HTML or text body (a
// string that holds several messages is read as each of them too).
func readSays(a *answer) ServerSays {
	s := ServerSays{Status: a.status}
	addOne := func(where, text string) bool {
		text = strings.TrimSpace(text)
		if text == "" || len(s.Statements) >= maxStatements {
			return false
		}
		if len(text) > 300 {
			text = text[:300] + "…"
		}
		for _, st := range s.Statements {
			if st.Text == text {
				return false
			}
		}
		s.Statements = append(s.Statements, Statement{Where: where, Text: text})
		return true
	}
	add := func(where, text string) {
		for _, st := range statementsOf(where, text) {
			if addOne(st.Where, st.Text) {
				s.Statements[len(s.Statements)-1].split = st.split
			}
		}
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
		for _, prm := range c.Params { // a vendor's own: message="…", reason="…"
			if k := strings.ToLower(prm.Name); k != "error" && k != "error_description" && (messageKeys[k] || codeKeys[k]) {
				add("WWW-Authenticate "+prm.Name, prm.Value)
			}
		}
	}
	for _, h := range errorHeaders {
		if v := a.header.Get(h); v != "" {
			add("header "+strings.ToLower(h), v)
		}
	}
	for _, h := range vendorErrorHeaders(a.header) {
		add("header "+strings.ToLower(h), a.header.Get(h))
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
			var others [][2]string
			walkJSON(v, "", 0, func(path, key, text string) {
				k := strings.ToLower(key)
				switch {
				case messageKeys[k]:
					add("body "+path, text)
					if s.Message == "" {
						s.Message = text
					}
				case grantKey.MatchString(k):
					add("body "+path, codeWords(key)+": "+text) // {"required_scopes":["foo:write"]}: the key says what the value is
				case codeKeys[k] && !(k == "type" && strings.Contains(text, ":")): // not a type URI
					add("body "+path, text)
					if s.Code == "" && !isNumberWord(text) {
						s.Code = text
					}
				case !skipKeys[k] && isStatement(text):
					others = append(others, [2]string{path, text})
				}
			})
			for _, o := range others { // the known fields first, then the rest
				add("body "+o[0], o[1])
			}
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
		for _, b := range htmlBlocks(body) {
			add("body "+b[0], b[1])
		}
	case body != "":
		if len(body) > 4000 {
			body = body[:4000]
		}
		add("body", body)
		if s.Message == "" {
			s.Message = strings.TrimSpace(strings.SplitN(body, "\n", 2)[0])
			if !strings.Contains(body, "\n") {
				s.Message = body
			}
		}
	}
	return s
}

// maxHTMLBlocks bounds the blocks of text read from one page.
const maxHTMLBlocks = 40

var (
	htmlTitle = lazyregexp.New(`(?is)<title[^>]*>(.*?)</title>`)
	// htmlNoise is what a page holds that is not its text.
	htmlNoise = lazyregexp.New(`(?is)<(script|style|head|noscript|svg|template)\b.*?</(script|style|head|noscript|svg|template)>|<!--.*?-->`)
	// htmlBlock are the tags that end a block of text; any other tag is
	// inline ("Your IP <strong>203.0.113.5</strong> is blocked" is one
	// statement).
	htmlBlock = lazyregexp.New(`(?i)</?(p|div|h[1-6]|li|ul|ol|dl|dt|dd|td|th|tr|table|pre|br|hr|section|article|header|footer|main|nav|aside|form|label|button|body|html|center|blockquote|fieldset|legend|caption|title|option|select|textarea)\b[^>]*>`)
	htmlTag   = lazyregexp.New(`<[^>]*>`)
	spaces    = lazyregexp.New(`\s+`)
)

// htmlBlocks returns the text of an HTML page as its blocks, in order:
// the title, then each paragraph, heading, list item, cell… with inline
// markup taken out and entities decoded ("don&#39;t" is "don't").
func htmlBlocks(page string) [][2]string {
	var out [][2]string
	if m := htmlTitle.FindStringSubmatch(page); m != nil {
		if t := strings.TrimSpace(spaces.ReplaceAllString(html.UnescapeString(htmlTag.ReplaceAllString(m[1], "")), " ")); t != "" {
			out = append(out, [2]string{"<title>", t})
		}
	}
	text := htmlBlock.ReplaceAllString(htmlNoise.ReplaceAllString(page, " "), "\n")
	for _, line := range strings.Split(htmlTag.ReplaceAllString(text, ""), "\n") {
		if len(out) >= maxHTMLBlocks {
			break
		}
		if line = strings.TrimSpace(spaces.ReplaceAllString(html.UnescapeString(line), " ")); line != "" {
			out = append(out, [2]string{"text", line})
		}
	}
	return out
}

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

// isStatement: a string under a key the doctor does not know is read
// when it has words (letters and a space, or a CODE_LIKE_THIS), and is
// neither a link nor a time.
func isStatement(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) < 4 || strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "/") {
		return false
	}
	if _, err := time.Parse(time.RFC3339, s); err == nil {
		return false
	}
	return strings.ContainsAny(s, " _") && strings.ContainsFunc(s, unicode.IsLetter)
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
			for _, at := range t.Attr { // <status message="…" value="18"/>
				if k := strings.ToLower(at.Name.Local); (messageKeys[k] || codeKeys[k]) && strings.TrimSpace(at.Value) != "" {
					out = append(out, [2]string{name + "@" + at.Name.Local, strings.TrimSpace(at.Value)})
				}
			}
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
