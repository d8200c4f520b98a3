package doctor

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// The attacks below come from the server the user calls: it answers the
// call, links to a description, serves it, redirects its fetch. Each
// checks one promise of "Reading the API's description" in
// docs/doctor.md against a real server.

// attackSecret is the user's credential in every attack; attackShort is
// a run of it a report must never show.
const (
	attackSecret = "Zq9-s3cr3t-7781-abcdefXY"
	attackShort  = "s3cr3t-7781"
)

// attackAPI is an API run by an attacker: the call (any path not in
// routes) is answered 401 with the Link headers in links; routes serve
// the rest. It records every request a description fetch made.
type attackAPI struct {
	mu      sync.Mutex
	fetches []fetched
	links   []string
	routes  map[string]http.HandlerFunc
}

// fetched is what one description request carried.
type fetched struct {
	method, uri string
	header      http.Header
	body        string
}

// isDescFetch: r is the doctor asking for a description (its Accept).
func isDescFetch(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "vnd.oai.openapi")
}

func (a *attackAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isDescFetch(r) {
		body, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.fetches = append(a.fetches, fetched{r.Method, r.RequestURI, r.Header.Clone(), string(body)})
		a.mu.Unlock()
	}
	if h, ok := a.routes[r.URL.Path]; ok && isDescFetch(r) {
		h(w, r)
		return
	}
	for _, l := range a.links {
		w.Header().Add("Link", l)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	fmt.Fprint(w, `{"message":"Unauthorized"}`)
}

func (a *attackAPI) seen() []fetched {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]fetched(nil), a.fetches...)
}

// carries reports where f carries s: its URL, a header (a Basic pair
// decoded) or its body; "" when nowhere.
func (f fetched) carries(s string) string {
	if strings.Contains(f.uri, s) {
		return "the URL " + f.uri
	}
	for name, vs := range f.header {
		for _, v := range vs {
			if strings.Contains(v, s) {
				return "the header " + name
			}
			if scheme, cred, ok := strings.Cut(v, " "); ok && strings.EqualFold(scheme, "Basic") {
				if raw, err := base64.StdEncoding.DecodeString(cred); err == nil && strings.Contains(string(raw), s) {
					return "the user info (Basic, in " + name + ")"
				}
			}
		}
	}
	if strings.Contains(f.body, s) {
		return "the body"
	}
	return ""
}

func serveDoc(doc string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, doc) }
}

func redirectTo(to string, code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, to, code) }
}

