package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
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
	Failures []api.Failure
	// More is how many matched beyond those listed.
	More    int
	Reasons []reason.Entry
}

// failureQuery reads the page's filters: the feed's own, with "since" also
// taken as a number of minutes.
func failureQuery(r *http.Request) url.Values {
	q := url.Values{}
	for _, k := range []string{"reason", "route", "fingerprint", "request_id", "since"} {
		if v := r.URL.Query().Get(k); v != "" {
			q.Set(k, v)
		}
	}
	if m, err := strconv.Atoi(q.Get("since")); err == nil && m > 0 {
		q.Set("since", time.Now().Add(-time.Duration(m)*time.Minute).UTC().Format(time.RFC3339))
	}
	return q
}

func (c *console) failuresPage(r *http.Request, _ *session) (view, error) {
	if id := r.URL.Query().Get("request_id"); id != "" && len(r.URL.Query()) == 1 {
		return view{redirect: "/console/requests/" + url.PathEscape(normalID(id))}, nil
	}
	q := failureQuery(r)
	keep, err := failures.Filter(q)
	if err != nil {
		return view{}, err
	}
	list := c.state.Failures.List(keep)
	d := failuresData{Filter: r.URL.Query(), Query: q.Encode(), Failures: list[:min(len(list), maxListed)], More: max(0, len(list)-maxListed),
		Reasons: reason.All()}
	return view{template: "failures", data: pageData{Title: "Failures", Nav: "failures", Data: d}}, nil
}

// stream sends the failures that pass the page's filters as server-sent
// events while the page is open, until the session ends.
func (c *console) stream(w http.ResponseWriter, r *http.Request, _ *session) {
	keep, err := failures.Filter(failureQuery(r))
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
			data, _ := json.Marshal(f)
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
