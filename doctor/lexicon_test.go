package doctor

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// lexiconEntry is one real message: the service that sends it, where it
// is documented or reported, and its text.
type lexiconEntry struct {
	service, source, text string
}

// bareGroup is the lexicon's group of bare refusals: messages that name
// no cause, which must be recognised as such.
const bareGroup = "bare"

// loadLexicon reads testdata/lexicon.yaml: cause -> [service, source, text].
func loadLexicon(t *testing.T) map[string][]lexiconEntry {
	data, err := os.ReadFile("testdata/lexicon.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string][][]string
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	out := map[string][]lexiconEntry{}
	for cause, list := range raw {
		if _, ok := weight[Code(cause)]; !ok && cause != bareGroup {
			t.Fatalf("lexicon group %q is no finding code", cause)
		}
		for _, e := range list {
			if len(e) != 3 || e[0] == "" || !strings.HasPrefix(e[1], "https://") || e[2] == "" {
				t.Fatalf("lexicon %s: %q is not [service, https source, message]", cause, e)
			}
			out[cause] = append(out[cause], lexiconEntry{e[0], e[1], e[2]})
		}
	}
	return out
}

// lexiconCause is what the doctor reads in one message alone: the cause
// of the most specific statement (the message split as readSays splits
// it), or "bare" when it only refuses, or "(none)".
func lexiconCause(text string) string {
	s := ServerSays{Statements: statementsOf("body message", text)}
	st, ok := s.statedCause()
	switch {
	case !ok:
		return "(none)"
	case isBare(st.says):
		return bareGroup
	}
	return string(st.code)
}

// TestLexicon classifies every cited message of the lexicon, prints the
// confusion table (cause × cause read), and fails when a message is read
// as another cause. It also puts each message that names a cause beside
// the bare refusals servers send with it ("Unauthorized", "Access
// denied", …), before and after it, and fails when a refusal outranks it.
func TestLexicon(t *testing.T) {
	lex := loadLexicon(t)
	causes := make([]string, 0, len(lex))
	services := map[string]bool{}
	n := 0
	for c, es := range lex {
		causes = append(causes, c)
		for _, e := range es {
			services[e.service] = true
			n++
		}
	}
	sort.Strings(causes)
	t.Logf("lexicon: %d messages from %d services, %d causes", n, len(services), len(causes))
	if n < 300 || len(services) < 120 {
		t.Errorf("the lexicon holds %d messages from %d services; it keeps at least 300 from 120", n, len(services))
	}
	confusion := map[string]map[string]int{}
	read := map[string]bool{}
	bare := []string{"Unauthorized", "Forbidden", "Access denied", "permission denied", "401 Unauthorized", "UNAUTHENTICATED"}
	for _, c := range causes {
		confusion[c] = map[string]int{}
		for _, e := range lex[c] {
			got := lexiconCause(e.text)
			confusion[c][got]++
			read[got] = true
			if got != c {
				t.Errorf("%s (%s, %s): %q is read as %s", c, e.service, e.source, e.text, got)
				continue
			}
			if c == bareGroup || c == string(CredentialsRejected) {
				continue
			}
			for _, b := range bare {
				for _, order := range [][]string{{b, e.text}, {e.text, b}} {
					s := ServerSays{}
					for _, text := range order {
						s.Statements = append(s.Statements, Statement{Where: "body", Text: text})
					}
					if st, _ := s.statedCause(); string(st.code) != c {
						t.Errorf("%s: beside %q, %q is outranked (read %s)", c, b, e.text, st.code)
					}
				}
			}
		}
	}
	cols := []string{}
	for c := range read {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	var b strings.Builder
	fmt.Fprintf(&b, "confusion (rows: the cause the message names; columns: read as):\n%-26s", "")
	for i := range cols {
		fmt.Fprintf(&b, " %3d", i)
	}
	b.WriteString("\n")
	for _, c := range causes {
		fmt.Fprintf(&b, "%-26s", c)
		for _, col := range cols {
			if v := confusion[c][col]; v > 0 {
				fmt.Fprintf(&b, " %3d", v)
			} else {
				b.WriteString("   .")
			}
		}
		b.WriteString("\n")
	}
	for i, c := range cols {
		fmt.Fprintf(&b, "  %d = %s\n", i, c)
	}
	t.Log(b.String())
}

// TestNotExpiredIsNoExpiry: a credential asked for as "not expired" is a
// condition, not a statement that the one sent expired — "This request
// requires a valid, not expired APIKey value" was read as token_expired.
func TestNotExpiredIsNoExpiry(t *testing.T) {
	for _, text := range []string{
		`No APIKey provided. This request requires a valid, not expired APIKey value to be passed in via an "APIKey" header value.`,
		"Send a valid, non-expired access token.",
	} {
		if got := lexiconCause(text); got == string(TokenExpired) {
			t.Errorf("%q read as %s", text, got)
		}
	}
	if got := lexiconCause("The access token expired"); got != string(TokenExpired) {
		t.Errorf("a stated expiry read as %s", got)
	}
}
