package doctor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// TestRunReadsItsClock: every time the doctor judges — a JWT's exp, a
// signed request's timestamp, a presigned URL's end, the server's Date —
// is judged against Options.Now, so a recorded exchange replays the same
// on any day.
func TestRunReadsItsClock(t *testing.T) {
	at := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", at.Format(http.TimeFormat))
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	jwt := mintCorpusJWT(t, map[string]any{"sub": "u1", "iat": at.Add(-time.Hour).Unix(), "exp": at.Add(time.Hour).Unix()}, at)
	stamp := strconv.FormatInt(at.Add(-time.Minute).Unix(), 10)
	presigned := srv.URL + "/f?X-Amz-Date=" + at.Add(-time.Minute).Format("20060102T150405Z") + "&X-Amz-Expires=3600&X-Amz-Signature=0123456789abcdef0123"
	tests := []struct {
		name string
		req  *Request
		code Code
	}{
		{"a JWT's exp", get(srv.URL, "Authorization", "Bearer "+jwt), TokenExpired},
		{"a signed request's timestamp", get(srv.URL, "X-Api-Key", "k-0123456789", "X-Timestamp", stamp, "X-Signature", "0123456789abcdef0123456789abcdef"), ClockSkew},
		{"a presigned URL's end", get(presigned), TokenExpired},
		{"the server's Date", get(srv.URL, "Authorization", "Bearer "+jwt), ClockSkew},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, later := range []time.Duration{0, 3 * 24 * time.Hour} {
				now := at.Add(later)
				rep, err := Run(context.Background(), tt.req, Options{Timeout: 5 * time.Second, Transport: loopbackOnly, NoDiscover: true,
					Now: func() time.Time { return now }})
				if err != nil {
					t.Fatal(err)
				}
				if got, want := hasFinding(rep, tt.code), later > 0; got != want {
					t.Errorf("at %s: %s found %v, want %v (all: %v)", now.Format(time.RFC3339), tt.code, got, want, codesOf(rep))
				}
			}
		})
	}
}
