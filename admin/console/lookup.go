package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/reason"
)

// normalID is a pasted Request-Id as the gateway writes it: trimmed and
// upper case (ULIDs are case-insensitive).
func normalID(id string) string { return strings.ToUpper(strings.TrimSpace(id)) }

// decisionData is one request's whole decision: a refusal from the
// failure feed (checks, challenges, body), or any request from the
// recent-requests ring.
type decisionData struct {
	// Failure is set for a refused request the feed still holds.
	Failure *api.Failure
	// Record is set for a request the ring holds (allowed or refused).
	Record *api.RequestRecord
	Entry  reason.Entry
	// Who names the caller: a key's name, a subject.
	Who string
	// Problem is the body the client got, indented.
	Problem string
}

// decision answers a Request-Id lookup: "refused because …" with the
// whole decision, "allowed at … by route … as …", or "not in the last N
// requests of this instance".
func (c *console) decision(r *http.Request, _ *session) (view, error) {
	id := normalID(r.PathValue("id"))
	d := decisionData{}
	if found := c.state.Failures.List(func(f api.Failure) bool { return strings.EqualFold(f.RequestID, id) }); len(found) > 0 {
		d.Failure = &found[0]
	}
	if rec, ok := c.findRecent(id); ok {
		d.Record = &rec
	}
	if d.Failure == nil && d.Record == nil {
		return view{status: http.StatusNotFound, template: "message", data: pageData{Title: "Request not found", Nav: "failures",
			Message: c.notFoundText(cutText(id, 80))}}, nil
	}
	names := c.keyNames(r.Context())
	switch {
	case d.Failure != nil:
		d.Entry = reason.Lookup(reason.Code(d.Failure.Reason))
		d.Who = whoOf(names, d.Failure.Subject, c.seenSubjects()[d.Failure.Fingerprint])
		if d.Failure.Problem != nil {
			body, _ := json.Marshal(d.Failure.Problem)
			var buf bytes.Buffer
			json.Indent(&buf, body, "", "  ")
			d.Problem = buf.String()
		}
	default:
		d.Who = whoOf(names, d.Record.Subject, c.seenSubjects()[d.Record.Fingerprint])
		if d.Record.Reason != "" {
			d.Entry = reason.Lookup(reason.Code(d.Record.Reason))
		}
	}
	return view{template: "decision", data: pageData{Title: "Request " + cutText(id, 40), Nav: "failures", Data: d}}, nil
}

// findRecent finds a request in the ring, by its id in any case.
func (c *console) findRecent(id string) (api.RequestRecord, bool) {
	if rec, ok := c.state.Recent.Find(id); ok {
		return rec, true
	}
	found := c.state.Recent.List(1, func(rec api.RequestRecord) bool { return strings.EqualFold(rec.RequestID, id) })
	if len(found) == 0 {
		return api.RequestRecord{}, false
	}
	return found[0], true
}

// notFoundText says where a Request-Id was looked for.
func (c *console) notFoundText(id string) string {
	instance := c.state.Failures.Instance
	if instance == "" {
		instance = "this instance"
	}
	ring := fmt.Sprintf("not in the last %d requests of %s", c.state.Recent.Size(), instance)
	if c.state.Recent.Size() == 0 {
		ring = "and this instance keeps no recent requests (console.recent_requests: 0)"
	}
	if s := c.cfg.Console.SampleAllowed; s < 1 && c.state.Recent.Size() > 0 {
		ring += fmt.Sprintf(" (which keeps %.0f%% of allowed requests)", s*100)
	}
	return fmt.Sprintf("No request with the id %q is in the failure feed, %s. It is older, was answered by another instance, or the id is mistyped.", id, ring)
}

// maxNamedKeys bounds the keys read to name subjects.
const maxNamedKeys = 10000

// keyNames maps key ids to their names (nil without a store or when it
// fails: pages then show the subject as it is).
func (c *console) keyNames(ctx context.Context) map[string]string {
	if c.store == nil {
		return nil
	}
	keys, err := c.store.Keys(ctx)
	if err != nil {
		return nil
	}
	names := make(map[string]string, min(len(keys), maxNamedKeys))
	for _, k := range keys[:min(len(keys), maxNamedKeys)] {
		names[k.ID] = k.Name
	}
	return names
}

// seenSubjects maps each fingerprint the ring saw authenticated to its
// latest subject: a refused credential is named by what it was when it
// was last let in (a revoked key, an expired token).
func (c *console) seenSubjects() map[string]string {
	out := map[string]string{}
	c.state.Recent.List(math.MaxInt, func(rec api.RequestRecord) bool {
		if rec.Fingerprint != "" && rec.Subject != "" {
			if _, ok := out[rec.Fingerprint]; !ok {
				out[rec.Fingerprint] = rec.Subject
			}
		}
		return false
	})
	return out
}

// whoOf names a caller: an API key by its name, any other subject as it
// is, a credential never let in by nothing ("").
func whoOf(names map[string]string, subject, seen string) string {
	if subject == "" {
		subject = seen
	}
	if id, ok := strings.CutPrefix(subject, "apikey:"); ok {
		if name, ok := names[id]; ok {
			return "key “" + name + "” (" + id + ")"
		}
	}
	return subject
}
