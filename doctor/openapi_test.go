package doctor

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const oas3YAML = `openapi: 3.0.3
servers:
  - url: https://api.example.com/api/v3
  - url: /{basePath}
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-API-Key}
    qkey: {type: apiKey, in: query, name: api_key}
    session: {type: apiKey, in: cookie, name: sid}
    bearer: {type: http, scheme: bearer}
    basic: {type: http, scheme: Basic}
    oauth: {type: oauth2, flows: {clientCredentials: {tokenUrl: /token, scopes: {read:pets: read}}}}
    tenant: {type: apiKey, in: header, name: X-Tenant}
security:
  - bearer: []
paths:
  /pets:
    get:
      security: [{key: []}, {qkey: []}]
    post:
      security: [{oauth: [write:pets, read:pets]}]
  /pets/{petId}:
    parameters: [{name: petId, in: path}]
    get: {}
    delete:
      security: [{key: [], tenant: []}]
  /pets/mine:
    get:
      security: [{session: []}]
  /health:
    get:
      security: []
`

const swagger2JSON = `{"swagger": "2.0", "basePath": "/v1",
 "securityDefinitions": {"auth": {"type": "basic"}, "tok": {"type": "apiKey", "in": "header", "name": "Authorization"}},
 "paths": {"/users/{id}/keys": {"get": {"security": [{"auth": []}, {"tok": []}]}}, "/open": {"post": {}}}}`

