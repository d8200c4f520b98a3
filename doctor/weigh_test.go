package doctor

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestWeighStatements: what one answer states is weighed statement by
// statement, over several services' shapes: a string of several messages
// by its parts, a refusal of permission that names nothing lacking below
// a statement that the credential is invalid, a named lack above it.
func TestWeighStatements(t *testing.T) {
	tests := []struct {
		name string
		says []string
		want Code
	}{
		{"one string: a permission refusal, then the key is invalid (Discourse)",
			[]string{"You are not permitted to view the requested resource. The API username or key is invalid."}, CredentialsRejected},
		{"two strings: not authorized to perform, invalid token",
			[]string{"You are not authorized to perform this operation", "Invalid token"}, CredentialsRejected},
		{"a refusal naming the scope it lacks outranks a generic rejection (Gitea)",
			[]string{"Invalid token", "token does not have at least one of required scope(s): [read:repository]"}, InsufficientScope},
		{"a permission refusal alone is read",
			[]string{"Forbidden", "You are not permitted to perform this action."}, InsufficientScope},
		{"lines of a plain-text body, the generic first",
			[]string{"Unauthorized\nYour IP address 203.0.113.5 is not in the allow list"}, ClientIPNotAllowed},
		{"semicolon-separated: generic, then the expiry (QuickBooks)",
			[]string{"message=AuthenticationFailed; errorCode=003200; statusCode=401", "Token expired: ABAEAAB4c2lnIjoiMjAyNi0"}, TokenExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s ServerSays
			for _, text := range tt.says {
				s.Statements = append(s.Statements, statementsOf("body message", text)...)
			}
			st, ok := s.statedCause()
			if !ok || st.code != tt.want {
				t.Errorf("read %q (%v), want %s", st.code, st.says, tt.want)
			}
		})
	}
}

// TestRefusedAs: a statement that asks for a valid credential, said while
// one was sent, refuses the one sent (as the same words with "invalid"
// would); one that says a valid one is missing does not.
func TestRefusedAs(t *testing.T) {
	tests := []struct {
		text string
		want Code
	}{
		{"Authentication required. Please supply a valid API Access Token: https://buildkite.com/docs/apis/rest-api#authentication", CredentialsRejected},
		{"Forbidden - a valid `x-typesense-api-key` header must be sent.", CredentialUnknown},
		{"The request requires a valid access token set in the Authorization request header.", CredentialsRejected},
		{"You must provide a valid API key", CredentialUnknown},
		{"You have not provided a valid API Key.", CredentialUnknown},
		{"A valid authorisation token is missing", ""},
		{"Authentication required", ""},
		{"User is not authenticated", ""},
		{"The token is not valid", ""},
	}
	for _, tt := range tests {
		if got := refusedAs(ServerSays{Statements: []Statement{{Text: tt.text}}}); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.text, got, tt.want)
		}
	}
}

// TestVendorErrorHeaders: a vendor's own error header is read as a
// statement (Mashery, Kong, a gateway's X-…-Auth-Reason); other X-
// headers are not, and at most four are kept.
func TestVendorErrorHeaders(t *testing.T) {
	h := http.Header{}
	h.Set("X-Mashery-Error-Code", "ERR_403_DEVELOPER_INACTIVE")
	h.Set("X-Kong-Error-Message", "No API key found in request")
	h.Set("X-Acme-Auth-Reason", "key revoked")
	h.Set("X-Request-Id", "3f1e2d4c")
	h.Set("X-Error-Code", "listed already")
	got := vendorErrorHeaders(h)
	if len(got) != 3 {
		t.Fatalf("read %v, want the three vendor error headers", got)
	}
	s := readSays(&answer{status: 403, header: h})
	st, ok := s.statedCause()
	if !ok || st.code != CredentialRevoked && st.code != CredentialsMissing {
		t.Errorf("stated %v %v", st, ok)
	}
	for i := range 10 {
		h.Set("X-Vendor"+string(rune('a'+i))+"-Error", "x")
	}
	if got := vendorErrorHeaders(h); len(got) != 4 {
		t.Errorf("%d vendor headers kept, want at most 4", len(got))
	}
}

