package gateway

import (
	"net/http"
	"strings"
	"testing"
)

// TestEnginesAgreeByClass sends both engines requests class by class (the
// target, the request line, the header lines, the body's framing, the
// fields about the connection): the same answer and the same upstream
// request on both, but for the differences docs/configuration.md lists.
func TestEnginesAgreeByClass(t *testing.T) {
	es := startEngines(t)
	get := func(target string) string { return "GET " + target + " HTTP/1.1\r\nHost: gw\r\n\r\n" }
	withHead := func(method, lines, body string) string {
		return method + " /public/a HTTP/1.1\r\nHost: gw\r\n" + lines + "\r\n" + body
	}
	t.Run("target", func(t *testing.T) {
		es.agree(t, []oddRequest{
			{name: "raw UTF-8 in the path", raw: get("/public/caf\xc3\xa9"), same: true, served: true},
			{name: "raw UTF-8 in the query", raw: get("/public/a?q=caf\xc3\xa9"), same: true, served: true},
			{name: "encoded slash", raw: get("/public/a%2Fb"), same: true},
			{name: "encoded question mark", raw: get("/public/a%3Fb"), same: true, served: true},
			{name: "encoded hash", raw: get("/public/a%23b"), same: true, served: true},
			{name: "encoded percent", raw: get("/public/a%25b"), same: true, served: true},
			{name: "encoded NUL", raw: get("/public/a%00b"), same: true},
			{name: "encoded LF", raw: get("/public/a%0ab"), same: true},
			{name: "encoded space", raw: get("/public/a%20b"), same: true, served: true},
			{name: "backslash", raw: get("/public/a\\b"), same: true},
			{name: "encoded backslash", raw: get("/public/a%5cb"), same: true},
			{name: "semicolon in the path", raw: get("/public/a;b"), same: true},
			{name: "plus in the path", raw: get("/public/a+b"), same: true, served: true},
			{name: "empty segment", raw: get("/public//a"), same: true},
			{name: "leading empty segment", raw: get("//public/a"), same: true},
			{name: "dot segment", raw: get("/public/./a"), same: true},
			{name: "dot-dot segment", raw: get("/public/x/../a"), same: true},
			{name: "encoded dot segment", raw: get("/public/%2e/a"), same: true},
			{name: "encoded dot-dot segment", raw: get("/public/x/%2e%2e/a"), same: true},
			{name: "truncated escape", raw: get("/public/a%2"), same: true},
			{name: "bad escape", raw: get("/public/a%zz"), same: true},
			{name: "CTL in the path", raw: get("/public/a\x01b"), same: true},
			{name: "DEL in the path", raw: get("/public/a\x7fb"), same: true},
			{name: "quote and brackets", raw: get("/public/a\"b<c>{d}|^`[e]"), same: true, served: true},
			{name: "encoded NUL in the query", raw: get("/public/a?x=%00"), same: true, served: true},
			{name: "plus in the query", raw: get("/public/a?x=a+b"), same: true, served: true},
			{name: "second question mark", raw: get("/public/a?x=1?y=2"), same: true, served: true},
			{name: "empty pairs", raw: get("/public/a?&&x"), same: true, served: true},
			{name: "CTL in the query", raw: get("/public/a?x=\x01"), same: true},
			{name: "absolute form", raw: get("http://gw/public/a"), same: true, served: true},
			{name: "absolute form, another host", raw: get("http://other/public/a"), same: true, served: true},
			{name: "absolute form, https", raw: get("https://gw/public/a"), same: true, served: true},
			{name: "absolute form, no path", raw: get("http://gw?x=1"), same: true},
			{name: "absolute form, another scheme", raw: get("ftp://gw/public/a"), same: true, served: true},
			{name: "network-path form", raw: get("//gw/public/a"), same: true},
			{name: "authority form", raw: "CONNECT gw:80 HTTP/1.1\r\nHost: gw\r\n\r\n", same: true},
			{name: "OPTIONS *", raw: "OPTIONS * HTTP/1.1\r\nHost: gw\r\n\r\n", same: true, served: true},
			{name: "OPTIONS * with a body", raw: "OPTIONS * HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\n\r\nabc", same: true, served: true},
			{name: "OPTIONS * on HTTP/1.0", raw: "OPTIONS * HTTP/1.0\r\n\r\n", same: true, served: true},
			{name: "relative target", raw: get("public/a"), same: true},
			{name: "long path", raw: get("/public/" + strings.Repeat("a", 8000)), same: true, served: true},
			{name: "long query", raw: get("/public/a?" + strings.Repeat("a=1&", 2000)), same: true, served: true},
			{name: "target past max_header_bytes", raw: get("/public/" + strings.Repeat("a", 8200)), same: true},
			// fasthttp refuses userinfo (RFC 9110 §4.2.4) and an empty
			// authority in the target; net/http drops them.
			{name: "userinfo in the target", raw: get("http://user@gw/public/a"), fastStatus: http.StatusBadRequest},
			{name: "empty authority in the target", raw: get("http:///public/a"), fastStatus: http.StatusBadRequest},
		})
	})
	t.Run("request line", func(t *testing.T) {
		es.agree(t, []oddRequest{
			{name: "lower-case method", raw: "get /public/a HTTP/1.1\r\nHost: gw\r\n\r\n", same: true},
			{name: "method of odd tokens", raw: "G~T! /public/a HTTP/1.1\r\nHost: gw\r\n\r\n", same: true},
			{name: "method with a separator", raw: "G(T /public/a HTTP/1.1\r\nHost: gw\r\n\r\n", same: true},
			{name: "method with a CTL", raw: "G\x01T /public/a HTTP/1.1\r\nHost: gw\r\n\r\n", same: true},
			{name: "long method", raw: strings.Repeat("M", 3000) + " /public/a HTTP/1.1\r\nHost: gw\r\n\r\n", same: true},
			{name: "two spaces before the target", raw: "GET  /public/a HTTP/1.1\r\nHost: gw\r\n\r\n", same: true},
			{name: "two spaces after the target", raw: "GET /public/a  HTTP/1.1\r\nHost: gw\r\n\r\n", same: true},
			{name: "tab", raw: "GET\t/public/a HTTP/1.1\r\nHost: gw\r\n\r\n", same: true},
			{name: "space at the end", raw: "GET /public/a HTTP/1.1 \r\nHost: gw\r\n\r\n", same: true},
			{name: "space first", raw: " GET /public/a HTTP/1.1\r\nHost: gw\r\n\r\n", same: true},
			{name: "lower-case version", raw: "GET /public/a http/1.1\r\nHost: gw\r\n\r\n", same: true},
			{name: "version of two digits", raw: "GET /public/a HTTP/1.10\r\nHost: gw\r\n\r\n", same: true},
			{name: "no version", raw: "GET /public/a\r\nHost: gw\r\n\r\n", same: true},
			{name: "TRACE", raw: "TRACE /public/a HTTP/1.1\r\nHost: gw\r\n\r\n", same: true, served: true},
			// RFC 9112 §2.2: a server SHOULD ignore an empty line
			// before the request line; fasthttp does, net/http not.
			{name: "empty line first", raw: "\r\nGET /public/a HTTP/1.1\r\nHost: gw\r\n\r\n", stdStatus: http.StatusBadRequest, fastStatus: http.StatusOK},
		})
	})
	t.Run("header lines", func(t *testing.T) {
		es.agree(t, []oddRequest{
			{name: "empty value", raw: withHead("GET", "X-A:\r\n", ""), same: true, served: true},
			{name: "space around the value", raw: withHead("GET", "X-A: \t v \t\r\n", ""), same: true, served: true},
			{name: "space before the colon", raw: withHead("GET", "X-A : v\r\n", ""), same: true},
			{name: "obs-fold", raw: withHead("GET", "X-A: v\r\n w\r\n", ""), same: true, served: true},
			{name: "odd tokens in the name", raw: withHead("GET", "X~A!#$%&'*+.^`|: v\r\n", ""), same: true, served: true},
			{name: "separator in the name", raw: withHead("GET", "X(A): v\r\n", ""), same: true},
			{name: "UTF-8 in the name", raw: withHead("GET", "X-\xc3\xa9: v\r\n", ""), same: true},
			{name: "UTF-8 in the value", raw: withHead("GET", "X-A: \xc3\xa9\r\n", ""), same: true, served: true},
			{name: "NUL in the value", raw: withHead("GET", "X-A: a\x00b\r\n", ""), same: true},
			{name: "CR in the value", raw: withHead("GET", "X-A: a\rb\r\n", ""), same: true},
			{name: "empty name", raw: withHead("GET", ": v\r\n", ""), same: true},
			{name: "no colon", raw: withHead("GET", "X-A\r\n", ""), same: true},
			{name: "Host twice", raw: withHead("GET", "Host: gw\r\n", ""), same: true},
			{name: "Host with a port", raw: "GET /public/a HTTP/1.1\r\nHost: gw:80\r\n\r\n", same: true, served: true},
			{name: "Host with a space", raw: "GET /public/a HTTP/1.1\r\nHost: g w\r\n\r\n", same: true},
			{name: "Host with a slash", raw: "GET /public/a HTTP/1.1\r\nHost: gw/x\r\n\r\n", same: true},
			{name: "Content-Type twice, the same", raw: withHead("GET", "Content-Type: a\r\nContent-Type: a\r\n", ""), same: true, served: true},
			{name: "Authorization twice", raw: "GET /v1/a HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n\r\n", same: true},
			{name: "User-Agent twice", raw: withHead("GET", "User-Agent: a\r\nUser-Agent: b\r\n", ""), same: true, served: true},
			{name: "empty User-Agent", raw: withHead("GET", "User-Agent:\r\n", ""), same: true, served: true},
			{name: "Cookie twice", raw: withHead("GET", "Cookie: a=1; b=2\r\nCookie: c=3\r\n", ""), same: true, served: true},
			{name: "max_header_count lines", raw: withHead("GET", strings.Repeat("X-A: 1\r\n", 19), ""), same: true, served: true},
			{name: "past max_header_count", raw: withHead("GET", strings.Repeat("X-A: 1\r\n", 20), ""), same: true},
			{name: "head of max_header_bytes", raw: withHead("GET", "X-Big: "+strings.Repeat("a", 8192-45)+"\r\n", ""), same: true, served: true},
			{name: "head past max_header_bytes", raw: withHead("GET", "X-Big: "+strings.Repeat("a", 8192-44)+"\r\n", ""), same: true},
			// fasthttp's parser refuses what it cannot read as one
			// value or as a URL authority; net/http passes it on.
			{name: "Content-Type twice, different", raw: withHead("GET", "Content-Type: a\r\nContent-Type: b\r\n", ""), fastStatus: http.StatusBadRequest},
			{name: "Host with a port not a number", raw: "GET /public/a HTTP/1.1\r\nHost: gw:x\r\n\r\n", fastStatus: http.StatusBadRequest},
			{name: "Host with two colons", raw: "GET /public/a HTTP/1.1\r\nHost: a:b:c\r\n\r\n", fastStatus: http.StatusBadRequest},
			{name: "Host with an open bracket", raw: "GET /public/a HTTP/1.1\r\nHost: [::1\r\n\r\n", fastStatus: http.StatusBadRequest},
			{name: "Host with a stray bracket", raw: "GET /public/a HTTP/1.1\r\nHost: ]w\r\n\r\n", fastStatus: http.StatusBadRequest},
			{name: "Host with an escape", raw: "GET /public/a HTTP/1.1\r\nHost: %41\r\n\r\n", fastStatus: http.StatusBadRequest},
		})
	})
	t.Run("framing", func(t *testing.T) {
		chunked := "Transfer-Encoding: chunked\r\n"
		es.agree(t, []oddRequest{
			{name: "length with a plus", raw: withHead("POST", "Content-Length: +5\r\n", "hello"), same: true},
			{name: "length with a leading zero", raw: withHead("POST", "Content-Length: 05\r\n", "hello"), same: true, served: true},
			{name: "length in spaces", raw: withHead("POST", "Content-Length:  5 \r\n", "hello"), same: true, served: true},
			{name: "length as a list", raw: withHead("POST", "Content-Length: 5,5\r\n", "hello"), same: true},
			{name: "negative length", raw: withHead("POST", "Content-Length: -1\r\n", "hello"), same: true},
			{name: "hexadecimal length", raw: withHead("POST", "Content-Length: 0x5\r\n", "hello"), same: true},
			{name: "length past int64", raw: withHead("POST", "Content-Length: 99999999999999999999\r\n", "hello"), same: true},
			{name: "very large length", raw: withHead("POST", "Content-Length: 9223372036854775807\r\n", "hello"), same: true},
			{name: "empty length", raw: withHead("POST", "Content-Length: \r\n", "hello"), same: true},
			{name: "chunk extension", raw: withHead("POST", chunked, "5;ext=1\r\nhello\r\n0\r\n\r\n"), same: true, served: true},
			{name: "undeclared trailer", raw: withHead("POST", chunked, "5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"), same: true, served: true},
			{name: "declared trailers", raw: withHead("POST", "Trailer: x-b, X-A\r\n"+chunked, "5\r\nhello\r\n0\r\nX-A: 1\r\nX-B: 2\r\n\r\n"), same: true, served: true},
			{name: "declared trailer and TE: trailers", raw: withHead("POST", "Te: trailers\r\nTrailer: X-T\r\n"+chunked, "5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"), same: true, served: true},
			{name: "trailer declared without chunks", raw: withHead("POST", "Trailer: X-T\r\nContent-Length: 5\r\n", "hello"), same: true, served: true},
			{name: "Content-Length declared a trailer", raw: withHead("POST", "Trailer: Content-Length\r\n"+chunked, "5\r\nhello\r\n0\r\n\r\n"), same: true},
			{name: "chunked, chunked", raw: withHead("POST", "Transfer-Encoding: chunked, chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), same: true},
			{name: "chunked twice", raw: withHead("POST", chunked+chunked, "5\r\nhello\r\n0\r\n\r\n"), same: true},
			{name: "identity", raw: withHead("POST", "Transfer-Encoding: identity\r\n", "hello"), same: true},
			{name: "identity with a length", raw: withHead("POST", "Transfer-Encoding: identity\r\nContent-Length: 5\r\n", "hello"), same: true},
			{name: "IDENTITY", raw: withHead("POST", "transfer-encoding: IDENTITY\r\n", ""), same: true},
			{name: "gzip, chunked", raw: withHead("POST", "Transfer-Encoding: gzip, chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), same: true},
			{name: "gzip", raw: withHead("POST", "Transfer-Encoding: gzip\r\n", "hello"), same: true},
			{name: "Chunked", raw: withHead("POST", "Transfer-Encoding: Chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), same: true, served: true},
			{name: "empty Transfer-Encoding", raw: withHead("POST", "Transfer-Encoding: \r\n", "5\r\nhello\r\n0\r\n\r\n"), same: true},
			// RFC 9112 §6.1: a server MUST close the connection after a
			// request with both; fasthttp does (its answer says so),
			// net/http does not.
			{name: "chunked and a length", raw: withHead("POST", chunked+"Content-Length: 5\r\n", "5\r\nhello\r\n0\r\n\r\n"), fastStatus: http.StatusOK},
			{name: "a length and chunked", raw: withHead("POST", "Content-Length: 5\r\n"+chunked, "5\r\nhello\r\n0\r\n\r\n"), fastStatus: http.StatusOK},
			{name: "chunk size with a leading zero", raw: withHead("POST", chunked, "05\r\nhello\r\n000\r\n\r\n"), same: true, served: true},
			{name: "body on GET", raw: withHead("GET", "Content-Length: 5\r\n", "hello"), same: true, served: true},
			{name: "body on HEAD", raw: withHead("HEAD", "Content-Length: 5\r\n", "hello"), same: true, served: true},
			{name: "body on DELETE", raw: withHead("DELETE", "Content-Length: 5\r\n", "hello"), same: true, served: true},
			{name: "chunked body on GET", raw: withHead("GET", chunked, "5\r\nhello\r\n0\r\n\r\n"), same: true, served: true},
			{name: "body past max_body_bytes", raw: withHead("POST", "Content-Length: 65\r\n", strings.Repeat("x", 65)), same: true},
			// A chunk size that does not parse: both refuse the body.
			{name: "space before a chunk extension", raw: withHead("POST", chunked, "5 ;ext\r\nhello\r\n0\r\n\r\n"), bodyRefused: true},
			{name: "chunk lines ended by LF", raw: withHead("POST", chunked, "5\nhello\n0\n\n"), bodyRefused: true},
			{name: "hexadecimal prefix on a chunk size", raw: withHead("POST", chunked, "0x5\r\nhello\r\n0\r\n\r\n"), bodyRefused: true},
			{name: "chunk size past int64", raw: withHead("POST", chunked, "FFFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n"), bodyRefused: true},
			// RFC 9112 §6.1: Transfer-Encoding on HTTP/1.0 is faulty
			// framing; net/http ignores it (and the body).
			{name: "chunked on HTTP/1.0", raw: "POST /public/a HTTP/1.0\r\n" + chunked + "\r\n5\r\nhello\r\n0\r\n\r\n", fastStatus: http.StatusNotImplemented},
		})
	})
	t.Run("one after another", func(t *testing.T) {
		last := "GET /public/last HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n"
		es.agree(t, []oddRequest{
			{name: "two GETs", raw: get("/public/a") + last, same: true, served: true, pipelined: true},
			{name: "a body, then a GET", raw: withHead("POST", "Content-Length: 5\r\n", "hello") + last, same: true, served: true, pipelined: true},
			{name: "a chunked body, then a GET", raw: withHead("POST", "Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\n\r\n") + last, same: true, served: true, pipelined: true},
			{name: "a body on GET, then a GET", raw: withHead("GET", "Content-Length: 5\r\n", "hello") + last, same: true, served: true, pipelined: true},
			// RFC 9112 §6.1: a server MUST close the connection after a
			// request with both; fasthttp does, net/http reads on.
			{name: "a length and chunked, then a GET", raw: withHead("POST", "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n") + last, fastStatus: http.StatusOK, pipelined: true},
			{name: "identity, then a GET", raw: withHead("POST", "Transfer-Encoding: identity\r\nContent-Length: 5\r\n", "hello") + last, same: true, pipelined: true},
			{name: "a body too large, then a GET", raw: withHead("POST", "Content-Length: 65\r\n", strings.Repeat("x", 65)) + last, same: true, pipelined: true},
			{name: "a refused body, then a GET", raw: "POST /v1/a HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nhello" + last, same: true, pipelined: true},
			{name: "a refused chunked body, then a GET", raw: "POST /v1/a HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + last, same: true, pipelined: true},
			{name: "a refused Expect, then a GET", raw: "POST /v1/a HTTP/1.1\r\nHost: gw\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello" + last, same: true, pipelined: true},
			{name: "HTTP/1.0 kept alive with a body, then a GET", raw: "POST /public/a HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\nhello" + last, same: true, served: true, pipelined: true},
			// net/http takes the chunks for the next request.
			{name: "HTTP/1.0 kept alive, chunked, then a GET", raw: "POST /public/a HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + last, fastStatus: http.StatusNotImplemented, pipelined: true},
			{name: "OPTIONS * with a body, then a GET", raw: "OPTIONS * HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\n\r\nabc" + last, same: true, served: true, pipelined: true},
			{name: "a bad request, then a GET", raw: get("/public/a\x01") + last, same: true, pipelined: true},
			{name: "an empty line, then a GET", raw: "\r\n" + last, stdStatus: http.StatusBadRequest, fastStatus: http.StatusOK, pipelined: true},
		})
	})
	t.Run("the gateway's answers", func(t *testing.T) {
		es.agree(t, []oddRequest{
			{name: "refused", raw: "GET /v1/a HTTP/1.1\r\nHost: gw\r\n\r\n", same: true},
			{name: "refused HEAD", raw: "HEAD /v1/a HTTP/1.1\r\nHost: gw\r\n\r\n", same: true},
			{name: "refused on HTTP/1.0", raw: "GET /v1/a HTTP/1.0\r\n\r\n", same: true},
			{name: "refused, kept alive on HTTP/1.0", raw: "GET /v1/a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", same: true},
			{name: "no route", raw: get("/nowhere"), same: true},
			{name: "no route, HEAD", raw: "HEAD /nowhere HTTP/1.1\r\nHost: gw\r\n\r\n", same: true},
			{name: "OPTIONS on a route", raw: "OPTIONS /v1/a HTTP/1.1\r\nHost: gw\r\nOrigin: https://app.test\r\nAccess-Control-Request-Method: GET\r\n\r\n", same: true},
			{name: "served HEAD", raw: "HEAD /public/a HTTP/1.1\r\nHost: gw\r\n\r\n", same: true, served: true},
			{name: "served on HTTP/1.0", raw: "GET /public/a HTTP/1.0\r\n\r\n", same: true, served: true},
			{name: "served, kept alive on HTTP/1.0", raw: "GET /public/a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", same: true, served: true},
			{name: "served, closed", raw: "GET /public/a HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n", same: true, served: true},
		})
	})
	t.Run("connection", func(t *testing.T) {
		es.agree(t, []oddRequest{
			{name: "Expect: 100-continue", raw: withHead("POST", "Expect: 100-continue\r\nContent-Length: 5\r\n", "hello"), same: true, served: true},
			{name: "Expect: 100-Continue", raw: withHead("POST", "Expect: 100-Continue\r\nContent-Length: 5\r\n", "hello"), same: true, served: true},
			{name: "Expect: 100-CONTINUE", raw: withHead("POST", "Expect: 100-CONTINUE\r\nContent-Length: 5\r\n", "hello"), same: true, served: true},
			{name: "expect: 100-continue", raw: withHead("POST", "expect: 100-continue\r\nContent-Length: 5\r\n", "hello"), same: true, served: true},
			{name: "Expect twice", raw: withHead("POST", "Expect: 100-continue\r\nExpect: 100-continue\r\nContent-Length: 5\r\n", "hello"), same: true, served: true},
			{name: "Expect without a body", raw: withHead("POST", "Expect: 100-continue\r\nContent-Length: 0\r\n", ""), same: true, served: true},
			{name: "Expect on GET", raw: withHead("GET", "Expect: 100-continue\r\n", ""), same: true, served: true},
			{name: "Expect with a chunked body", raw: withHead("POST", "Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), same: true, served: true},
			{name: "Expect of another value, no body", raw: withHead("GET", "Expect: foo\r\n", ""), same: true},
			{name: "Expect of another value", raw: withHead("POST", "Expect: foo\r\nContent-Length: 5\r\n", "hello"), same: true},
			{name: "Expect of another value, the body not sent", raw: withHead("POST", "Expect: foo\r\nContent-Length: 5\r\n", ""), same: true},
			{name: "Expect of another value, chunked", raw: withHead("POST", "Expect: foo\r\nTransfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), same: true},
			{name: "Expect on HTTP/1.0, the body not sent", raw: "POST /public/a HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", bodyRefused: true},
			{name: "Expect on HTTP/1.0, refused, the body not sent", raw: "POST /v1/a HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", same: true},
			{name: "Expect of another value on HTTP/1.0", raw: "POST /public/a HTTP/1.0\r\nExpect: foo\r\nContent-Length: 5\r\n\r\nhello", same: true},
			{name: "Expect of another value, then 100-continue", raw: withHead("POST", "Expect: foo\r\nExpect: 100-continue\r\nContent-Length: 5\r\n", "hello"), same: true},
			{name: "HTTP/1.5 kept alive", raw: "GET /public/a HTTP/1.5\r\nHost: gw\r\n\r\n", same: true, served: true},
			{name: "HTTP/1.5 closed", raw: "GET /public/a HTTP/1.5\r\nHost: gw\r\nConnection: close\r\n\r\n", same: true, served: true},
			{name: "Expect: 100-continue and another", raw: withHead("POST", "Expect: 100-continue, foo\r\nContent-Length: 5\r\n", "hello"), same: true, served: true},
			{name: "Expect on HTTP/1.0", raw: "POST /public/a HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello", same: true, served: true},
			{name: "Expect, body past max_body_bytes", raw: withHead("POST", "Expect: 100-continue\r\nContent-Length: 65\r\n", strings.Repeat("x", 65)), same: true},
			{name: "Expect, refused", raw: "POST /v1/a HTTP/1.1\r\nHost: gw\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello", same: true},
			{name: "Connection names a header", raw: withHead("GET", "Connection: x-a, X-B\r\nX-A: 1\r\nX-B: 2\r\n", ""), same: true, served: true},
			{name: "Connection names Authorization", raw: withHead("GET", "Connection: Authorization\r\nAuthorization: Bearer a\r\n", ""), same: true, served: true},
			{name: "Connection names Content-Type", raw: withHead("GET", "Connection: Content-Type\r\nContent-Type: a\r\n", ""), same: true, served: true},
			{name: "Connection names Content-Length", raw: withHead("POST", "Connection: Content-Length\r\nContent-Length: 5\r\n", "hello"), same: true, served: true},
			{name: "Connection twice", raw: withHead("GET", "Connection: X-A\r\nConnection: close\r\nX-A: 1\r\n", ""), same: true, served: true},
			{name: "Upgrade: websocket", raw: withHead("GET", "Connection: Upgrade\r\nUpgrade: websocket\r\n", ""), same: true},
			{name: "Upgrade: h2c", raw: withHead("GET", "Upgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n", ""), same: true},
			{name: "TE: trailers", raw: withHead("GET", "Te: trailers\r\n", ""), same: true, served: true},
			{name: "TE: gzip, trailers", raw: withHead("GET", "Te: gzip, trailers\r\n", ""), same: true, served: true},
			{name: "TE: Trailers", raw: withHead("GET", "Te: Trailers \r\n", ""), same: true, served: true},
			{name: "TE: trailers;q=0.5", raw: withHead("GET", "Te: trailers;q=0.5\r\n", ""), same: true, served: true},
			{name: "other hop-by-hop fields", raw: withHead("GET", "Proxy-Connection: keep-alive\r\nKeep-Alive: 5\r\nTrailer: X\r\nProxy-Authorization: Basic eDp5\r\n", ""), same: true, served: true},
		})
	})
}
