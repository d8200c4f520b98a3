package doctor

import (
	"regexp"
	"strings"
	"testing"
)

// withoutNeedles is each rule's phrases as one alternation.
var withoutNeedles = func() []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(rules))
	for i, r := range rules {
		out[i] = regexp.MustCompile(`(?i)` + strings.Join(r.phrases, "|"))
	}
	return out
}()

// firstRuleWithoutNeedles is firstRule running every rule's alternation.
func firstRuleWithoutNeedles(text string) int {
	for i, re := range withoutNeedles {
		if re.MatchString(text) {
			return i
		}
	}
	return -1
}

// TestNeedlesChangeNoMatch: every message of the lexicon, and its words
// as an error code spells them, finds the same rule with needles as
// without; most rules have needles (or they would save nothing).
func TestNeedlesChangeNoMatch(t *testing.T) {
	texts := []string{"", "K", "\u212a", "ſ", "İ", "ß", "ẞ", "\xff"}
	for _, entries := range loadLexicon(t) {
		for _, e := range entries {
			texts = append(texts, e.text, codeWords(e.text))
		}
	}
	for _, text := range texts {
		if got, want := firstRule(text), firstRuleWithoutNeedles(text); got != want {
			t.Errorf("%q: rule %d with needles, %d without", text, got, want)
		}
	}
	with, phrases := 0, 0
	for _, m := range compiledRules() {
		for _, p := range m {
			phrases++
			if p.needles != nil {
				with++
			}
		}
	}
	if with*10 < phrases*9 {
		t.Errorf("%d of %d phrases have needles", with, phrases)
	}
	t.Logf("%d messages; %d of %d phrases have needles", len(texts), with, phrases)
}

// TestFold: runes that (?i) matches to each other fold alike.
func TestFold(t *testing.T) {
	for _, tt := range []struct{ a, b string }{
		{"Token", "tOKEN"}, {"k", "\u212a"}, {"s", "ſ"}, {"Ελληνικά", "ΕΛΛΗΝΙΚΆ"}, {"σ", "ς"}, {"Straße", "STRAßE"},
	} {
		if fold(tt.a) != fold(tt.b) {
			t.Errorf("fold(%q) = %q, fold(%q) = %q", tt.a, fold(tt.a), tt.b, fold(tt.b))
		}
	}
	if fold("token") == fold("tokens") {
		t.Error("fold merges different words")
	}
}

// FuzzNeedles: no text finds another rule with needles than without.
func FuzzNeedles(f *testing.F) {
	for _, s := range []string{"Token expired", "INVALID_API_KEY", "the \u212aey is revoked", "ſession expired", "ip not whitelisted"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if got, want := firstRule(text), firstRuleWithoutNeedles(text); got != want {
			t.Errorf("%q: rule %d with needles, %d without", text, got, want)
		}
	})
}