// TestOfflineFormatOutranksGeneric: a malformed header proven from the
// request outranks the server's generic statements (their consequence),
// not a statement naming another cause, nor another proof.
func TestOfflineFormatOutranksGeneric(t *testing.T) {
	format := Finding{Code: HeaderFormat, Status: Fail, Basis: Proven, Title: "a scheme word inside an API-key header"}
	tests := []struct {
		name  string
		other Finding
		first Code
	}{
		{"generic invalid api key", Finding{Code: CredentialUnknown, Status: Fail, Basis: Stated}, HeaderFormat},
		{"generic rejection", Finding{Code: CredentialsRejected, Status: Fail, Basis: Stated}, HeaderFormat},
		{"an expiry the server states", Finding{Code: TokenExpired, Status: Fail, Basis: Stated}, TokenExpired},
		{"a redirect to a login page, proven", Finding{Code: RedirectedToLogin, Status: Fail, Basis: Proven}, RedirectedToLogin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := []Finding{tt.other, format}
			rank(fs)
			if fs[0].Code != tt.first {
				t.Errorf("first %s, want %s", fs[0].Code, tt.first)
			}
		})
	}
}

// TestCredentialHeaderNames: the headers that carry a credential, by
// their names' words, across services' spellings — and those that do not.
func TestCredentialHeaderNames(t *testing.T) {
	for name, want := range map[string]bool{
		"Authorization": true, "X-Api-Key": true, "X-TYPESENSE-API-KEY": true, "PRIVATE-TOKEN": true,
		"X-FTL-SID": true, "X-Session-Id": true, "X-Auth-User": true, "X-Auth-Key": true, "X-Plex-Token": true,
		"Ocp-Apim-Subscription-Key": true, "X-JWT-Assertion": true, "X-Password": true,
		"X-Key": true, "Fastly-Key": true, "X-Partner-Key": true,
		"Content-Type": false, "Accept": false, "X-Request-Id": false, "Idempotency-Key": false, "Sec-WebSocket-Key": false, "X-Cache-Key": false, "User-Agent": false, "X-Authored-By": false,
	} {
		if got := isCredentialHeader(name); got != want {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
}

// TestXMLAttributes: an XML answer that puts its reason in an attribute
// (GeoNames' <status message="…"/>) is read, and its element text too.
func TestXMLAttributes(t *testing.T) {
	tests := []struct {
		body string
		want Code
	}{
		{`<?xml version="1.0"?><geonames><status message="the daily limit of 20000 credits for demo has been exceeded." value="18"/></geonames>`, TooManyFailures},
		{`<response><error code="invalid_key" message="Invalid API key"/></response>`, CredentialUnknown},
		{`<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>`, TokenExpired},
	}
	for _, tt := range tests {
		s := readSays(&answer{status: 200, header: http.Header{"Content-Type": {"text/xml"}}, body: []byte(tt.body)})
		if st, ok := s.statedCause(); !ok || st.code != tt.want {
			t.Errorf("%s: read %v, want %s", tt.body, st, tt.want)
		}
	}
}

// TestHTMLBlocks: a page is read as its blocks of text, whatever markup
// sits inside them, entities decoded, scripts and styles left out —
// over the shapes of servers' and frameworks' error pages.
func TestHTMLBlocks(t *testing.T) {
	tests := []struct {
		name, page string
		want       Code
	}{
		{"inline markup inside the paragraph",
			`<html><head><title>403 Forbidden</title></head><body><h1>Forbidden</h1><p>Your IP address <strong>203.0.113.5</strong> has been <b>blocked</b> by the administrator.</p></body></html>`, ClientIPNotAllowed},
		{"entities",
			`<html><body><div class="error"><span>Error:</span> The token you provided has expired &amp; can&#39;t be used.</div></body></html>`, TokenExpired},
		{"script and style are not text",
			`<html><head><style>p{color:red}</style><script>var msg="Your session expired";</script></head><body><p>Access denied</p><p>The API key you supplied is not valid.</p></body></html>`, CredentialUnknown},
		{"nav before the message",
			`<!DOCTYPE html><html><body><nav><ul><li><a href="/">Home</a></li><li><a href="/docs">Docs</a></li></ul></nav>` + strings.Repeat(`<div><span>menu</span></div>`, 20) + `<main><p>Two-factor authentication required: send the code in the X-OTP header.</p></main></body></html>`, OTPRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := readSays(&answer{status: 403, header: http.Header{"Content-Type": {"text/html"}}, body: []byte(tt.page)})
			if st, ok := s.statedCause(); !ok || st.code != tt.want {
				t.Errorf("read %v, want %s (statements %v)", st, tt.want, s.Statements)
			}
		})
	}
	if n := len(htmlBlocks(strings.Repeat("<p>x y</p>", 500))); n > maxHTMLBlocks {
		t.Errorf("%d blocks kept, want at most %d", n, maxHTMLBlocks)
	}
}

// TestStatusInBody: a 2xx whose JSON states its own failing status or
// error number is a failure read as that status; one that states success
// is a success.
func TestStatusInBody(t *testing.T) {
	tests := []struct {
		body      string
		succeeded bool
		top       Code
	}{
		{`{"code":401,"message":"Unauthorized"}`, false, CredentialsRejected},
		{`{"status":"403","msg":"Forbidden"}`, false, Forbidden},
		{`{"statusCode":401,"error":"Unauthorized","message":"Missing authentication"}`, false, SchemeMismatch},
		{`{"errcode":40001,"errmsg":"invalid credential, access_token is invalid or not latest"}`, false, CredentialsRejected},
		{`{"code":200,"data":{"items":[]}}`, true, RequestSucceeded},
		{`{"errcode":0,"errmsg":"ok"}`, true, RequestSucceeded},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			rep := diagnoseJSON(t, 200, tt.body)
			if rep.Succeeded != tt.succeeded || rep.Top == nil || rep.Top.Code != tt.top {
				t.Errorf("succeeded %v, top %v; want %v, %s", rep.Succeeded, rep.Top, tt.succeeded, tt.top)
			}
		})
	}
}