// TestDescribeAttackCarriesNoCredential: whatever the answer links to and
// however the description's fetch is redirected, no description request
// carries any of the user's credential — in the URL's user info (a
// password, or a token as the user name), the query, a header (Bearer,
// an API key, a cookie, a DPoP proof) or a body field — and none goes to
// another origin, by a Link or a redirect.
func TestDescribeAttackCarriesNoCredential(t *testing.T) {
	other := &attackAPI{routes: map[string]http.HandlerFunc{"/desc": serveDoc(oas3YAML)}}
	elsewhere := httptest.NewServer(other)
	defer elsewhere.Close()
	hostOf := strings.TrimPrefix(elsewhere.URL, "http://")
	places := []struct {
		name    string
		userURL func(base string) string // the URL called, from the server's
		headers []Header
		body    string
	}{
		{"user info with a password", func(b string) string { return strings.Replace(b, "://", "://me:"+attackSecret+"@", 1) + "/v1/things" }, nil, ""},
		{"a token as the user info's name", func(b string) string { return strings.Replace(b, "://", "://"+attackSecret+"@", 1) + "/v1/things" }, nil, ""},
		{"the query", func(b string) string { return b + "/v1/things?api_key=" + attackSecret }, nil, ""},
		{"the path (a bot token)", func(b string) string { return b + "/bot123456:" + attackSecret + "-abcdefghij/getMe" }, nil, ""},
		{"a JSON body field", func(b string) string { return b + "/v1/things" }, nil, `{"api_key":"` + attackSecret + `"}`},
		{"headers and a body field", func(b string) string { return b + "/v1/things" }, []Header{
			{Name: "Authorization", Value: "Bearer " + attackSecret}, {Name: "X-API-Key", Value: attackSecret},
			{Name: "Cookie", Value: "sid=" + attackSecret}, {Name: "DPoP", Value: "eyJ." + attackSecret}}, "client_secret=" + attackSecret},
	}
	attacks := []struct {
		name   string
		links  []string
		routes map[string]http.HandlerFunc
	}{
		{"a Link to an absolute path", []string{`</desc>; rel="service-desc"`}, map[string]http.HandlerFunc{"/desc": serveDoc(oas3YAML)}},
		{"a Link to a relative path", []string{`<desc>; rel="describedby"`}, map[string]http.HandlerFunc{"/v1/desc": serveDoc(oas3YAML)}},
		{"an empty Link: the call's own URL", []string{`<>; rel="service-desc"`}, nil},
		{"a Link to a fragment: the call's own URL", []string{`<#spec>; rel="service-desc"`}, nil},
		{"a Link to a query", []string{`<?format=openapi>; rel="service-desc"`}, nil},
		{"a Link with its own user info", []string{`<http://attacker:pw@` + "HOST" + `/desc>; rel="service-desc"`}, map[string]http.HandlerFunc{"/desc": serveDoc(oas3YAML)}},
		{"a Link to another origin", []string{`<` + elsewhere.URL + `/desc>; rel="service-desc"`}, nil},
		{"a network-path Link to another origin", []string{`<//` + hostOf + `/desc>; rel="service-desc"`}, nil},
		{"301 on the same origin", []string{`</desc>; rel="service-desc"`}, map[string]http.HandlerFunc{"/desc": redirectTo("/real", 301), "/real": serveDoc(oas3YAML)}},
		{"302 on the same origin, relative", []string{`</desc>; rel="service-desc"`}, map[string]http.HandlerFunc{"/desc": redirectTo("real", 302), "/real": serveDoc(oas3YAML)}},
		{"307 to the call's own URL", []string{`</desc>; rel="service-desc"`}, map[string]http.HandlerFunc{"/desc": redirectTo("/v1/things", 307)}},
		{"308 to another origin", []string{`</desc>; rel="service-desc"`}, map[string]http.HandlerFunc{"/desc": redirectTo(elsewhere.URL+"/desc", 308)}},
		{"302 to another origin, well-known", nil, map[string]http.HandlerFunc{"/openapi.json": redirectTo(elsewhere.URL+"/desc", 302)}},
	}
	for _, place := range places {
		for _, at := range attacks {
			t.Run(place.name+"/"+at.name, func(t *testing.T) {
				a := &attackAPI{routes: at.routes}
				srv := httptest.NewServer(a)
				defer srv.Close()
				host := strings.TrimPrefix(srv.URL, "http://")
				for _, l := range at.links {
					a.links = append(a.links, strings.ReplaceAll(l, "HOST", host))
				}
				other.mu.Lock()
				other.fetches = nil
				other.mu.Unlock()
				req := &Request{Method: "GET", URL: place.userURL(srv.URL), Headers: place.headers, Body: place.body}
				if place.body != "" {
					req.Method = "POST"
				}
				if _, err := Run(context.Background(), req, Options{Timeout: 5 * time.Second, Transport: loopbackOnly}); err != nil {
					t.Fatal(err)
				}
				all := append(a.seen(), other.seen()...)
				if len(all) == 0 {
					t.Fatal("no description request seen: the attack was not tried")
				}
				for _, f := range all {
					if where := f.carries(attackShort); where != "" {
						t.Errorf("%s %s carries the credential in %s", f.method, f.uri, where)
					}
					if f.method != http.MethodGet || f.body != "" {
						t.Errorf("a description request is %s with a body of %d bytes", f.method, len(f.body))
					}
				}
				if n := len(other.seen()); n > 0 {
					t.Errorf("another origin was asked %d times, by a Link or a redirect", n)
				}
			})
		}
	}
}

