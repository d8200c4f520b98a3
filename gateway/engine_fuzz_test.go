package gateway

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/config"
)

// engines is one gateway served by both engines, in front of an upstream
// that records what reaches it.
type engines struct {
	urls map[string]string
	mu   sync.Mutex
	// seen is the requests the upstream received since the last send.
	seen []string
}

// engineOutcome is what one engine made of some request bytes.
type engineOutcome struct {
	answered bool
	// interim is the statuses of the interim answers before the final
	// one ("100 " for a 100 Continue).
	interim string
	status  int
	reason  string
	// later is the statuses of the answers after the first (sendAll).
	later string
	// head is the first answer's header lines but Date, and whether it
	// closes the connection.
	head string
	// upstream is the request the upstream received ("" if none), with
	// the fields that differ by design (Request-Id) left out.
	upstream string
}

func startEngines(t testing.TB) *engines { return startEnginesRoutes(t, "") }

// startEnginesRoutes is startEngines with more routes: lines of the
// routes list, where %[1]q is the upstream's URL.
func startEnginesRoutes(t testing.TB, routes string) *engines {
	es := &engines{urls: map[string]string{}}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			// A request abandoned midway (its body refused): it may end
			// after the answer, during another send, so it is not kept.
			return
		}
		var sb strings.Builder
		fmt.Fprintf(&sb, "%s %s %s\nHost: %s\n", r.Method, r.RequestURI, r.Proto, r.Host)
		names := make([]string, 0, len(r.Header))
		for name := range r.Header {
			if name != api.RequestIDHeader {
				names = append(names, name)
			}
		}
		slices.Sort(names)
		for _, name := range names {
			fmt.Fprintf(&sb, "%s: %q\n", name, r.Header[name])
		}
		if len(r.Trailer) > 0 {
			fmt.Fprintf(&sb, "Trailer: %q\n", r.Trailer)
		}
		fmt.Fprintf(&sb, "TE %q, %d bytes: %q", r.TransferEncoding, len(body), body)
		s := sb.String()
		es.mu.Lock()
		es.seen = append(es.seen, s)
		es.mu.Unlock()
		io.WriteString(w, "ok")
	}))
	t.Cleanup(up.Close)
	doc := fmt.Sprintf(`
realm: api
fingerprint_key: Qx7vN2pLw9TzR4mK8sJdF3hB
max_header_bytes: 8192
max_header_count: 20
server: {read_header_timeout: 2s, body_idle_timeout: 2s, body_timeout: 2s}
issuers:
  - {name: main, issuer: "https://issuer.test", audiences: [api], jwks_url: "http://127.0.0.1:9/jwks"}
routes:
  - {name: public, path: /public/*, public: true, upstream: %[1]q, max_body_bytes: 64}
  - {name: read, path: /v1/*, schemes: [bearer], upstream: %[1]q}
`+routes, up.URL)
	g, cfg := startGateway(t, doc)
	for _, engine := range []string{config.EngineStandard, config.EngineFast} {
		es.urls[engine] = serveEngine(t, engine, cfg, g.Handler()).URL
	}
	return es
}

// send writes raw to engine's listener and reads one final answer (past
// any interim one), waiting at most wait (an incomplete request gets none
// from either engine).
// The connection is not half-closed: net/http takes that for a client
// gone and forwards nothing.
func (es *engines) send(t testing.TB, engine string, raw []byte, wait time.Duration) engineOutcome {
	return es.exchange(t, engine, raw, wait, false)
}

// sendAll is send for requests one after another on the connection, the
// last of which closes it: it reads every answer, and the outcome is the
// first one's, with the statuses of the others.
func (es *engines) sendAll(t testing.TB, engine string, raw []byte, wait time.Duration) engineOutcome {
	return es.exchange(t, engine, raw, wait, true)
}

// dial opens a connection to engine's listener, to be used within wait,
// forgetting the upstream requests seen so far.
func (es *engines) dial(t testing.TB, engine string, wait time.Duration) net.Conn {
	t.Helper()
	es.mu.Lock()
	es.seen = nil
	es.mu.Unlock()
	c, err := net.Dial("tcp", strings.TrimPrefix(es.urls[engine], "http://"))
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(wait))
	return c
}

