// Package spelling measures how far a typed word is from a known one, for
// "did you mean" hints (configuration keys, misspelled header names).
package spelling

// maxLen bounds the words compared: longer ones count as far apart, so
// text from outside never costs more than a 64×64 table.
const maxLen = 64

// Distance is the Levenshtein distance of a and b (insertions, deletions
// and substitutions of bytes); maxLen when either is longer than maxLen.
func Distance(a, b string) int {
	if len(a) > maxLen || len(b) > maxLen {
		return maxLen
	}
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
