package credential

import (
	"encoding/base64"
	"strings"

	"github.com/authgate/authgate/internal/lazyregexp"
)

var (
	shellVar   = lazyregexp.New(`^\$[A-Za-z_][A-Za-z0-9_]*$`)
	windowsVar = lazyregexp.New(`%[A-Za-z_][A-Za-z0-9_]*%`)
	upperWords = lazyregexp.New(`^[A-Z0-9_\-]+$`)
	// camelSample is documentation's sample written in camel case:
	// YourApiKeyToken, YourAccessToken, MyApiKey, InsertYourKeyHere.
	camelSample     = lazyregexp.New(`^((Insert|Enter|Put|Paste)?(Your|My)(Api|API|Access|Auth|Bearer|Secret|Private|Personal|App)?(Key|Token|Secret|Password|Jwt|JWT)(Token|Key|Here)?(Here)?|(Api|API|Access|Auth|Secret)?(Key|Token)Here)$`)
	joinedSample    = lazyregexp.New(`^(your|my)(api|access|auth|bearer|secret|private|personal|app)?(key|token|secret|password|jwt)(token|key)?(here)?$`)
	braceName       = lazyregexp.New(`^(\{[A-Za-z_][\w -]*\}|\[[A-Za-z_][\w -]*\])$`)
	placeholderWord = lazyregexp.New(`TOKEN|KEY|SECRET|PASSWORD|JWT|HERE|YOUR|CREDENTIAL|PLACEHOLDER`)
)

var placeholderValues = map[string]bool{
	"undefined": true, "null": true, "none": true, "nil": true, "nan": true,
	"[object object]": true, "string": true, "token": true, "bearer": true,
	"changeme": true, "change_me": true, "placeholder": true, "example": true,
	"your_token": true, "access_token": true, "api_key": true, "apikey": true,
	"secret": true, "password": true, "true": true, "false": true,
	"dummy": true, "sample": true, "foo": true, "foobar": true,
}

// Placeholder reports whether v is a placeholder or unexpanded template
// text rather than a credential, and if so names the kind (never the
// value). It returns "" for anything that could be a real credential.
func Placeholder(v string) string {
	lower := strings.ToLower(v)
	switch {
	case strings.Contains(v, "$(") || strings.Contains(v, "`"):
		return "unexpanded shell command substitution: the shell did not run it, often because of single quotes"
	case strings.Contains(v, "${") || shellVar.MatchString(v):
		return "unexpanded shell variable: it was quoted in single quotes or never set"
	case windowsVar.MatchString(v):
		return "unexpanded %VAR% variable"
	case strings.Contains(v, "{{") && strings.Contains(v, "}}"):
		return "unfilled template variable {{...}}"
	case strings.HasPrefix(v, "<") && strings.HasSuffix(v, ">"):
		return "angle-bracket placeholder <...>"
	case placeholderValues[lower]:
		return "a literal word such as 'undefined', 'null' or 'string' where a credential belongs"
	case structuredToken(v):
		// A signed JWT's base64 can spell anything: its parts are not
		// words, so nothing below may judge them.
		return ""
	case camelSample.MatchString(v) || joinedSample.MatchString(lower):
		return "sample text such as YourApiKeyToken from documentation"
	case braceName.MatchString(v):
		return "unfilled template variable {...} or [...]"
	case bracketedProse(v):
		return "bracketed text, in whatever language, where the credential belongs"
	case sampleName(v):
		return "a name of what belongs there, such as secret_api_key or DEMO_KEY"
	case sequence(v):
		return "a filler value such as 1234567890, abcdef or a1b2c3"
	case len(v) >= 8 && strings.Trim(v, "xX*•-") == "":
		return "a masked or filler value such as xxxx or ****"
	case hasWord(lower, "here", "replace", "insert", "replaceme") && hasWord(lower, "token", "key", "secret", "password", "jwt", "apikey", "credential", "credentials", "me"):
		return "sample text such as TOKEN_HERE or REPLACE_ME from documentation"
	case hasWord(lower, "your") && hasWord(lower, "token", "key", "secret", "password", "jwt", "cred", "creds", "credential",
		"credentials", "apikey", "pat"):
		return "sample text such as YOUR_TOKEN from documentation"
	case len(v) <= 64 && upperWords.MatchString(v) && strings.ContainsAny(v, "_-") && placeholderWord.MatchString(v):
		return "an upper-case name such as ACCESS_TOKEN where its value belongs"
	case len(v) >= 3 && strings.Count(v, v[:1]) == len(v) && strings.Contains("x*.Xx-0#", v[:1]):
		return "a masked or filler value such as xxxx or ****"
	}
	return ""
}

// hasWord reports whether lower-case s holds one of words as a whole word
// (letters and digits between any other characters).
func hasWord(s string, words ...string) bool {
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !('a' <= r && r <= 'z' || '0' <= r && r <= '9') }) {
		for _, want := range words {
			if w == want {
				return true
			}
		}
	}
	return false
}

// structuredToken reports whether v is shaped like a JWS compact token:
// three base64url parts whose first decodes to a JSON object.
func structuredToken(v string) bool {
	if !looksLikeJWT(v) || strings.Count(v, ".") != 2 {
		return false
	}
	head, _, _ := strings.Cut(v, ".")
	raw, err := base64.RawURLEncoding.DecodeString(head)
	return err == nil && len(raw) > 1 && raw[0] == '{' && raw[len(raw)-1] == '}'
}