// TestDescribeAttackShownURL: the description's address is shown without
// user info and with its query's secrets masked, whether the answer's Link
// put them there or the call's URL lent them to a relative Link.
func TestDescribeAttackShownURL(t *testing.T) {
	cases := []struct {
		name, link, path string
		userInfo         string
		// openapi: link is the --openapi URL, not a Link header.
		openapi bool
	}{
		{"a Link with a password in its user info", `<http://me:` + attackSecret + `@HOST/desc>; rel="service-desc"`, "/desc", "", false},
		{"a Link with a token as its user name", `<http://` + attackSecret + `@HOST/desc>; rel="service-desc"`, "/desc", "", false},
		{"a Link with a key in its query", `</desc?api_key=` + attackSecret + `>; rel="service-desc"`, "/desc", "", false},
		{"a relative Link under a call with a token as user name", `</desc>; rel="service-desc"`, "/desc", attackSecret + "@", false},
		{"--openapi with a password in its user info", `http://me:` + attackSecret + `@HOST/desc`, "/desc", "", true},
		{"--openapi with a token as its user name", `http://` + attackSecret + `@HOST/desc`, "/desc", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := &attackAPI{routes: map[string]http.HandlerFunc{c.path: serveDoc(oas3YAML)}}
			srv := httptest.NewServer(a)
			defer srv.Close()
			link := strings.ReplaceAll(c.link, "HOST", strings.TrimPrefix(srv.URL, "http://"))
			opts := Options{Timeout: 5 * time.Second, Transport: loopbackOnly}
			if c.openapi {
				opts.OpenAPI = link
			} else {
				a.links = []string{link}
			}
			req := &Request{Method: "GET", URL: strings.Replace(srv.URL, "://", "://"+c.userInfo, 1) + "/v1/things"}
			rep, err := Run(context.Background(), req, opts)
			if err != nil {
				t.Fatal(err)
			}
			if rep.APIDescription == "" {
				t.Fatal("no description read")
			}
			if strings.Contains(rep.APIDescription, "@") || strings.Contains(rep.APIDescription, attackShort) {
				t.Errorf("the description is shown as %q: user info or a secret", rep.APIDescription)
			}
			for _, f := range rep.Findings {
				if f.Code == APIDescription && (strings.Contains(f.Title, "@") || strings.Contains(f.Title, attackShort)) {
					t.Errorf("the api_description finding shows %q", f.Title)
				}
			}
		})
	}
}

// timedAttack runs the call against h and returns what it took and the
// description requests the server saw.
func timedAttack(t *testing.T, h *attackAPI, openapi string) (time.Duration, int, *Report) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer srv.CloseClientConnections()
	req := &Request{Method: "GET", URL: srv.URL + "/v1/things", Headers: []Header{{Name: "X-API-Key", Value: attackSecret}}}
	if openapi != "" {
		openapi = srv.URL + openapi
	}
	start := time.Now()
	rep, err := Run(context.Background(), req, Options{Timeout: 5 * time.Second, Transport: loopbackOnly, OpenAPI: openapi})
	if err != nil {
		t.Fatal(err)
	}
	return time.Since(start), len(h.seen()), rep
}

