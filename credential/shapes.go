package credential

import (
	"strings"

	"github.com/authgate/authgate/internal/lazyregexp"
)

// sampleWords are the words documentation names a credential with
// ("secret_api_key", "DEMO_KEY", "my-secret-token"); keyWords those of
// them that say what belongs there.
var (
	sampleWords = map[string]bool{"your": true, "my": true, "the": true, "api": true, "key": true, "token": true, "secret": true,
		"access": true, "auth": true, "bearer": true, "client": true, "private": true, "public": true, "app": true, "password": true,
		"pass": true, "id": true, "here": true, "user": true, "demo": true, "test": true, "sample": true, "example": true,
		"dummy": true, "fake": true, "personal": true, "value": true, "jwt": true, "apikey": true}
	keyWords = map[string]bool{"key": true, "token": true, "secret": true, "password": true, "pass": true, "jwt": true, "apikey": true}
	// bracketed is a value wholly in brackets of any script: "[你的API密钥]",
	// "【アクセストークン】", "(votre clé API)".
	bracketed = lazyregexp.New(`^(\[[^\]]+\]|\([^)]+\)|（[^）]+）|【[^】]+】|「[^」]+」|《[^》]+》|\{[^}]+\})$`)
)

// bracketedProse reports whether v is text in brackets — words with a
// space, or in a script other than ASCII — where a credential belongs.
func bracketedProse(v string) bool {
	return bracketed.MatchString(v) && strings.IndexFunc(v, func(r rune) bool { return r == ' ' || r > 0x7f }) >= 0
}

// sampleName reports whether v is only words that name a credential,
// joined by _, - or ., one of them saying what belongs there, and three
// of them or one only a sample uses.
func sampleName(v string) bool {
	if len(v) > 40 {
		return false
	}
	fields := strings.FieldsFunc(strings.ToLower(v), func(r rune) bool { return r == '_' || r == '-' || r == '.' })
	if len(fields) < 2 {
		return false
	}
	named, sample := false, len(fields) >= 3
	for _, f := range fields {
		if !sampleWords[f] {
			return false
		}
		named = named || keyWords[f]
		sample = sample || sampleOnly[f]
	}
	return named && sample
}

// sampleOnly are the words only a sample uses: two words naming a
// credential ("client-secret", "app-token") may be a real one's name
// for itself; with one of these ("demo-key", "your-token") they are not.
var sampleOnly = map[string]bool{"your": true, "my": true, "the": true, "here": true, "demo": true, "sample": true,
	"example": true, "dummy": true, "fake": true, "value": true}

// sequence reports whether v is a filler run of six or more: one
// character repeated, digits or letters counting up (1234567890,
// abcdefgh), or letters and digits counting up in turn
// (a1b2c3d4) — not letters then digits (abcdef0123456789, a sample
// token of its own). After a key's prefix of letters (sk_test_) only a count
// does: a prefix before repeated characters (glpat-xxxx) is
// documentation masking a real key.
func sequence(v string) bool {
	prefixed := false
	if i := strings.LastIndexAny(v, "_-"); i >= 0 && strings.IndexFunc(v[:i], func(r rune) bool { return r > 0x7f || !isLetter(byte(r)) && r != '_' && r != '-' }) < 0 {
		v, prefixed = v[i+1:], true
	}
	if len(v) < 6 {
		return false
	}
	if interleaved(v) {
		return true
	}
	segments := 0
	for i := 0; i < len(v); {
		if !isAlnum(v[i]) {
			return false
		}
		j := i + 1
		for j < len(v) && isAlnum(v[j]) && isDigit(v[i]) == isDigit(v[j]) {
			j++
		}
		if same, up := run(v[i:j]); j-i < 3 || !isDigit(v[i]) || !up && (!same || prefixed) {
			return false
		}
		segments++
		i = j
	}
	return segments == 1
}

// run reports whether s is one character repeated, and whether it counts
// up by one (digits wrap from 9 to 0).
func run(s string) (same, up bool) {
	same, up = true, true
	for i := 1; i < len(s); i++ {
		same = same && s[i] == s[0]
		next := s[i-1] + 1
		if s[i-1] == '9' {
			next = '0'
		}
		up = up && s[i] == next
	}
	return same, up
}

// interleaved reports whether s alternates letters and digits that each
// count up: a1b2c3d4, 1a2b3c4d.
func interleaved(s string) bool {
	var even, odd []byte
	for i := 0; i < len(s); i++ {
		if i%2 == 0 {
			even = append(even, s[i])
		} else {
			odd = append(odd, s[i])
		}
	}
	letters, digits := even, odd
	if isDigit(s[0]) {
		letters, digits = odd, even
	}
	for _, c := range letters {
		if !isLetter(c) {
			return false
		}
	}
	for _, c := range digits {
		if !isDigit(c) {
			return false
		}
	}
	_, lettersUp := run(string(letters))
	_, digitsUp := run(string(digits))
	return lettersUp && digitsUp
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isAlnum(c byte) bool  { return isDigit(c) || isLetter(c) }
