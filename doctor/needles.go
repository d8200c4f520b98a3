package doctor

import (
	"fmt"
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/authgate/authgate/internal/lazyregexp"
)

// A rule of the lexicon is many phrases, each a case-insensitive
// regular expression, run against every statement of an answer, and
// most statements share no word with most phrases. A phrase's needles
// are pieces of text one of which every match of it contains, folded as
// (?i) folds ("expired"; "令牌", "token" or "凭证" for a phrase that starts
// with the words for a token); a phrase none of whose needles is in the
// folded statement cannot match and is not run. A phrase without needles
// (an optional part, or only classes) is always run. Folding and the
// needles are exact for Go's case folding, so a rule matches with needles
// exactly when its phrases' alternation does (TestNeedlesChangeNoMatch,
// FuzzNeedles).
type ruleMatcher []phraseMatcher

// phraseMatcher is one phrase: its expression and its needles (none when
// it has none).
type phraseMatcher struct {
	re      *lazyregexp.Regexp
	needles []string
}

// newRuleMatcher compiles each phrase case-insensitively and finds its
// needles.
func newRuleMatcher(phrases []string) ruleMatcher {
	m := make(ruleMatcher, len(phrases))
	for i, p := range phrases {
		parsed, err := syntax.Parse(`(?i)`+p, syntax.Perl)
		if err != nil {
			panic(fmt.Sprintf("lexicon phrase %q: %v", p, err))
		}
		m[i] = phraseMatcher{lazyregexp.New(`(?i)` + p), requiredText(parsed.Simplify())}
	}
	return m
}

// matches reports whether text, whose folding is folded, matches a
// phrase of m.
func (m ruleMatcher) matches(text, folded string) bool {
	for _, p := range m {
		if (p.needles == nil || containsAny(folded, p.needles)) && p.re.MatchString(text) {
			return true
		}
	}
	return false
}

// containsAny reports whether s contains one of needles.
func containsAny(s string, needles []string) bool {
	for _, n := range needles {
		if strings.Contains(s, n) {
			return true
		}
	}
	return false
}

// requiredText is texts one of which every match of re contains, folded,
// or nil when it can tell none: a literal; the best of a concatenation's
// parts (whose shortest text is longest); every alternative's, when each
// alternative has some.
func requiredText(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{fold(string(re.Rune))}
	case syntax.OpCapture, syntax.OpPlus:
		return requiredText(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredText(re.Sub[0])
		}
	case syntax.OpConcat:
		var best []string
		for _, sub := range re.Sub {
			if t := requiredText(sub); shortest(t) > shortest(best) {
				best = t
			}
		}
		return best
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			t := requiredText(sub)
			if t == nil {
				return nil
			}
			all = append(all, t...)
		}
		return all
	}
	return nil
}

// shortest is the length of the shortest of texts, 0 when there are none.
func shortest(texts []string) int {
	if len(texts) == 0 {
		return 0
	}
	n := len(texts[0])
	for _, t := range texts[1:] {
		n = min(n, len(t))
	}
	return n
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