// TestDescribeAttackBounds: an attacker's description server cannot make
// the doctor read without end, wait without end or ask without end: a
// huge, endless, compressed-bomb, dripping or silent answer, Links listed
// many times and redirect loops all stop within the budget (8 GETs, 1 MiB
// each, 2 s each, 6 s in all; 16 MiB and 6 s for --openapi).
func TestDescribeAttackBounds(t *testing.T) {
	done := make(chan struct{})
	defer close(done)
	big := `{"openapi":"3.0.0","x":"` + strings.Repeat("a", 2<<20) + `"}`
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write([]byte(`{"openapi":"3.0.0","x":"`))
	zw.Write(bytes.Repeat([]byte{' '}, 64<<20))
	zw.Close()
	many := make([]string, 60)
	for i := range many {
		many[i] = fmt.Sprintf(`</d%d>; rel="service-desc"`, i)
	}
	endless := func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"openapi":"3.0.0","x":"`))
		chunk := bytes.Repeat([]byte("a"), 32<<10)
		for i := 0; i < 100000; i++ { // bounded: 3 GiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
	drip := func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"openapi":"3.0.0",`))
		for i := 0; i < 600; i++ { // bounded: a minute
			select {
			case <-done:
				return
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			w.Write([]byte(" "))
			w.(http.Flusher).Flush()
		}
	}
	silent := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-done:
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	}
	everywhere := map[string]http.HandlerFunc{}
	for _, target := range wellKnownCandidates(&url.URL{Path: "/v1/things"}) {
		everywhere[target] = silent
	}
	cases := []struct {
		name     string
		links    []string
		routes   map[string]http.HandlerFunc
		openapi  string
		maxTime  time.Duration
		maxGETs  int
		wantRead bool
	}{
		{"larger than 1 MiB", []string{`</big>; rel="service-desc"`}, map[string]http.HandlerFunc{"/big": serveDoc(big)}, "", 3 * time.Second, discoverGETs, false},
		{"an endless chunked body", []string{`</endless>; rel="service-desc"`}, map[string]http.HandlerFunc{"/endless": endless}, "", 3 * time.Second, discoverGETs, false},
		{"a gzip bomb", []string{`</bomb>; rel="service-desc"`}, map[string]http.HandlerFunc{"/bomb": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(bomb.Bytes())
		}}, "", 3 * time.Second, discoverGETs, false},
		{"a slow drip", []string{`</drip>; rel="service-desc"`}, map[string]http.HandlerFunc{"/drip": drip}, "", discoverTotal + 2*time.Second, discoverGETs, false},
		{"a server that never answers", []string{`</silent>; rel="service-desc"`}, map[string]http.HandlerFunc{"/silent": silent}, "", discoverTotal + 2*time.Second, discoverGETs, false},
		{"every well-known address silent", nil, everywhere, "", discoverTotal + 2*time.Second, discoverGETs, false},
		{"60 Links", many, nil, "", 3 * time.Second, discoverGETs, false},
		{"a Link listed 60 times in one header", []string{strings.Repeat(`</d>; rel="service-desc", `, 60)}, nil, "", 3 * time.Second, discoverGETs, false},
		{"a redirect loop", []string{`</loop>; rel="service-desc"`}, map[string]http.HandlerFunc{"/loop": redirectTo("/loop", 302)}, "", 3 * time.Second, discoverGETs, false},
		{"--openapi: a redirect loop", nil, map[string]http.HandlerFunc{"/loop": redirectTo("/loop", 302)}, "/loop", 3 * time.Second, discoverGETs, false},
		{"--openapi: a server that never answers", nil, map[string]http.HandlerFunc{"/silent": silent}, "/silent", 3*discoverEach + 2*time.Second, 1, false},
		{"--openapi: an endless body", nil, map[string]http.HandlerFunc{"/endless": endless}, "/endless", 6 * time.Second, 1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			took, gets, rep := timedAttack(t, &attackAPI{links: c.links, routes: c.routes}, c.openapi)
			if took > c.maxTime {
				t.Errorf("took %v, more than %v", took, c.maxTime)
			}
			if gets == 0 || gets > c.maxGETs {
				t.Errorf("%d description requests, want 1 to %d", gets, c.maxGETs)
			}
			if (rep.APIDescription != "") != c.wantRead {
				t.Errorf("description read: %q", rep.APIDescription)
			}
		})
	}
}

// TestDescribeAttackParse: a description built to be expensive — YAML
// aliases (billion laughs), deep nesting, many servers, long templates,
// bytes that are not UTF-8, $ref loops — is read or refused in bounded
// time, and never panics.
func TestDescribeAttackParse(t *testing.T) {
	laughs := "openapi: 3.0.0\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	for i, prev := 'b', 'a'; i <= 'j'; i, prev = i+1, i {
		laughs += fmt.Sprintf("%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", i, i, prev, prev, prev, prev, prev, prev, prev, prev, prev)
	}
	laughs += "paths: {/x: {get: {security: [*j]}}}\n"
	var servers strings.Builder
	servers.WriteString(`{"openapi":"3.0.0","servers":[`)
	for i := 0; i < 70000; i++ {
		fmt.Fprintf(&servers, `{"url":"/%x"},`, i)
	}
	servers.WriteString(`{"url":"/"}],"paths":{"/x":{"get":{}}}}`)
	var alts strings.Builder
	alts.WriteString(`{"openapi":"3.0.0","security":[`)
	for i := 0; i < 70000; i++ {
		fmt.Fprintf(&alts, `{"%x":[]},`, i)
	}
	alts.WriteString(`{"z":[]}],"paths":{"/x":{"get":{}}}}`)
	var schemes strings.Builder
	schemes.WriteString(`{"openapi":"3.0.0","components":{"securitySchemes":{`)
	for i := 0; i < 50000; i++ {
		fmt.Fprintf(&schemes, `"%x":{"type":"http","scheme":"s%x"},`, i, i)
	}
	schemes.WriteString(`"z":{"type":"http","scheme":"basic"}}},"paths":{}}`)
	var ops strings.Builder
	ops.WriteString(`{"openapi":"3.0.0","paths":{`)
	for i := 0; i < 30000; i++ {
		fmt.Fprintf(&ops, `"/%d/{a}":{"get":{},"post":{},"put":{}},`, i)
	}
	ops.WriteString(`"/z":{"get":{}}}}`)
	cases := []struct {
		name, doc, path string
	}{
		{"billion laughs", laughs, "/x"},
		{"deep JSON nesting", `{"openapi":"3.0.0","x":` + strings.Repeat("[", 500000) + strings.Repeat("]", 500000) + `}`, "/x"},
		{"deep YAML nesting", "openapi: 3.0.0\nx: " + strings.Repeat("[", 500000) + strings.Repeat("]", 500000) + "\n", "/x"},
		{"70000 servers", servers.String(), "/1/2/3/x"},
		{"90000 operations", ops.String(), "/29999/b"},
		{"70000 alternatives", alts.String(), "/x"},
		{"50000 schemes and no operation", schemes.String(), "/x"},
		{"a template of 100000 variables", `{"openapi":"3.0.0","paths":{"/` + strings.Repeat("{a}", 100000) + `":{"get":{}}}}`, "/" + strings.Repeat("b", 2000)},
		{"a template of 100000 alternations", `{"openapi":"3.0.0","paths":{"/` + strings.Repeat("{a}/", 100000) + `":{"get":{}}}}`, strings.Repeat("/b", 1000)},
		{"a template that is not UTF-8 (YAML !!binary)", "openapi: 3.0.0\npaths:\n  ? !!binary L/8=\n  : {get: {}}\n", "/x"},
		{"a template with a lone surrogate", `{"openapi":"3.0.0","paths":{"/\ud800":{"get":{}}}}`, "/x"},
		{"a $ref loop", "openapi: 3.0.0\ncomponents:\n  securitySchemes:\n    a: {$ref: '#/components/securitySchemes/b'}\n    b: {$ref: '#/components/securitySchemes/a'}\nsecurity: [{a: []}]\npaths: {/x: {$ref: '#/paths/~1x'}}\n", "/x"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("panics: %v", r)
					}
				}()
				d, err := parseOpenAPI([]byte(c.doc))
				if err != nil {
					return
				}
				if alts, _ := d.needs("GET", c.path); alts != nil {
					_ = d.wording(*alts)
				}
			}()
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("took %v", took)
			}
		})
	}
}

// linkedReport diagnoses the request made for the attacker's server (by
// its base URL), whose answer links to spec; it fails unless spec was read.
func linkedReport(t *testing.T, spec string, request func(base string) *Request) *Report {
	t.Helper()
	srv := httptest.NewServer(&attackAPI{links: []string{`</desc>; rel="service-desc"`}, routes: map[string]http.HandlerFunc{"/desc": serveDoc(spec)}})
	defer srv.Close()
	rep, err := Run(context.Background(), request(srv.URL), Options{Timeout: 5 * time.Second, Transport: loopbackOnly})
	if err != nil {
		t.Fatal(err)
	}
	if rep.APIDescription == "" {
		t.Fatal("no description read")
	}
	return rep
}

// echoSpec is a description that quotes the credential it was called
// with (the attacker has it: the call carried it) in every string the
// doctor may repeat: the version, a scheme's name, place and words, the
// scopes, the templates.
const echoSpec = `openapi: "3.0.0 SECRET"
servers: [{url: /SECRET}]
components:
  securitySchemes:
    SECRET: {type: apiKey, in: header, name: X-SECRET, description: 'prefix "SECRET"'}
    key2: {type: http, scheme: SECRET}
    auth: {type: apiKey, in: header, name: Authorization, description: 'Authorization: SECRET {key}'}
security: [{SECRET: [SECRET]}, {key2: [SECRET]}, {auth: []}]
paths:
  /v1/things: {get: {security: [{SECRET: [SECRET]}, {key2: [SECRET]}, {auth: []}]}, post: {security: [{SECRET: [SECRET]}, {key2: [SECRET]}, {auth: []}]}}
  /v1/SECRET: {get: {}}
`

// TestDescribeAttackEcho: a description that quotes the user's credential
// back — as a scheme, a header name, a scope — never makes the report (its
// text or JSON) show it, wherever the user put it.
func TestDescribeAttackEcho(t *testing.T) {
	for _, c := range []struct {
		name    string
		headers []Header
		query   string
		// userInfo goes before the host; body is sent with POST.
		userInfo, body string
	}{
		{"Bearer", []Header{{Name: "Authorization", Value: "Bearer " + attackSecret}}, "", "", ""},
		{"a bare Authorization value", []Header{{Name: "Authorization", Value: attackSecret}}, "", "", ""},
		{"an API-key header", []Header{{Name: "X-API-Key", Value: attackSecret}}, "", "", ""},
		{"a cookie", []Header{{Name: "Cookie", Value: "sid=" + attackSecret}}, "", "", ""},
		{"the query", nil, "?access_token=" + attackSecret, "", ""},
		{"a DPoP proof", []Header{{Name: "Authorization", Value: "DPoP abcdefghijklmnop"}, {Name: "DPoP", Value: attackSecret}}, "", "", ""},
		{"a token as the user info's name", nil, "", attackSecret + "@", ""},
		{"a JSON body field", nil, "", "", `{"api_key":"` + attackSecret + `"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep := linkedReport(t, strings.ReplaceAll(echoSpec, "SECRET", attackSecret), func(base string) *Request {
				req := &Request{Method: "GET", URL: strings.Replace(base, "://", "://"+c.userInfo, 1) + "/v1/things" + c.query, Headers: c.headers, Body: c.body}
				if c.body != "" {
					req.Method = "POST"
				}
				return req
			})
			var text, js bytes.Buffer
			rep.WriteText(&text, true)
			if err := rep.WriteJSON(&js); err != nil {
				t.Fatal(err)
			}
			for what, out := range map[string]string{"text": text.String(), "JSON": js.String()} {
				if strings.Contains(out, attackShort) {
					t.Errorf("the %s report shows the credential:\n%s", what, out)
				}
			}
		})
	}
}

