package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// WriteJSON writes the report in the documented JSON schema.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for a person.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "authgate doctor: %s %s -> %d %s\n", r.Method, r.URL, r.Status, http.StatusText(r.Status))
	for _, h := range r.Hops {
		if len(r.Hops) > 1 {
			fmt.Fprintf(w, "  hop: %s %s -> %d %s (credentials sent: %v)\n", h.Method, h.URL, h.Status, h.Location, h.SentCredentials)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	if r.Top != nil {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Most likely:")
		writeFinding(w, *r.Top)
	}
	if v := r.ServerView; v != nil {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "The gateway's own view (explain): %d %s %s\n", v.Status, v.Reason, v.Detail)
		for _, c := range v.Checks {
			fmt.Fprintf(w, "  %-8s %s %s\n", c.Result, c.Check, c.Detail)
		}
	}
	rest := r.Findings
	if r.Top != nil && len(rest) > 0 {
		rest = rest[1:]
	}
	if len(rest) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Also found:")
		for _, f := range rest {
			writeFinding(w, f)
		}
	}
}

func writeFinding(w io.Writer, f Finding) {
	fmt.Fprintf(w, "  [%s] %s (%s)\n", strings.ToUpper(string(f.Status)), f.Title, f.Code)
	if f.Cause != "" && f.Cause != "-" {
		fmt.Fprintf(w, "      guide cause: %s\n", f.Cause)
	}
	for _, e := range f.Evidence {
		fmt.Fprintf(w, "      evidence: %s\n", e)
	}
	if f.Fix != "" {
		fmt.Fprintf(w, "      fix: %s\n", f.Fix)
	}
	if f.Command != "" {
		fmt.Fprintf(w, "      try: %s\n", f.Command)
	}
}
