package gateway

import (
	"cmp"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/config"
)

// TestEnginesAgreeOnOddRequests: requests the engines once treated
// differently, each sent to both (agree); TestEnginesAgreeByClass goes
// through the classes of request bytes.
func TestEnginesAgreeOnOddRequests(t *testing.T) {
	startEngines(t).agree(t, []oddRequest{
		// net/http passed the fragment on inside the query, fasthttp
		// dropped it: both now refuse it (path_malformed).
		{name: "fragment in the target", raw: "GET /public/a?x=1#f HTTP/1.1\r\nHost: gw\r\n\r\n", same: true},
		{name: "fragment in the path", raw: "GET /public/a#f HTTP/1.1\r\nHost: gw\r\n\r\n", same: true},
		// fasthttp reads any HTTP/d.d; net/http serves HTTP/1.x only.
		{name: "HTTP/0.0", raw: "GET /public/a HTTP/0.0\r\n\r\n", same: true},
		{name: "HTTP/2.0 without a preface", raw: "GET /public/a HTTP/2.0\r\nHost: gw\r\n\r\n", same: true},
		{name: "HTTP/9.1", raw: "GET /public/a HTTP/9.1\r\nHost: gw\r\n\r\n", same: true},
		{name: "HTTP/1.2 without Host", raw: "GET /zzz HTTP/1.2\r\nX-A: 1\r\n\r\n", same: true},
		{name: "HTTP/1.5 with a body", raw: "POST /public/a HTTP/1.5\r\nHost: gw\r\nContent-Length: 2\r\n\r\nhi", same: true, served: true},
		// net/http re-encodes a query it cannot read; so does the fast
		// engine (cleanQuery).
		{name: "query with a ';' and a bad escape", raw: "GET /public/a?z=1&y=%2\xff&a=1;b=2&c=%zz&b=%2f HTTP/1.1\r\nHost: gw\r\n\r\n", same: true, served: true},
		// fasthttp's client cannot send a bare '?': neither engine does.
		{name: "empty query", raw: "GET /public/a? HTTP/1.1\r\nHost: gw\r\n\r\n", same: true, served: true},
		// fasthttp's parser takes a space inside a name; net/http, and
		// now the fast engine, refuse it (400).
		{name: "space inside a header name", raw: "GET /zzz HTTP/1.1\r\nHost: gw\r\nX A: 1\r\n\r\n", same: true},
		{name: "space inside a header name, routed", raw: "GET /public/a HTTP/1.1\r\nHost: gw\r\nX A: 1\r\n\r\n", same: true},
		{name: "empty Host", raw: "GET /public/a HTTP/1.1\r\nHost: \r\n\r\n", fastStatus: http.StatusBadRequest},
		{name: "Content-Length twice, the same", raw: "POST /public/a HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", fastStatus: http.StatusBadRequest},
		// fasthttp waits for a CRLF that never comes: 408 once
		// read_header_timeout (2 s in startEngines) has passed.
		{name: "lines ended by LF", raw: "GET /public/a HTTP/1.1\nHost: gw\nX-A: 1\n\n", fastStatus: http.StatusRequestTimeout},
		{name: "last line ended by LF", raw: "GET /public/a HTTP/1.1\r\nHost: gw\r\nX-A: 1\n\r\n", fastStatus: http.StatusRequestTimeout},
	})
}

// oddRequest is a request sent to both engines by agree.
type oddRequest struct {
	name, raw string
	// same: no difference, the same status, reason and upstream request;
	// served: that answer is a 200 from the upstream, else a refusal.
	same, served bool
	// stdStatus (200 when not set) and fastStatus are each engine's
	// documented answer where they differ; the fast engine forwards
	// the request only when fastStatus is 200.
	stdStatus, fastStatus int
	// pipelined: raw is requests one after another on the connection,
	// the last closing it; every answer is read (sendAll), and a
	// documented difference may be in the later ones only.
	pipelined bool
	// bodyRefused: same, but for the upstream's view: a body refused
	// midway (request_body_malformed, request_body_timeout) races the
	// upstream, which may or may not have seen the head by the time the
	// answer is read, from either engine.
	bodyRefused bool
}