// TestDescribeAttackControl: a description's strings cannot write to the
// user's terminal — no escape sequence, no line of its own that looks like
// the doctor's — in the text report.
func TestDescribeAttackControl(t *testing.T) {
	spec := "openapi: \"3.0.0\\e]52;c;cHduZWQ=\\a\"\n" +
		"components:\n  securitySchemes:\n    k: {type: apiKey, in: header, name: \"X-Key\\e[2J\\nOK: the request succeeded (200).\"}\n" +
		"paths:\n  /v1/things: {get: {security: [{k: [\"read\\e[31m\"]}]}}\n"
	rep := linkedReport(t, spec, func(base string) *Request {
		return &Request{Method: "GET", URL: base + "/v1/things", Headers: []Header{{Name: "Authorization", Value: "Bearer " + attackSecret}}}
	})
	var text bytes.Buffer
	rep.WriteText(&text, true)
	if strings.ContainsAny(text.String(), "\x1b\a") {
		t.Errorf("the report carries a control character from the description:\n%q", text.String())
	}
	if strings.Contains(text.String(), "\nOK: ") {
		t.Errorf("the description wrote a line of its own:\n%s", text.String())
	}
}

// TestDescribeAttackConfusion: a description cannot outrank what the
// server states specifically, nor talk the doctor out of a failure by
// claiming the call needs no credential.
func TestDescribeAttackConfusion(t *testing.T) {
	cases := []struct {
		name, spec, challenge string
		headers               []Header
		want                  Code
	}{
		{"security: [] against the server's invalid_token", "openapi: 3.0.0\npaths: {/v1/things: {get: {security: []}}}\n",
			`Bearer error="invalid_token", error_description="The access token expired"`, []Header{{Name: "Authorization", Value: "Bearer " + attackSecret}}, TokenExpired},
		{"the request's own header named as a Basic scheme", "openapi: 3.0.0\ncomponents: {securitySchemes: {X-API-Key: {type: http, scheme: basic}}}\npaths: {/v1/things: {get: {security: [{X-API-Key: []}]}}}\n",
			`Bearer error="invalid_token", error_description="The access token expired"`, []Header{{Name: "Authorization", Value: "Bearer " + attackSecret}}, TokenExpired},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if isDescFetch(r) && r.URL.Path == "/desc" {
					fmt.Fprint(w, c.spec)
					return
				}
				w.Header().Set("Link", `</desc>; rel="service-desc"`)
				w.Header().Set("WWW-Authenticate", c.challenge)
				w.WriteHeader(http.StatusUnauthorized)
			}))
			defer srv.Close()
			rep, err := Run(context.Background(), &Request{Method: "GET", URL: srv.URL + "/v1/things", Headers: c.headers},
				Options{Timeout: 5 * time.Second, Transport: loopbackOnly})
			if err != nil {
				t.Fatal(err)
			}
			if rep.APIDescription == "" {
				t.Fatal("no description read")
			}
			if rep.Top == nil || rep.Top.Code != c.want || rep.Top.Basis != Stated {
				t.Errorf("top %+v, want %s stated", rep.Top, c.want)
			}
		})
	}
}