// TestMissingCredentialHeaderNamed: an answer that says a credential's
// header is missing ("Missing x-api-key header", "header X-Auth-Token is
// required"), while the credential was sent elsewhere, says where it goes;
// a generic "authentication headers" or a companion header does not.
func TestMissingCredentialHeaderNamed(t *testing.T) {
	tests := []struct {
		body string
		want Code
	}{
		{`{"message":"Missing x-api-key header"}`, CredentialWrongHeader},
		{`{"error":"header X-Auth-Token is required"}`, CredentialWrongHeader},
		{`{"detail":"No 'apikey' request header"}`, CredentialWrongHeader},
		{"{\"message\": \"Forbidden - a valid `x-typesense-api-key` header must be sent.\"}", CredentialWrongHeader},
		{`{"errors":[{"detail":"The required authentication headers were either invalid or not included in the request."}]}`, CredentialsRejected},
		{`{"message":"Missing Notion-Version header"}`, CompanionHeaderMissing},
		{`{"message":"Pass the API key in the header X-Api-Key"}`, CredentialWrongHeader},
		{`{"error":"unauthorized","hint":"expected header: X-Auth-Token"}`, CredentialWrongHeader},
		// A header mentioned beside a cause the answer names is not the point.
		{`{"message":"This endpoint requires a server token in the X-Server-Token header"}`, WrongTokenKind},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			rep := diagnoseJSON(t, 401, tt.body)
			if rep.Top == nil || rep.Top.Code != tt.want {
				t.Errorf("top %v, want %s", rep.Top, tt.want)
			}
		})
	}
}

// TestProxyWantsCredentials: a 407 with Proxy-Authenticate, when no
// Proxy-Authorization was sent, is the proxy's credentials missing, not
// the API's credential rejected.
func TestProxyWantsCredentials(t *testing.T) {
	url := serve(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Proxy-Authenticate", `Basic realm="corp proxy"`)
		w.WriteHeader(407)
	})
	rep := run(t, get(url+"/v1/items", "Authorization", "Bearer 3f1e2d4c5b6a79881726354a5b6c7d8e"), Options{})
	if rep.Top == nil || rep.Top.Code != CredentialsMissing || !strings.Contains(rep.Top.Title, "proxy") {
		t.Errorf("top %v, want the proxy's credentials missing", rep.Top)
	}
}

// diagnoseJSON runs the doctor, with a Bearer token, against a server
// that answers status and a JSON body.
func diagnoseJSON(t *testing.T, status int, body string) *Report {
	url := serve(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(body))
	})
	return run(t, get(url+"/v1/items", "Authorization", "Bearer 3f1e2d4c5b6a79881726354a5b6c7d8e"), Options{})
}

// TestStatedCauseOutranksServerFault: a 500 whose words name a cause is
// a refusal the server mislabels; a 5xx that names none, or a gateway's
// 502, is the server's fault.
func TestStatedCauseOutranksServerFault(t *testing.T) {
	tests := []struct {
		status int
		body   string
		want   Code
	}{
		{500, `{"error":"Account locked after too many failed login attempts"}`, AccountLocked},
		{500, `{"message":"Token is not valid yet"}`, TokenNotYetValid},
		{500, `{"message":"Internal Server Error"}`, ServerFault},
		{500, `{"message":"Invalid token"}`, ServerFault},
		{502, `{"message":"Account locked"}`, ServerFault},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			if rep := diagnoseJSON(t, tt.status, tt.body); rep.Top == nil || rep.Top.Code != tt.want {
				t.Errorf("top %v, want %s", rep.Top, tt.want)
			}
		})
	}
}

