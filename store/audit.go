package store

import (
	"context"

	"github.com/authgate/authgate/api"
)

// AuditViews reads the latest limit changes of st, newest first, as the
// admin API and the console show them.
func AuditViews(ctx context.Context, st Store, limit int) ([]api.AuditEvent, error) {
	events, err := st.Audit(ctx, limit)
	if err != nil {
		return nil, err
	}
	out := make([]api.AuditEvent, 0, len(events))
	for _, e := range events {
		out = append(out, api.AuditEvent{Time: e.Time, Actor: e.Actor, Action: e.Action, Subject: e.Subject, Detail: e.Detail})
	}
	return out, nil
}