// TestReadDescription reads where each operation takes its credential:
// scheme places, AND and OR requirements, path templates, server base
// paths, the document's security, 2.0 against 3.x, YAML against JSON.
func TestReadDescription(t *testing.T) {
	cases := []struct {
		name, doc, method, path string
		want                    string // desc.wording of the requirement, "<nil>" when none is said
	}{
		{"apiKey header or query (OR)", oas3YAML, "GET", "/pets", "the X-API-Key header, or the api_key query parameter"},
		{"base path of an absolute server URL", oas3YAML, "GET", "/api/v3/pets", "the X-API-Key header, or the api_key query parameter"},
		{"oauth2 with scopes", oas3YAML, "POST", "/pets", "Authorization: Bearer (an OAuth access token) with scope write:pets, read:pets"},
		{"document's security for an operation without its own", oas3YAML, "GET", "/api/v3/pets/42", "Authorization: Bearer"},
		{"two schemes together (AND)", oas3YAML, "DELETE", "/pets/42", "the X-API-Key header together with the X-Tenant header"},
		{"a literal path before a template", oas3YAML, "GET", "/pets/mine", "the sid cookie"},
		{"no security at all", oas3YAML, "GET", "/health/", "no credential"},
		{"a template's trailing slash is optional", "openapi: 3.0.0\ncomponents: {securitySchemes: {t: {type: http, scheme: bearer}}}\npaths:\n  /projects/{org}/{proj}/: {get: {security: [{t: [project:read]}]}}\n", "GET", "/projects/acme/backend", "Authorization: Bearer with scope project:read"},
		{"security: [] on an operation that documents a 401 says nothing", "openapi: 3.0.3\nsecurity: []\npaths:\n  /dags:\n    get:\n      responses:\n        401: {description: x}\n", "GET", "/dags", "<nil>"},
		{"an unknown operation takes the document's security", oas3YAML, "PUT", "/nothing", "Authorization: Bearer"},
		{"another HTTP scheme", "openapi: 3.1.0\ncomponents: {securitySchemes: {k: {type: http, scheme: negotiate}}}\nsecurity: [{k: []}]\npaths: {}\n", "GET", "/x", "Authorization: Negotiate"},
		{"swagger 2.0 basic or an Authorization key", swagger2JSON, "GET", "/v1/users/7/keys", "Authorization: Basic, or the Authorization header"},
		{"swagger 2.0 without security says nothing of the operation", swagger2JSON, "POST", "/v1/open", "<nil>"},
		{"swagger 2.0 unknown operation: any scheme", swagger2JSON, "GET", "/v2/x", "Authorization: Basic, or the Authorization header"},
		{"an Authorization key's required prefix (drf-spectacular)", `{"openapi":"3.0.3","components":{"securitySchemes":{"tokenAuth":{"type":"apiKey","in":"header","name":"Authorization","description":"Token-based authentication with required prefix \"Token\""}}},"security":[{"tokenAuth":[]}],"paths":{}}`, "GET", "/api/x/", "Authorization: Token <key>"},
		{"an Authorization key's sample in its description", "swagger: '2.0'\nsecurityDefinitions:\n  api_token: {type: apiKey, in: header, name: Authorization, description: 'Send Authorization: SSWS {apiToken}'}\nsecurity: [{api_token: []}]\npaths: {}\n", "GET", "/api/v1/users", "Authorization: SSWS <key>"},
		{"the same document as JSON", `{"openapi":"3.1.0","components":{"securitySchemes":{"k":{"type":"apiKey","in":"header","name":"Api-Key"}}},"paths":{"/a/{b}.json":{"get":{"security":[{"k":[]}]}}}}`, "GET", "/a/x.json", "the Api-Key header"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := parseOpenAPI([]byte(c.doc))
			if err != nil {
				t.Fatal(err)
			}
			alts, _ := d.needs(c.method, c.path)
			got := "<nil>"
			if alts != nil {
				got = d.wording(*alts)
			}
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestNotADescription: what is not an OpenAPI or Swagger document is
// refused, quietly.
func TestNotADescription(t *testing.T) {
	for _, doc := range []string{
		"<!doctype html><html><title>Swagger UI</title></html>",
		`{"message":"Unauthorized"}`,
		`{"openapi": 3}`,
		`{"swagger": "1.2", "apis": []}`,
		"\x00\x01garbage: [",
		"",
	} {
		if _, err := parseOpenAPI([]byte(doc)); err == nil {
			t.Errorf("%q read as a description", doc)
		}
	}
}

// FuzzOpenAPI: no document makes the reader panic, and what it reads can
// be matched and worded.
func FuzzOpenAPI(f *testing.F) {
	f.Add([]byte(oas3YAML), "GET", "/pets/1")
	f.Add([]byte(swagger2JSON), "GET", "/v1/users/1/keys")
	f.Add([]byte(`{"openapi":"3.0.0","paths":{"/{a}{b}/}{":{"get":{"security":[{"x":["y"]}]}}}}`), "GET", "/q")
	f.Fuzz(func(t *testing.T, doc []byte, method, path string) {
		d, err := parseOpenAPI(doc)
		if err != nil {
			return
		}
		if alts, _ := d.needs(method, path); alts != nil {
			_ = d.wording(*alts)
		}
	})
}

// discoveryServer answers every path with 401 except the descriptions in
// docs, and records what each request carried.
type discoveryServer struct {
	mu   sync.Mutex
	seen []*http.Request
	// refusal, when set, is the 401's body, and header its extra lines
	// (default: a bare {"message":"Unauthorized"}).
	refusal string
	header  http.Header
}

func (s *discoveryServer) handler(docs map[string]string, redirects map[string]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seen = append(s.seen, r.Clone(context.Background()))
		s.mu.Unlock()
		if to, ok := redirects[r.URL.Path]; ok {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		if doc, ok := docs[r.URL.Path]; ok {
			fmt.Fprint(w, doc)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		for k, v := range s.header {
			w.Header()[k] = v
		}
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, cmp.Or(s.refusal, `{"message":"Unauthorized"}`))
	})
}

// isDiscovery: r asks for a description at a well-known address.
func isDiscovery(r *http.Request) bool {
	for _, name := range wellKnownDescs {
		if strings.HasSuffix(r.URL.Path, "/"+name) {
			return true
		}
	}
	return false
}

// TestDiscoveryCarriesNoCredential: no request for a description carries
// any of the user's credential, in a header, the query, a cookie or the
// URL's user info, whatever place the user put it in.
func TestDiscoveryCarriesNoCredential(t *testing.T) {
	const secret = "s3cr3t-Value-0123456789"
	s := &discoveryServer{}
	srv := httptest.NewServer(s.handler(map[string]string{"/api/v2/swagger.json": swagger2JSON}, nil))
	defer srv.Close()
	cmd := fmt.Sprintf(`curl -u "me:%[1]s" -H "X-Api-Key: %[1]s" -H "X-Custom: %[1]s" -H "Cookie: sid=%[1]s" "%[2]s/api/v2/things/1?api_key=%[1]s&token=%[1]s"`, secret, srv.URL)
	req, err := ParseCurl(cmd, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), req, Options{Timeout: 5 * time.Second, Transport: loopbackOnly})
	if err != nil {
		t.Fatal(err)
	}
	if rep.APIDescription == "" {
		t.Fatalf("no description read; findings %v", rep.Findings)
	}
	discovery := 0
	for _, r := range s.seen {
		if !isDiscovery(r) {
			continue // the user's own request, the one without credentials, authgate's echo
		}
		discovery++
		if r.URL.RawQuery != "" || r.Header.Get("Cookie") != "" || r.Header.Get("Authorization") != "" {
			t.Errorf("%s carries the query %q, a cookie or Authorization", r.URL.Path, r.URL.RawQuery)
		}
		for name, vs := range r.Header {
			if strings.Contains(strings.Join(vs, " "), secret[:8]) || strings.Contains(strings.Join(vs, " "), "bWU6") {
				t.Errorf("%s carries the credential in %s", r.URL.Path, name)
			}
		}
	}
	if discovery == 0 {
		t.Fatal("no discovery request seen")
	}
}

// TestDiscoveryBudget: discovery stops at its budget, at the first
// description, never follows a redirect to another origin, and sends
// nothing with --no-discover.
func TestDiscoveryBudget(t *testing.T) {
	other := &discoveryServer{}
	elsewhere := httptest.NewServer(other.handler(map[string]string{"/openapi.json": swagger2JSON}, nil))
	defer elsewhere.Close()
	cases := []struct {
		name       string
		docs       map[string]string
		redirects  map[string]string
		noDiscover bool
		wantGETs   int // discovery requests at the server
		wantDesc   bool
		// known makes the refusal a known API's: a service of the
		// provider table (a header only GitHub sends) or an authgate
		// gateway (a reason of the catalogue), where no address is
		// guessed.
		known *discoveryServer
	}{
		{"nothing to find: the budget", nil, nil, false, discoverGETs, false, nil},
		{"stops at the first found", map[string]string{"/openapi.json": oas3YAML}, nil, false, 2, true, nil},
		{"a redirect to another origin is not followed", nil, map[string]string{"/openapi.json": elsewhere.URL + "/openapi.json"}, false, discoverGETs, false, nil},
		{"a same-origin redirect is followed", map[string]string{"/static/openapi.json": oas3YAML}, map[string]string{"/openapi.json": "/static/openapi.json"}, false, 3, true, nil},
		{"no discovery", map[string]string{"/openapi.json": oas3YAML}, nil, true, 0, false, nil},
		{"a service of the provider table answered", map[string]string{"/openapi.json": oas3YAML}, nil, false, 0, false,
			&discoveryServer{header: http.Header{"X-Github-Request-Id": {"C0DE:1234:5678:9ABC:DEF0"}}}},
		{"an authgate gateway answered", map[string]string{"/openapi.json": oas3YAML}, nil, false, 0, false,
			&discoveryServer{refusal: `{"type":"https://authgate.dev/reasons/token_expired","status":401,"reason":"token_expired","detail":"the token expired"}`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := cmp.Or(c.known, &discoveryServer{})
			srv := httptest.NewServer(s.handler(c.docs, c.redirects))
			defer srv.Close()
			other.seen = nil
			req := &Request{Method: "GET", URL: srv.URL + "/v1/things", Headers: []Header{{Name: "Authorization", Value: "Bearer abcdefghijklmnop"}}}
			rep, err := Run(context.Background(), req, Options{Timeout: 5 * time.Second, Transport: loopbackOnly, NoDiscover: c.noDiscover})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, r := range s.seen {
				if isDiscovery(r) {
					n++
				}
			}
			if n != c.wantGETs {
				t.Errorf("%d discovery requests, want %d", n, c.wantGETs)
			}
			if len(other.seen) > 0 {
				t.Errorf("another origin was asked: %s", other.seen[0].URL)
			}
			if (rep.APIDescription != "") != c.wantDesc {
				t.Errorf("description %q, want one: %v", rep.APIDescription, c.wantDesc)
			}
			// Requests that found nothing are told of, with their count.
			told := slices.ContainsFunc(rep.Notes, func(note string) bool {
				return strings.Contains(note, fmt.Sprintf("the %d addresses", c.wantGETs)) && strings.Contains(note, "--no-discover")
			})
			if want := !c.wantDesc && c.wantGETs > 0; told != want {
				t.Errorf("notes %q: a note of the %d fruitless requests: %v, want %v", rep.Notes, c.wantGETs, told, want)
			}
		})
	}
}

// TestDescriptionNoteShowsNoKey: a description named with --openapi that
// cannot be fetched is a note that shows its URL masked, not the key in it.
func TestDescriptionNoteShowsNoKey(t *testing.T) {
	s := &discoveryServer{}
	srv := httptest.NewServer(s.handler(nil, nil))
	defer srv.Close()
	req := &Request{Method: "GET", URL: srv.URL + "/pets", Headers: []Header{{Name: "Authorization", Value: "Bearer abcdefghijklmnop"}}}
	rep, err := Run(context.Background(), req, Options{Timeout: 5 * time.Second, Transport: loopbackOnly,
		OpenAPI: "http://spec.invalid/openapi.json?api_key=sp3c-k3y-0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Notes) == 0 {
		t.Fatal("no note that the description could not be read")
	}
	for _, n := range rep.Notes {
		if strings.Contains(n, "k3y-0123") {
			t.Errorf("the note shows the description URL's key: %s", n)
		}
	}
}

// TestDescriptionOption reads the description the user names, as a file
// or a URL, and one an answer links to (rel service-desc).
func TestDescriptionOption(t *testing.T) {
	file := filepath.Join(t.TempDir(), "api.yaml")
	if err := os.WriteFile(file, []byte(oas3YAML), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &discoveryServer{}
	srv := httptest.NewServer(s.handler(map[string]string{"/spec": oas3YAML}, nil))
	defer srv.Close()
	linked := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/desc" {
			fmt.Fprint(w, oas3YAML)
			return
		}
		w.Header().Set("Link", `</desc>; rel="service-desc"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer linked.Close()
	for _, c := range []struct {
		name, url, openapi, want string
		noDiscover               bool
	}{
		{"a file", srv.URL + "/pets", file, file, true},
		{"a URL", srv.URL + "/pets", srv.URL + "/spec", srv.URL + "/spec", true},
		{"a URL with a key in its query, shown masked", srv.URL + "/pets", srv.URL + "/spec?api_key=sp3c-k3y-0123456789", srv.URL + "/spec?api_key=sp3c%E2%80%A6", true},
		{"a Link header", linked.URL + "/pets", "", linked.URL + "/desc", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := &Request{Method: "GET", URL: c.url, Headers: []Header{{Name: "Authorization", Value: "Bearer abcdefghijklmnop"}}}
			rep, err := Run(context.Background(), req, Options{Timeout: 5 * time.Second, Transport: loopbackOnly, OpenAPI: c.openapi, NoDiscover: c.noDiscover})
			if err != nil {
				t.Fatal(err)
			}
			if rep.APIDescription != c.want {
				t.Errorf("description %q, want %q", rep.APIDescription, c.want)
			}
			if rep.Top == nil || rep.Top.Code != CredentialWrongHeader || rep.Top.Basis != Documented {
				t.Errorf("top %+v, want credential_wrong_header documented", rep.Top)
			}
			var text strings.Builder
			rep.WriteText(&text, false)
			if !strings.Contains(text.String(), "API description read: "+c.want+"\n") {
				t.Errorf("the text report does not name the description read:\n%s", text.String())
			}
		})
	}
}

const conclusionsSpec = `openapi: 3.1.0
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-API-Key}
    tenant: {type: apiKey, in: header, name: X-Tenant-Id}
    tokenAuth: {type: apiKey, in: header, name: Authorization, description: 'Token-based authentication with required prefix "Token"'}
    bearer: {type: http, scheme: bearer}
    oauth: {type: oauth2, flows: {clientCredentials: {tokenUrl: /token, scopes: {reports:read: read}}}}
paths:
  /items: {get: {security: [{key: []}]}}
  /items/{id}: {delete: {security: [{key: [], tenant: []}]}}
  /me: {get: {security: [{bearer: []}]}}
  /tokens: {get: {security: [{tokenAuth: []}]}}
  /reports: {get: {security: [{oauth: [reports:read]}]}}
  /status: {get: {security: []}}
`

// TestDocumentedConclusions: what the API's description says of the
// operation called names the cause — the place, the scheme, the scheme
// that goes with the one sent, the scopes, an operation needing no
// credential — over the server's generic words, and never over its
// specific ones.
func TestDocumentedConclusions(t *testing.T) {
	cases := []struct {
		name, method, path string
		headers            []Header
		status             int
		answerHeader, body string
		want               Code
		basis              Basis
		words              string // in the top finding's title or fix
	}{
		{"Bearer where the API reads a key header", "GET", "/items", []Header{{Name: "Authorization", Value: "Bearer k3y-0123456789abcdef"}},
			401, "", `{"detail":"Unauthorized"}`, CredentialWrongHeader, Documented, "X-API-Key"},
		{"a key in the query where the API reads a header", "GET", "/items?api_key=k3y-0123456789abcdef", nil,
			401, "", `{"detail":"Unauthorized"}`, CredentialWrongHeader, Documented, "X-API-Key header"},
		{"the server's generic words do not outrank the description", "GET", "/items", []Header{{Name: "X-Key", Value: "k3y-0123456789abcdef"}},
			401, "", `{"message":"Invalid API key"}`, CredentialWrongHeader, Documented, "X-API-Key"},
		{"Token where the scheme is Bearer", "GET", "/me", []Header{{Name: "Authorization", Value: "Token k3y-0123456789abcdef"}},
			401, "", `{"detail":"Unauthorized"}`, SchemeMismatch, Documented, "Authorization: Bearer"},
		{"Bearer where the key's description requires the Token prefix", "GET", "/tokens", []Header{{Name: "Authorization", Value: "Bearer k3y-0123456789abcdef"}},
			403, "", `{"detail":"Authentication credentials were not provided."}`, SchemeMismatch, Documented, "Authorization: Token"},
		{"a raw key in Authorization where the scheme is Bearer", "GET", "/me", []Header{{Name: "Authorization", Value: "k3y-0123456789abcdef"}},
			401, "", `{"detail":"Unauthorized"}`, SchemeMismatch, Documented, "bare value"},
		{"one of two combined schemes missing", "DELETE", "/items/7", []Header{{Name: "X-API-Key", Value: "k3y-0123456789abcdef"}},
			403, "", `{"detail":"Forbidden"}`, CompanionHeaderMissing, Documented, "X-Tenant-Id"},
		{"a generic 403 on an operation that needs scopes", "GET", "/reports", []Header{{Name: "Authorization", Value: "Bearer k3y-0123456789abcdef"}},
			403, "", `{"detail":"Forbidden"}`, InsufficientScope, Documented, "reports:read"},
		{"the server's insufficient_scope on a 401 gets the documented scopes", "GET", "/reports", []Header{{Name: "Authorization", Value: "Bearer k3y-0123456789abcdef"}},
			401, `Bearer error="insufficient_scope"`, `{"detail":"Unauthorized"}`, InsufficientScope, Stated, "reports:read"},
		{"an operation that needs no credential, refused", "GET", "/status", []Header{{Name: "Authorization", Value: "Bearer k3y-0123456789abcdef"}},
			401, "", `{"detail":"Unauthorized"}`, WrongBaseURL, Documented, "needs no credential"},
		{"a guessed description without the operation says nothing of it", "GET", "/unknown", []Header{{Name: "X-Key", Value: "k3y-0123456789abcdef"}},
			401, "", `{"detail":"Unauthorized"}`, CredentialsRejected, Refused, "Check the credential"},
		{"nothing sent: the documented place in the fix", "GET", "/items", nil,
			401, "", `{"detail":"Unauthorized"}`, CredentialsMissing, Proven, "X-API-Key header"},
		{"the server's specific words outrank the description", "GET", "/items", []Header{{Name: "Authorization", Value: "Bearer k3y-0123456789abcdef"}},
			401, `Bearer error="invalid_token", error_description="The access token expired"`, `{"detail":"Unauthorized"}`, TokenExpired, Stated, "expired"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/openapi.json" {
					fmt.Fprint(w, conclusionsSpec)
					return
				}
				if c.answerHeader != "" {
					w.Header().Set("WWW-Authenticate", c.answerHeader)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(c.status)
				fmt.Fprint(w, c.body)
			}))
			defer srv.Close()
			req := &Request{Method: c.method, URL: srv.URL + c.path, Headers: c.headers}
			rep, err := Run(context.Background(), req, Options{Timeout: 5 * time.Second, Transport: loopbackOnly})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Top == nil || rep.Top.Code != c.want || rep.Top.Basis != c.basis {
				t.Fatalf("top %+v, want %s (%s)", rep.Top, c.want, c.basis)
			}
			if !strings.Contains(rep.Top.Title+" "+rep.Top.Fix, c.words) {
				t.Errorf("top finding %q / %q does not say %q", rep.Top.Title, rep.Top.Fix, c.words)
			}
		})
	}
}

// TestAuthorizationSchemes: the Authorization schemes a description
// documents come only from schemes that read Authorization — a key in a
// header of its own is not "the bare key" in Authorization — each once,
// in order, "" for a key sent bare.
func TestAuthorizationSchemes(t *testing.T) {
	d, err := parseOpenAPI([]byte(`openapi: 3.0.3
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
    key: {type: apiKey, in: header, name: X-API-Key}
    queryKey: {type: apiKey, in: query, name: api_key}
    tokenAuth: {type: apiKey, in: header, name: Authorization, description: 'Token-based authentication with required prefix "Token"'}
    rawAuth: {type: apiKey, in: header, name: authorization}
    oauth: {type: oauth2, flows: {clientCredentials: {tokenUrl: /token, scopes: {}}}}
paths: {}
`))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		names []string
		want  []string
	}{
		{[]string{"bearer", "key"}, []string{"Bearer"}},
		{[]string{"key", "queryKey", "tokenAuth"}, []string{"Token"}},
		{[]string{"rawAuth", "bearer", "oauth"}, []string{"", "Bearer"}},
		{[]string{"key", "queryKey"}, nil},
	}
	for _, c := range cases {
		var alts []requirement
		for _, n := range c.names {
			alts = append(alts, requirement{{name: n}})
		}
		if got := d.authorizationSchemes(alts); !slices.Equal(got, c.want) {
			t.Errorf("%v: %q, want %q", c.names, got, c.want)
		}
	}
	if got := authorizationWording([]string{"", "Bearer"}); got != "Authorization: the bare key or Bearer" {
		t.Errorf("wording %q", got)
	}
}

// TestDescriptionOptionUnreadable: a description named with --openapi that
// cannot be read — a missing file, one that is no description, a URL
// that answers a refusal — is a note naming it and why, and the diagnosis goes
// on without it.
func TestDescriptionOptionUnreadable(t *testing.T) {
	dir := t.TempDir()
	notSpec := filepath.Join(dir, "notes.yaml")
	if err := os.WriteFile(notSpec, []byte("not: [a spec"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &discoveryServer{}
	srv := httptest.NewServer(s.handler(nil, nil))
	defer srv.Close()
	for _, c := range []struct{ name, openapi, why string }{
		{"a missing file", filepath.Join(dir, "missing.yaml"), "no such file"},
		{"a file that is no description", notSpec, "not an OpenAPI or Swagger description"},
		{"a URL that answers with a refusal", srv.URL + "/missing.json", "status 401"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := &Request{Method: "GET", URL: srv.URL + "/pets", Headers: []Header{{Name: "Authorization", Value: "Bearer abcdefghijklmnop"}}}
			rep, err := Run(context.Background(), req, Options{Timeout: 5 * time.Second, Transport: loopbackOnly, OpenAPI: c.openapi})
			if err != nil {
				t.Fatal(err)
			}
			want := "the API description " + c.openapi + " could not be read: "
			if !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.HasPrefix(n, want) && strings.Contains(n, c.why) }) {
				t.Errorf("notes %q, want one starting %q and saying %q", rep.Notes, want, c.why)
			}
			if rep.APIDescription != "" || rep.Top == nil {
				t.Errorf("description %q, top %v", rep.APIDescription, rep.Top)
			}
		})
	}
}