// exchange is send, or sendAll when all.
func (es *engines) exchange(t testing.TB, engine string, raw []byte, wait time.Duration, all bool) engineOutcome {
	c := es.dial(t, engine, wait)
	defer c.Close()
	c.Write(raw)
	var o engineOutcome
	br := bufio.NewReader(c)
	method, _, _ := bytes.Cut(raw, []byte(" ")) // an answer to HEAD has no body
	asked := &http.Request{Method: string(method)}
	for first := true; first || all; first = false {
		resp, err := http.ReadResponse(br, asked)
		for err == nil && resp.StatusCode < http.StatusOK {
			// An interim answer (100 Continue): the final one follows.
			// The same status again counts once: net/http's proxy may pass
			// on the upstream's own 100 after its server's, as timing goes.
			if status := strconv.Itoa(resp.StatusCode) + " "; !strings.HasSuffix(o.interim, status) {
				o.interim += status
			}
			resp, err = http.ReadResponse(br, asked)
		}
		if err != nil {
			break
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !first {
			o.later += strconv.Itoa(resp.StatusCode) + " "
			continue
		}
		o.answered, o.status, o.head = true, resp.StatusCode, answerHead(resp)
		var p api.Problem
		if json.Unmarshal(body, &p) == nil {
			o.reason = p.Reason
		}
	}
	es.mu.Lock()
	o.upstream = strings.Join(es.seen, "\n--\n")
	es.mu.Unlock()
	return o
}

// bodyRefusedMidway reports whether reason refuses a body once it is
// being read (malformed, or too slow): the upstream may have seen the
// request's head by then, or not, on either engine.
func bodyRefusedMidway(reason string) bool {
	return reason == "request_body_malformed" || reason == "request_body_timeout"
}

// answerHead is resp's header lines, sorted, but Date and the value of
// Request-Id, and whether it closes the connection. The length and the
// Connection line of an answer that closes the connection are left out:
// a body delimited by the close (net/http's bare refusals) reaches the
// client as one of a declared length (fasthttp's), and an answer to
// HTTP/1.0 closes with or without saying so.
func answerHead(resp *http.Response) string {
	var sb strings.Builder
	for _, name := range slices.Sorted(maps.Keys(resp.Header)) {
		switch {
		case name == "Date", (name == "Content-Length" || name == "Connection") && resp.Close:
		case name == api.RequestIDHeader:
			sb.WriteString(name + "; ")
		default:
			fmt.Fprintf(&sb, "%s: %q; ", name, resp.Header[name])
		}
	}
	fmt.Fprintf(&sb, "TE %q, close %v", resp.TransferEncoding, resp.Close)
	return sb.String()
}

// FuzzEngines sends the same request bytes to both engines and requires
// the same engineOutcome: the same status, the same interim answers, the
// same reason where both answered with one, and the same request at the
// upstream (or none on both). A refusal of unreadable bytes may be a bare
// 4xx on one engine and a closed connection on the other (but not two
// different bare statuses).
func FuzzEngines(f *testing.F) {
	seeds := []string{
		"GET /public/a HTTP/1.1\r\nHost: gw\r\n\r\n",
		"GET /public/a?x=1&y=%2F HTTP/1.1\r\nHost: gw\r\nX-Thing: a\r\nX-Thing: b\r\n\r\n",
		"POST /public/a HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nhello",
		"POST /public/a HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"POST /public/a HTTP/1.1\r\nHost: gw\r\nContent-Length: 65\r\n\r\n" + strings.Repeat("x", 65),
		"GET /v1/a HTTP/1.1\r\nHost: gw\r\n\r\n",
		"GET /v1/a HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer abc\r\n\r\n",
		"GET /public/a HTTP/1.1\r\nHost: gw\r\nX_Authgate_Subject: mallory\r\nX-Authgate-Subject: mallory\r\n\r\n",
		"GET /public/a HTTP/1.1\r\nHost: gw\r\nConnection: X-Keep, close\r\nX-Keep: 1\r\nKeep-Alive: 5\r\n\r\n",
		"GET /public/%2e%2e/v1/a HTTP/1.1\r\nHost: gw\r\n\r\n",
		"get /public/a HTTP/1.1\r\nHost: gw\r\n\r\n",
		"GET /public/a HTTP/1.0\r\n\r\n",
		"GET /public/a HTTP/1.1\r\nHost: gw\r\nX-Forwarded-For: 1.2.3.4\r\nX_Forwarded_For: 5.6.7.8\r\n\r\n",
		"GET /public/a HTTP/1.1\r\nHost: gw\r\nX-Original-Url: /admin\r\nX-Http-Method-Override: DELETE\r\n\r\n",
		"GET /public/a HTTP/1.1\r\nHost: gw\r\n" + strings.Repeat("X-A: 1\r\n", 25) + "\r\n",
		"GET /public/a HTTP/1.1\r\nHost: gw\r\nX-Big: " + strings.Repeat("a", 9000) + "\r\n\r\n",
		// Heads past the fast engine's first read buffer (fasthead.go).
		"POST /public/a HTTP/1.1\r\nHost: gw\r\nX-Big: " + strings.Repeat("a", 6000) + "\r\nContent-Length: 5\r\n\r\nhello",
		"GET /public/a HTTP/1.1\r\nHost: gw\r\nX-Big: " + strings.Repeat("a", 5000) + "\r\nX-Bad: \x01\r\n\r\n",
		"POST /public/a HTTP/1.0\r\nContent-Length: 5\r\nexpect: 100-continue\r\n\r\nhello",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	es := startEngines(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		if fastParserRefuses(raw) {
			return // a documented difference (TestEnginesAgreeOnOddRequests)
		}
		if d := es.judge(t, raw, enginesDiffer); d != "" {
			t.Fatal(d)
		}
	})
}

// judge sends raw to both engines and returns how differ finds their
// outcomes differ. A short wait first: most mutated bytes are an
// incomplete request, which neither engine answers. A disagreement is
// judged again with a long one, so that a slow answer is not taken for
// none.
func (es *engines) judge(t *testing.T, raw []byte, differ func(raw []byte, std, fast engineOutcome) string) string {
	if differ(raw, es.send(t, config.EngineStandard, raw, 250*time.Millisecond), es.send(t, config.EngineFast, raw, 250*time.Millisecond)) == "" {
		return ""
	}
	return differ(raw, es.send(t, config.EngineStandard, raw, 3*time.Second), es.send(t, config.EngineFast, raw, 3*time.Second))
}

// enginesDiffer is how the outcomes std and fast of the same bytes
// differ ("" if they do not, as FuzzEngines judges them): the upstream's
// view, the status, the interim answers, the reason where both answered
// with one. A refusal of unreadable bytes may be a bare 4xx on one engine
// and a closed connection on the other (but not two different bare
// statuses, save net/http's 505 and fasthttp's 400 to another HTTP
// version in a head fasthttp cannot read), and a body both refuse midway
// races the upstream.
func enginesDiffer(raw []byte, std, fast engineOutcome) string {
	refused := func(o engineOutcome) bool { return !o.answered || o.status >= 400 && o.status < 500 && o.reason == "" }
	switch {
	case bodyRefusedMidway(std.reason) && fast.reason == std.reason:
		// A body both refuse midway: whether the upstream had seen
		// the head when the answer was read is a race, on either.
	case std.upstream != withoutEmptyLength(fast.upstream, std.upstream):
		return fmt.Sprintf("the upstream saw\nstandard: %s\nfast:     %s", std.upstream, fast.upstream)
	case refused(std) && refused(fast) && (!std.answered || !fast.answered || std.status == fast.status):
	case std.status == http.StatusHTTPVersionNotSupported && fast.status == http.StatusBadRequest && fast.reason == "" && otherVersion(raw):
		// Another HTTP version and a head fasthttp cannot read:
		// net/http answers the version, fasthttp the head (its
		// parser keeps no version past the error).
	case std.status != fast.status:
		return fmt.Sprintf("status: standard %d %q, fast %d %q", std.status, std.reason, fast.status, fast.reason)
	case std.interim != fast.interim:
		return fmt.Sprintf("interim answers: standard %q, fast %q", std.interim, fast.interim)
	case std.reason != "" && fast.reason != "" && std.reason != fast.reason:
		return fmt.Sprintf("reason: standard %q, fast %q", std.reason, fast.reason)
	}
	return ""
}

// fastParserRefuses reports whether raw's head is one that fasthttp's
// parser reads otherwise than net/http's, the differences
// docs/configuration.md lists: an empty line before the request line
// (fasthttp skips it, net/http refuses it); and, which fasthttp refuses
// where net/http serves, a line ended by a bare LF, an empty Host or one
// that is not a URL authority, Content-Length more than once,
// Content-Type twice with different values, userinfo or an empty
// authority in an absolute-form target, Transfer-Encoding on HTTP/1.0;
// and it closes the connection after Transfer-Encoding beside
// Content-Length, where net/http keeps it.
func fastParserRefuses(raw []byte) bool {
	head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	if bytes.HasPrefix(head, []byte("\r\n")) {
		return true
	}
	for i, b := range head {
		if b == '\n' && (i == 0 || head[i-1] != '\r') {
			return true
		}
	}
	lines := bytes.Split(head, []byte("\r\n"))
	if target := bytes.Fields(lines[0]); len(target) == 3 && absoluteWithoutHost(string(target[1])) {
		return true
	}
	http10 := bytes.HasSuffix(lines[0], []byte(" HTTP/1.0"))
	lengths, types, coded, chunked := 0, map[string]bool{}, false, false
	for _, line := range lines[1:] {
		name, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.Trim(value, " \t")
		switch {
		case bytes.EqualFold(name, []byte("Host")) && (len(value) == 0 || notAuthority(string(value))):
			return true
		case bytes.EqualFold(name, []byte("Content-Length")):
			lengths++
		case bytes.EqualFold(name, []byte("Content-Type")):
			types[string(value)] = true
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			coded, chunked = true, bytes.EqualFold(value, []byte("chunked"))
		}
	}
	return lengths > 1 || len(types) > 1 || coded && http10 || chunked && lengths > 0
}

// otherVersion reports whether raw's request line names an HTTP version
// other than 1.x.
func otherVersion(raw []byte) bool {
	line, _, _ := bytes.Cut(raw, []byte("\r\n"))
	fields := bytes.Fields(line)
	return len(fields) == 3 && len(fields[2]) == len("HTTP/1.1") && bytes.HasPrefix(fields[2], []byte("HTTP/")) && fields[2][5] != '1'
}

// absoluteWithoutHost reports whether target is in absolute form with
// userinfo or without a host, which fasthttp refuses (RFC 9110 §4.2.4).
func absoluteWithoutHost(target string) bool {
	_, rest, absolute := strings.Cut(target, "://")
	authority := rest
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		authority = rest[:end]
	}
	return absolute && !strings.HasPrefix(target, "/") && (authority == "" || strings.Contains(authority, "@"))
}

// notAuthority reports whether a Host value net/http takes is no URL
// authority, which fasthttp refuses: a port that is not a number, two
// colons, an unclosed bracket, a bracket outside an IPv6 literal ("]w",
// which url.Parse takes), an escape.
func notAuthority(host string) bool {
	_, err := url.Parse("http://" + host + "/")
	strayBracket := !strings.HasPrefix(host, "[") && strings.ContainsAny(host, "[]")
	return httpguts.ValidHostHeader(host) && (err != nil || strayBracket)
}

// withoutEmptyLength is fast, the upstream request the fast engine sent,
// without the "Content-Length: 0" fasthttp writes on every bodiless
// request but a GET or HEAD (one on those is kept, a difference), where
// std, the standard engine's, has none
// (net/http writes it on POST, PUT and PATCH only): the one framing
// difference docs/configuration.md lists, which says the same thing.
func withoutEmptyLength(fast, std string) string {
	const empty = "Content-Length: [\"0\"]\n"
	if strings.Contains(std, empty) || !strings.HasSuffix(fast, ", 0 bytes: \"\"") ||
		strings.HasPrefix(fast, "GET ") || strings.HasPrefix(fast, "HEAD ") {
		return fast
	}
	return strings.Replace(fast, empty, "", 1)
}
