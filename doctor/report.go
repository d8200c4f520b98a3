package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"
)

// WriteJSON writes the report in the documented JSON schema.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for a person: the most likely cause in
// plain words on the first line, then the request and its answer (and
// the API description read, if any), the evidence and fix of each finding (each evidence line once), and with
// verbose the informational findings' details (decoded claims, the
// provider's notes).
func (r *Report) WriteText(w io.Writer, verbose bool) {
	switch {
	case r.Top != nil && r.Top.Code == RequestSucceeded:
		fmt.Fprintf(w, "OK: the request succeeded (%d).\n", r.Status)
	case r.Top != nil:
		fmt.Fprintf(w, "Most likely: %s.\n", plainStart(strings.TrimSuffix(r.Top.Title, ".")))
	default:
		fmt.Fprintf(w, "The request failed (%d), and nothing the doctor checks explains it.\n", r.Status)
	}
	fmt.Fprintf(w, "  %s %s -> %d %s\n", r.Method, r.URL, r.Status, http.StatusText(r.Status))
	if len(r.Hops) > 1 {
		for _, h := range r.Hops {
			fmt.Fprintf(w, "  hop: %s %s -> %d %s (credentials sent: %v)\n", h.Method, h.URL, h.Status, h.Location, h.SentCredentials)
		}
	}
	if r.APIDescription != "" {
		fmt.Fprintf(w, "  API description read: %s\n", r.APIDescription)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	seen := map[string]bool{}
	if r.Top != nil && r.Top.Code != RequestSucceeded {
		fmt.Fprintln(w)
		writeFinding(w, *r.Top, seen, true)
	}
	if v := r.ServerView; v != nil {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "The gateway's own view (explain): %d %s %s\n", v.Status, v.Reason, v.Detail)
		for _, c := range v.Checks {
			fmt.Fprintf(w, "  %-8s %s %s\n", c.Result, c.Check, c.Detail)
		}
	}
	var rest []Finding
	for i := range r.Findings {
		if r.Top != nil && &r.Findings[i] == r.Top || r.Findings[i].Code == RequestSucceeded {
			continue
		}
		if !verbose && (r.Findings[i].Status == Info || r.Findings[i].Status == OK) {
			continue
		}
		rest = append(rest, r.Findings[i])
	}
	if len(rest) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Also found:")
		for _, f := range rest {
			writeFinding(w, f, seen, verbose)
		}
	}
	if !verbose {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "(--verbose shows the passing checks, the decoded token and the provider's notes; --json everything)")
	}
}

func writeFinding(w io.Writer, f Finding, seen map[string]bool, details bool) {
	fmt.Fprintf(w, "  [%s] %s (%s", strings.ToUpper(string(f.Status)), f.Title, f.Code)
	if c := categoryOf(f.Code); c != "" {
		fmt.Fprintf(w, "; %s", c)
	}
	if f.Basis != "" {
		fmt.Fprintf(w, "; %s", f.Basis)
	}
	fmt.Fprintln(w, ")")
	if details || f.Status == Fail || f.Status == Warn {
		for _, e := range f.Evidence {
			if !seen[e] {
				seen[e] = true
				fmt.Fprintf(w, "      evidence: %s\n", e)
			}
		}
	}
	if f.Fix != "" {
		fmt.Fprintf(w, "      fix: %s\n", f.Fix)
	}
	if f.Command != "" {
		fmt.Fprintf(w, "      try: %s\n", f.Command)
	}
}

// plainStart lower-cases a sentence's first letter to follow "Most
// likely:", unless the first word is a name or an acronym (AWS, GitHub).
func plainStart(s string) string {
	word, _, _ := strings.Cut(s, " ")
	if word != "A" && (len(word) < 2 || strings.ToLower(word[1:]) != word[1:]) || word[0] < 'A' || word[0] > 'Z' {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// clip shortens s to at most n bytes, on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
