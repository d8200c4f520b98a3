package gateway

import (
	"testing"
	"time"

	"github.com/authgate/authgate/config"
)

// TestEnginesAgreeOnOddRequests: requests net/http serves and the fast
// engine, given the same bytes, refuses, leaves unanswered or forwards
// differently. Each is sent to both engines: the status, the reason and
// what the upstream receives must be the same.
func TestEnginesAgreeOnOddRequests(t *testing.T) {
	if testEngine != config.EngineFast {
		t.Skip("compares both engines in one run")
	}
	es := startEngines(t)
	for _, c := range []struct{ name, raw string }{
		// The upstream sees "?x=1" from the fast engine (fasthttp drops
		// the fragment when it sets the upstream request's URI), "?x=1#f"
		// from net/http's.
		{"fragment in the target", "GET /public/a?x=1#f HTTP/1.1\r\nHost: gw\r\n\r\n"},
		{"empty Host", "GET /public/a HTTP/1.1\r\nHost: \r\n\r\n"},
		{"Content-Length twice, the same", "POST /public/a HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"},
		{"lines ended by LF", "GET /public/a HTTP/1.1\nHost: gw\nX-A: 1\n\n"},
		{"last line ended by LF", "GET /public/a HTTP/1.1\r\nHost: gw\r\nX-A: 1\n\r\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			std := es.send(t, config.EngineStandard, []byte(c.raw), 3*time.Second)
			fast := es.send(t, config.EngineFast, []byte(c.raw), 3*time.Second)
			if std != fast {
				t.Errorf("standard: %+v\nfast:     %+v", std, fast)
			}
		})
	}
}