// TestSchemeNamedInWords: an answer that names the scheme it takes in
// words ("expects a Token credential", "only Basic authentication is
// accepted") against another scheme sent is a scheme mismatch.
func TestSchemeNamedInWords(t *testing.T) {
	for _, body := range []string{
		`{"message":"This API only accepts Token authentication"}`,
		`{"error":"only Basic auth is supported"}`,
		`{"detail":"The Authorization header must be Token <key>"}`,
	} {
		t.Run(body, func(t *testing.T) {
			if rep := diagnoseJSON(t, 401, body); rep.Top == nil || rep.Top.Code != SchemeMismatch {
				t.Errorf("top %v, want %s", rep.Top, SchemeMismatch)
			}
		})
	}
}

// TestChallengeSchemeExplainsWords: a challenge that offers other
// schemes than the one sent explains the server's generic words about
// the credential ("malformed", "invalid API key"): the scheme mismatch
// leads, with those words as its evidence.
func TestChallengeSchemeExplainsWords(t *testing.T) {
	tests := []struct {
		challenge, body string
		top             Code
	}{
		{`Basic realm="api"`, `{"message":"Malformed authorization header"}`, SchemeMismatch},
		{`ApiKey realm="api"`, `{"message":"Invalid API key"}`, SchemeMismatch},
		{`Bearer realm="api"`, `{"message":"Invalid API key"}`, CredentialUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.challenge+" "+tt.body, func(t *testing.T) {
			url := serve(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("WWW-Authenticate", tt.challenge)
				w.WriteHeader(401)
				w.Write([]byte(tt.body))
			})
			rep := run(t, get(url+"/v1/items", "Authorization", "Bearer 3f1e2d4c5b6a79881726354a5b6c7d8e"), Options{})
			if rep.Top == nil || rep.Top.Code != tt.top || rep.Top.Basis != Stated && tt.top == SchemeMismatch {
				t.Errorf("top %+v, want %s stated", rep.Top, tt.top)
			}
		})
	}
}

// TestMillisecondsExplainExpiry: an exp (or iat) in milliseconds is
// proven offline; a server that says the token expired or is not yet
// valid says its consequence, and the proof leads with its words.
func TestMillisecondsExplainExpiry(t *testing.T) {
	for _, body := range []string{`{"message":"Token has expired"}`, `{"message":"Token not yet valid"}`, `{"message":"Unauthorized"}`} {
		t.Run(body, func(t *testing.T) {
			url := serve(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(401)
				w.Write([]byte(body))
			})
			tok := mintCorpusJWT(t, map[string]any{"sub": "u1", "iat": 1767225600000, "exp": 1767229200000}, time.Now())
			rep := run(t, get(url+"/v1/items", "Authorization", "Bearer "+tok), Options{})
			if rep.Top == nil || rep.Top.Code != TokenLifetimeTooLong {
				t.Errorf("top %+v, want %s", rep.Top, TokenLifetimeTooLong)
			}
		})
	}
}

// TestSignatureWithoutToken: "invalid signature" is a token's when a JWT
// was sent, and the request's own (an HMAC over it) when none was.
func TestSignatureWithoutToken(t *testing.T) {
	jwtToken := mintCorpusJWT(t, map[string]any{"sub": "u1", "exp": 4102444800}, time.Now())
	tests := []struct {
		header, value string
		top           Code
	}{
		{"Authorization", "Bearer " + jwtToken, TokenSignatureInvalid},
		{"X-Api-Key", "3f1e2d4c5b6a79881726354a5b6c7d8e", RequestSignatureInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			url := serve(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(401)
				w.Write([]byte(`{"error":"Invalid signature"}`))
			})
			rep := run(t, get(url+"/v1/orders", tt.header, tt.value), Options{})
			if rep.Top == nil || rep.Top.Code != tt.top {
				t.Errorf("top %+v, want %s", rep.Top, tt.top)
			}
		})
	}
}

// TestUnsetVariableFirst: a credential whose shell variable was unset
// never left the machine, so what the answer says of it ("Session
// expired", a rate limit) follows from that: the unset variable goes
// first, even before a cause the server names.
func TestUnsetVariableFirst(t *testing.T) {
	fs := []Finding{{Code: TokenExpired, Status: Fail, Basis: Stated}, {Code: TooManyFailures, Status: Fail, Basis: Stated}, {Code: VariableUnset, Status: Fail}}
	rank(fs)
	if fs[0].Code != VariableUnset {
		t.Errorf("top %s, want variable_unset", fs[0].Code)
	}
}
