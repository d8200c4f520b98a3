package doctor

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A rule of the lexicon is many phrases, each a case-insensitive
// regular expression, run against every statement of an answer, and
// most statements share no word with most phrases. A phrase's needle is
// a piece of text every match of it contains, folded as (?i) folds; a
// phrase whose needle is not in the folded statement cannot match and is
// not run. A phrase without a needle (all alternatives, or only classes)
// is always run. Folding and the needles are exact for Go's case
// folding, so a rule matches with needles exactly when its phrases'
// alternation does (TestNeedlesChangeNoMatch, FuzzNeedles).
type ruleMatcher []phraseMatcher

// phraseMatcher is one phrase: its expression and its needle ("" when
// it has none).
type phraseMatcher struct {
	re     *regexp.Regexp
	needle string
}

// newRuleMatcher compiles each phrase case-insensitively and finds its
// needle.
func newRuleMatcher(phrases []string) ruleMatcher {
	m := make(ruleMatcher, len(phrases))
	for i, p := range phrases {
		parsed, err := syntax.Parse(`(?i)`+p, syntax.Perl)
		if err != nil {
			panic(fmt.Sprintf("lexicon phrase %q: %v", p, err))
		}
		m[i] = phraseMatcher{regexp.MustCompile(`(?i)` + p), requiredText(parsed.Simplify())}
	}
	return m
}

// matches reports whether text, whose folding is folded, matches a
// phrase of m.
func (m ruleMatcher) matches(text, folded string) bool {
	for _, p := range m {
		if (p.needle == "" || strings.Contains(folded, p.needle)) && p.re.MatchString(text) {
			return true
		}
	}
	return false
}

// requiredText is the longest literal text every match of re contains,
// folded, or "" when there is none it can tell.
func requiredText(re *syntax.Regexp) string {
	switch re.Op {
	case syntax.OpLiteral:
		return fold(string(re.Rune))
	case syntax.OpCapture, syntax.OpPlus:
		return requiredText(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredText(re.Sub[0])
		}
	case syntax.OpConcat:
		longest := ""
		for _, sub := range re.Sub {
			if t := requiredText(sub); len(t) > len(longest) {
				longest = t
			}
		}
		return longest
	}
	return ""
}

// fold maps every rune of s to the smallest rune of its case-folding
// orbit (unicode.SimpleFold, what (?i) matches by): two runes (?i)
// matches to each other fold to the same rune.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			if 'a' <= r && r <= 'z' {
				r -= 'a' - 'A'
			}
			// 'K' and 'S' have orbits beyond ASCII (the Kelvin sign, the
			// long s), whose other members are larger: still 'K', 'S'.
		default:
			least := r
			for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
				least = min(least, f)
			}
			r = least
		}
		b.WriteRune(r)
	}
	return b.String()
}
