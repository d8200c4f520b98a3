package gateway

import (
	"time"

	"github.com/authgate/authgate/api"
)

// recordOf is the recent-requests ring's record of a finished request: the
// credential only by its fingerprint (the ring copies every value).
func recordOf(ex *exchange) api.RequestRecord {
	rec := api.RequestRecord{Time: ex.start.UTC(), RequestID: ex.requestID, Method: ex.method, Path: ex.path, Route: ex.routeLabel(),
		Status: ex.status, Outcome: outcome(ex), Scheme: ex.scheme, Fingerprint: ex.fp, Subject: subjectOf(ex), Client: ex.client,
		LatencyMS: float64(time.Since(ex.start).Microseconds()) / 1000}
	if ex.err != nil {
		rec.Reason, rec.Detail = string(ex.err.Code), ex.err.Detail
	}
	return rec
}

// subjectOf is the authenticated caller's principal ("" before
// authentication succeeded), made once an exchange.
func subjectOf(ex *exchange) string {
	if !ex.authed {
		return ""
	}
	if ex.principal == "" {
		ex.principal = ex.identity.Principal()
	}
	return ex.principal
}