// TestDescribeAttackCommand: the corrected command a finding offers
// ("try:") is run by the user as it is; a description's scheme or header
// name built as shell code — a command substitution, a backquote, a quote
// that closes the doctor's — must stay text when a POSIX shell runs it.
func TestDescribeAttackCommand(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no POSIX shell")
	}
	cases := []struct {
		name, spec string
		headers    []Header
		want       Code
	}{
		{"an http scheme that substitutes a command", "openapi: 3.0.0\ncomponents: {securitySchemes: {b: {type: http, scheme: '$(>pwned)'}}}\npaths: {/v1/things: {get: {security: [{b: []}]}}}\n",
			[]Header{{Name: "Authorization", Value: "Token " + attackSecret}}, SchemeMismatch},
		{"an http scheme in backquotes", "openapi: 3.0.0\ncomponents: {securitySchemes: {b: {type: http, scheme: '`>pwned`'}}}\npaths: {/v1/things: {get: {security: [{b: []}]}}}\n",
			[]Header{{Name: "Authorization", Value: "Token " + attackSecret}}, SchemeMismatch},
		{"a header name that substitutes a command", "openapi: 3.0.0\ncomponents: {securitySchemes: {k: {type: apiKey, in: header, name: 'X-Api-Key$(>pwned)'}}}\npaths: {/v1/things: {get: {security: [{k: []}]}}}\n",
			[]Header{{Name: "Authorization", Value: "Bearer " + attackSecret}}, CredentialWrongHeader},
		{"a header name that closes the quote", "openapi: 3.0.0\ncomponents: {securitySchemes: {k: {type: apiKey, in: header, name: 'X-Api-Key\";>pwned;\"'}}}\npaths: {/v1/things: {get: {security: [{k: []}]}}}\n",
			[]Header{{Name: "Authorization", Value: "Bearer " + attackSecret}}, CredentialWrongHeader},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := &attackAPI{links: []string{`</desc>; rel="service-desc"`}, routes: map[string]http.HandlerFunc{"/desc": serveDoc(c.spec)}}
			srv := httptest.NewServer(a)
			defer srv.Close()
			rep, err := Run(context.Background(), &Request{Method: "GET", URL: srv.URL + "/v1/things", Headers: c.headers},
				Options{Timeout: 5 * time.Second, Transport: loopbackOnly})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Top == nil || rep.Top.Code != c.want || rep.Top.Command == "" {
				t.Fatalf("top %+v, want %s with a command", rep.Top, c.want)
			}
			dir := t.TempDir()
			run := exec.Command(sh, "-c", "curl() { :; }; "+rep.Top.Command)
			run.Dir, run.Env = dir, []string{"PATH=/usr/bin:/bin"}
			out, _ := run.CombinedOutput()
			if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
				t.Errorf("running the offered command ran the description's code:\n%s\n%s", rep.Top.Command, out)
			}
		})
	}
}