// agree sends each request to both engines: the answers must be the
// same or, for the differences fasthttp's own parser still makes
// (docs/configuration.md, "What still differs on the fast engine"), each
// engine's must be the documented one, so a change on either side
// shows. FuzzEngines' list of documented differences (fastParserRefuses)
// must hold the documented ones and only those. (The test starts both
// engines itself; it runs in each engine's pass of TestMain.)
func (es *engines) agree(t *testing.T, requests []oddRequest) {
	t.Helper()
	for _, c := range requests {
		t.Run(c.name, func(t *testing.T) {
			// (Requests one after another differ where one alone does not.)
			if !c.pipelined && fastParserRefuses([]byte(c.raw)) == (c.same || c.bodyRefused) {
				t.Errorf("FuzzEngines' list of documented differences (fastParserRefuses) disagrees with this case")
			}
			send := es.send
			if c.pipelined {
				send = es.sendAll
			}
			std := send(t, config.EngineStandard, []byte(c.raw), 5*time.Second)
			fast := send(t, config.EngineFast, []byte(c.raw), 5*time.Second)
			stdStatus := cmp.Or(c.stdStatus, http.StatusOK)
			switch {
			case c.bodyRefused && (!bodyRefusedMidway(std.reason) || fast.status != std.status || fast.reason != std.reason):
				t.Errorf("standard: %+v\nfast:     %+v, want the same refusal of the body", std, fast)
			case c.bodyRefused:
			case c.same && std != withoutEmptyLengthOutcome(fast, std):
				t.Errorf("standard: %+v\nfast:     %+v", std, fast)
			case c.same && (std.status == http.StatusOK) != c.served:
				t.Errorf("status %d (%+v), want served %v", std.status, std, c.served)
			case !c.same && (std.status != stdStatus || fast.status != c.fastStatus || (fast.upstream != "") != (c.fastStatus == http.StatusOK)):
				t.Errorf("the documented difference changed:\nstandard: %+v (want status %d)\nfast:     %+v (want status %d, forwarded only if 200)", std, stdStatus, fast, c.fastStatus)
			}
		})
	}
}

// withoutEmptyLengthOutcome is fast with its upstream request compared as
// withoutEmptyLength compares it to std's.
func withoutEmptyLengthOutcome(fast, std engineOutcome) engineOutcome {
	fast.upstream = withoutEmptyLength(fast.upstream, std.upstream)
	return fast
}

// TestBodilessRequestFraming: a request without a body reaches the
// upstream with "Content-Length: 0" from the fast engine where the
// standard engine sends none (a DELETE, an OPTIONS, a method of its
// own), and with the same framing otherwise (docs/configuration.md).
func TestBodilessRequestFraming(t *testing.T) {
	es := startEngines(t)
	for _, c := range []struct {
		method       string
		fastAddsZero bool
	}{{"GET", false}, {"POST", false}, {"PUT", false}, {"PATCH", false}, {"DELETE", true}, {"OPTIONS", true}, {"PURGE", true}} {
		t.Run(c.method, func(t *testing.T) {
			raw := []byte(c.method + " /public/a HTTP/1.1\r\nHost: gw\r\n\r\n")
			std := es.send(t, config.EngineStandard, raw, 5*time.Second)
			fast := es.send(t, config.EngineFast, raw, 5*time.Second)
			const zero = "Content-Length: [\"0\"]"
			switch {
			case std.upstream == "" || std.status != fast.status:
				t.Fatalf("standard: %+v\nfast:     %+v", std, fast)
			case strings.Contains(fast.upstream, zero) != (c.fastAddsZero || strings.Contains(std.upstream, zero)):
				t.Errorf("the fast engine's Content-Length changed:\nstandard: %s\nfast:     %s", std.upstream, fast.upstream)
			case withoutEmptyLength(fast.upstream, std.upstream) != std.upstream:
				t.Errorf("standard: %s\nfast:     %s", std.upstream, fast.upstream)
			}
		})
	}
}
