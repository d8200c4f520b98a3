package gateway

import (
	"net/http"
	"testing"
	"time"

	"github.com/authgate/authgate/config"
)

// TestEnginesAgreeOnOddRequests: requests the engines once treated
// differently, each sent to both: the status, the reason and what the
// upstream receives must be the same; or, for the differences fasthttp's
// own parser still makes (docs/configuration.md, "What still differs on
// the fast engine"), each engine must answer as documented, so a change
// on either side shows. (The test starts both engines itself; it runs in
// each engine's pass of TestMain.)
func TestEnginesAgreeOnOddRequests(t *testing.T) {
	es := startEngines(t)
	for _, c := range []struct {
		name, raw string
		// fastStatus is the fast engine's documented answer where it
		// differs; same: no difference.
		same       bool
		fastStatus int
	}{
		// net/http passed the fragment on inside the query, fasthttp
		// dropped it: both now refuse it (path_malformed).
		{name: "fragment in the target", raw: "GET /public/a?x=1#f HTTP/1.1\r\nHost: gw\r\n\r\n", same: true},
		{name: "fragment in the path", raw: "GET /public/a#f HTTP/1.1\r\nHost: gw\r\n\r\n", same: true},
		{name: "empty Host", raw: "GET /public/a HTTP/1.1\r\nHost: \r\n\r\n", fastStatus: http.StatusBadRequest},
		{name: "Content-Length twice, the same", raw: "POST /public/a HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", fastStatus: http.StatusBadRequest},
		// fasthttp waits for a CRLF that never comes: 408 once
		// read_header_timeout (2 s in startEngines) has passed.
		{name: "lines ended by LF", raw: "GET /public/a HTTP/1.1\nHost: gw\nX-A: 1\n\n", fastStatus: http.StatusRequestTimeout},
		{name: "last line ended by LF", raw: "GET /public/a HTTP/1.1\r\nHost: gw\r\nX-A: 1\n\r\n", fastStatus: http.StatusRequestTimeout},
	} {
		t.Run(c.name, func(t *testing.T) {
			if fastParserRefuses([]byte(c.raw)) == c.same {
				t.Errorf("FuzzEngines' list of documented differences (fastParserRefuses) disagrees with this case")
			}
			std := es.send(t, config.EngineStandard, []byte(c.raw), 5*time.Second)
			fast := es.send(t, config.EngineFast, []byte(c.raw), 5*time.Second)
			switch {
			case c.same && std != fast:
				t.Errorf("standard: %+v\nfast:     %+v", std, fast)
			case c.same && std.status == http.StatusOK:
				t.Errorf("served (%+v); a fragment must be refused", std)
			case !c.same && (std.status != http.StatusOK || fast.status != c.fastStatus || fast.upstream != ""):
				t.Errorf("the documented difference changed:\nstandard: %+v (want 200)\nfast:     %+v (want status %d, nothing forwarded)", std, fast, c.fastStatus)
			}
		})
	}
}
