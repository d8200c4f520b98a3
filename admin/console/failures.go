package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/failures"
	"github.com/authgate/authgate/reason"
)

// maxListed bounds the failures one page lists.
const maxListed = 200

// failuresData is the failures page's.
type failuresData struct {
	// Filter is the query as given (the form shows it, the live feed
	// sends it on).
	Filter   url.Values
	Query    string
	Failures []failureRow
	// More is how many matched beyond those listed.
	More    int
	Reasons []reason.Entry
	// From and To bound the list when the chart's bar was clicked.
	From, To time.Time
}

// failureRow is a failure with its caller named (a key's name, a
// subject), as the page and the live feed show it.
type failureRow struct {
	api.Failure
	Who string `json:"who,omitempty"`
}

// failureQuery reads the feed's own filters from the page's: "since" also
// as a number of minutes, "from" (Unix seconds, a chart bar's start) as
// since, a Request-Id trimmed and upper-cased.
func failureQuery(r *http.Request) url.Values {
	q := url.Values{}
	for _, k := range []string{"reason", "route", "fingerprint", "request_id", "since"} {
		if v := strings.TrimSpace(r.URL.Query().Get(k)); v != "" {
			q.Set(k, v)
		}
	}
	if id := q.Get("request_id"); id != "" {
		q.Set("request_id", normalID(id))
	}
	if m, err := strconv.Atoi(q.Get("since")); err == nil && m > 0 {
		q.Set("since", time.Now().Add(-time.Duration(m)*time.Minute).UTC().Format(time.RFC3339))
	}
	if from, ok := unixParam(r, "from"); ok {
		q.Set("since", from.UTC().Format(time.RFC3339))
	}
	return q
}

// unixParam reads a query parameter of Unix seconds.
func unixParam(r *http.Request, name string) (time.Time, bool) {
	n, err := strconv.ParseInt(r.URL.Query().Get(name), 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// maxFilterText bounds a text filter.
const maxFilterText = 200

// failureFilter is the page's whole filter: the feed's, then the ones the
// console adds — before "to" (a chart bar's end), the caller ("who": part
// of a key's name or a subject) and part of the detail, both without
// regard to case. It returns the rows' namer too.
func (c *console) failureFilter(r *http.Request) (keep func(api.Failure) bool, name func(api.Failure) failureRow, err error) {
	feed, err := failures.Filter(failureQuery(r))
	if err != nil {
		return nil, nil, err
	}
	to, bounded := unixParam(r, "to")
	who := strings.ToLower(cutText(strings.TrimSpace(r.URL.Query().Get("who")), maxFilterText))
	detail := strings.ToLower(cutText(strings.TrimSpace(r.URL.Query().Get("detail")), maxFilterText))
	names, seen := c.keyNames(r.Context()), c.seenSubjects()
	name = func(f api.Failure) failureRow {
		return failureRow{Failure: f, Who: whoOf(names, f.Subject, seen[f.Fingerprint])}
	}
	keep = func(f api.Failure) bool {
		if !feed(f) || bounded && !f.Time.Before(to) || detail != "" && !strings.Contains(strings.ToLower(f.Detail), detail) {
			return false
		}
		return who == "" || strings.Contains(strings.ToLower(name(f).Who), who) || strings.Contains(strings.ToLower(f.Fingerprint), who)
	}
	return keep, name, nil
}

func (c *console) failuresPage(r *http.Request, _ *session) (view, error) {
	if id := r.URL.Query().Get("request_id"); id != "" && len(r.URL.Query()) == 1 {
		return view{redirect: "/console/requests/" + url.PathEscape(normalID(id))}, nil
	}
	keep, name, err := c.failureFilter(r)
	if err != nil {
		return view{}, err
	}
	list := c.state.Failures.List(keep)
	d := failuresData{Filter: r.URL.Query(), Query: r.URL.Query().Encode(), More: max(0, len(list)-maxListed), Reasons: reason.All()}
	for _, f := range list[:min(len(list), maxListed)] {
		d.Failures = append(d.Failures, name(f))
	}
	d.From, _ = unixParam(r, "from")
	d.To, _ = unixParam(r, "to")
	return view{template: "failures", data: pageData{Title: "Failures", Nav: "failures", Data: d}}, nil
}

// stream sends the failures that pass the page's filters as server-sent
// events while the page is open, until the session ends.
func (c *console) stream(w http.ResponseWriter, r *http.Request, _ *session) {
	keep, name, err := c.failureFilter(r)
	if err != nil {
		http.Error(w, reason.From(err).Detail, http.StatusBadRequest)
		return
	}
	ch, cancel := c.state.Failures.Subscribe()
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	rc.Flush()
	ping := time.NewTicker(20 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
		case f := <-ch:
			if !keep(f) {
				continue
			}
			data, _ := json.Marshal(name(f))
			fmt.Fprintf(w, "event: failure\ndata: %s\n\n", data)
		}
		if rc.Flush() != nil {
			return
		}
	}
}

// cutText bounds text from outside for a page.
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