// TestDescribeAttackYAMLMemory: a description at the largest size read
// (16 MiB, a --openapi URL on the attacker's host) written as YAML of
// tiny items cost the YAML decoder's node tree — measured 1.8 GiB
// allocated and 6.6 s — where the same in JSON costs a fraction; such a
// description is refused before the decoder sees it (maxYAMLItems).
func TestDescribeAttackYAMLMemory(t *testing.T) {
	for _, doc := range []string{
		"openapi: 3.0.0\nx: [" + strings.Repeat("1,", maxDescBytes/2-20) + "1]\n",
		"openapi: 3.0.0\nx:\n" + strings.Repeat("- 1\n", maxDescBytes/4-8),
		`{"openapi": 3.0, "x": [` + strings.Repeat("1,", maxDescBytes/2-20) + "1]}", // JSON encoding/json refuses: read as YAML
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := parseOpenAPI([]byte(doc))
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 128<<20 {
			t.Errorf("reading %d bytes of YAML allocated %d MiB (err %v)", len(doc), alloc>>20, err)
		}
		if err == nil {
			t.Errorf("a YAML description of %d bytes of tiny items was read", len(doc))
		}
	}
}

// TestDescribeAttackLongStrings: a description's strings — its version, a
// scheme's name and header, a scope, a template — are the server's; the
// longest it writes cannot flood the report.
func TestDescribeAttackLongStrings(t *testing.T) {
	long, key := strings.Repeat("w", 200000), strings.Repeat("k", 1000) // YAML keys are at most 1024 long
	spec := fmt.Sprintf("openapi: \"3.0.0%[1]s\"\ncomponents:\n  securitySchemes:\n    %[2]s: {type: apiKey, in: header, name: X-Key%[1]s}\n"+
		"paths:\n  /v1/things: {get: {security: [{%[2]s: [read%[1]s]}]}}\n", long, key)
	rep := linkedReport(t, spec, func(base string) *Request {
		return &Request{Method: "GET", URL: base + "/v1/things", Headers: []Header{{Name: "Authorization", Value: "Bearer " + attackSecret}}}
	})
	var text bytes.Buffer
	rep.WriteText(&text, true)
	if text.Len() > 32<<10 {
		t.Errorf("the report is %d bytes long", text.Len())
	}
}

// TestDescribeAttackNote: a description named with --openapi that cannot
// be read is a note; the parser's error quotes the document, which is the
// server's, and must not bring its control characters along.
func TestDescribeAttackNote(t *testing.T) {
	a := &attackAPI{routes: map[string]http.HandlerFunc{"/desc": serveDoc("openapi: 3.0.0\nsecurity: \"\\e[2J\\e]0;x\\a\"\n")}}
	srv := httptest.NewServer(a)
	defer srv.Close()
	req := &Request{Method: "GET", URL: srv.URL + "/v1/things", Headers: []Header{{Name: "Authorization", Value: "Bearer " + attackSecret}}}
	rep, err := Run(context.Background(), req, Options{Timeout: 5 * time.Second, Transport: loopbackOnly, OpenAPI: srv.URL + "/desc"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Notes) == 0 {
		t.Fatal("no note that the description could not be read")
	}
	var text bytes.Buffer
	rep.WriteText(&text, true)
	if strings.ContainsAny(text.String(), "\x1b\a") {
		t.Errorf("the report carries a control character from the description:\n%q", text.String())
	}
}
