package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/authgate/authgate/credential/jwt"
)

// reply is a canned answer, copied from the public source of a case.
type reply struct {
	Status  int               `yaml:"status"`
	Headers map[string]string `yaml:"headers"`
	Body    string            `yaml:"body"`
}

// corpusCase is one real-world situation: a request as a user would paste
// it, and the server answering the way the service documents (or was
// reported) to answer.
type corpusCase struct {
	Name string `yaml:"name"`
	// Source is where the answer is documented or reported.
	Source string `yaml:"source"`
	// Provider is the provider table's row for the service, when it has
	// one: the doctor must recognise it from the answer alone.
	Provider string `yaml:"provider"`
	// Curl is the user's command; {URL} is the local server, {JWT} a
	// token minted with JWT's claims ("-1h" style times are from now).
	Curl string         `yaml:"curl"`
	JWT  map[string]any `yaml:"jwt"`
	// Answer is the reply to a request with credentials; Without the
	// reply without (default: Answer); Paths replies for other paths
	// (login pages, metadata).
	Answer  reply            `yaml:"answer"`
	Without *reply           `yaml:"without"`
	Paths   map[string]reply `yaml:"paths"`
	// OpenAPI is the description the user names with --openapi ({URL}
	// is the local server; a path of Paths serves it).
	OpenAPI string `yaml:"openapi"`
	// Want is the true cause: the code the top finding must have.
	Want Code `yaml:"want"`
}

func loadCorpus(t *testing.T) []corpusCase { return loadCases(t, "testdata/corpus", true) }

// loadCases reads the cases of every YAML file in dir. With known, every
// want must be a finding code the doctor has (the tuning corpus); the
// held-out set may name causes the doctor does not know yet.
func loadCases(t *testing.T, dir string, known bool) []corpusCase {
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	var all []corpusCase
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cases []corpusCase
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true)
		if err := dec.Decode(&cases); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range cases {
			if c.Name == "" || c.Source == "" || c.Curl == "" || c.Want == "" || c.Answer.Status == 0 {
				t.Fatalf("%s: case %q needs name, source, curl, answer.status and want", f, c.Name)
			}
			if c.Provider != "" && !slices.ContainsFunc(providers, func(p Provider) bool { return p.Name == c.Provider }) {
				t.Fatalf("%s: case %q names provider %q, which is not in the table", f, c.Name, c.Provider)
			}
			if _, ok := weight[c.Want]; known && !ok && c.Want != RequestSucceeded {
				t.Fatalf("%s: case %q wants %q, which is no finding code", f, c.Name, c.Want)
			}
		}
		all = append(all, cases...)
	}
	return all
}

// hasCredential: the request carries a credential (header or key in the
// query).
func hasCredential(r *http.Request) bool {
	for name := range r.Header {
		if isCredentialHeader(name) {
			return true
		}
	}
	q := strings.ToLower(r.URL.RawQuery)
	return strings.Contains(q, "key=") || strings.Contains(q, "token=") || strings.Contains(q, "x-amz-signature=")
}

// loopbackOnly is a transport that cannot leave the machine, so a case
// whose token names a real issuer never reaches it.
var loopbackOnly = &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, errors.New("the corpus test only talks to loopback")
	}
	return (&net.Dialer{}).DialContext(ctx, network, addr)
}}

func mintCorpusJWT(t *testing.T, claims map[string]any, now time.Time) string {
	c := map[string]any{}
	for k, v := range claims {
		if s, ok := v.(string); ok && (strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+")) {
			if d, err := time.ParseDuration(s); err == nil {
				v = now.Add(d).Unix()
			}
		}
		c[k] = v
	}
	tok, err := jwt.Sign("HS256", []byte("corpus-secret-corpus-secret-0123"), map[string]any{"typ": "JWT"}, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestCorpus runs the doctor against every situation of testdata/corpus
// and checks its top finding names the true cause: at least 95% must.
func TestCorpus(t *testing.T) {
	cases := loadCorpus(t)
	if len(cases) < 50 {
		t.Fatalf("%d corpus cases; the corpus keeps at least 50", len(cases))
	}
	right, wrong := scoreEach(t, cases, checkHeadline)
	t.Logf("%d/%d top finding correct", right, len(cases))
	for _, w := range wrong {
		t.Log("  wrong: " + w)
	}
	if right*100 < len(cases)*95 {
		t.Errorf("%d/%d top finding correct: below 95%%", right, len(cases))
	}
}

// TestDescriptionDecides: the cases of testdata/corpus/openapi.yaml are
// there for what the API's description says; without it (--no-discover,
// no --openapi) at least 8 of them are misread, with it none.
func TestDescriptionDecides(t *testing.T) {
	var cases []corpusCase
	for _, c := range loadCorpus(t) {
		if c.OpenAPI != "" || slices.ContainsFunc(mapKeys(c.Paths), func(p string) bool { return strings.Contains(p, "openapi") }) {
			cases = append(cases, c)
		}
	}
	with, wrong := scoreWith(t, cases, nil, false, time.Time{})
	blind, blindWrong := scoreWith(t, cases, nil, true, time.Time{})
	t.Logf("%d cases served with a description: %d right with it, %d without", len(cases), with, blind)
	for _, w := range blindWrong {
		t.Log("  without: " + w)
	}
	if len(cases) < 14 || with != len(cases) || len(cases)-blind < 8 {
		t.Errorf("%d cases, %d right with the description (wrong: %q), %d without: want at least 14, all, and at least 8 fewer", len(cases), with, wrong, blind)
	}
}

func mapKeys(m map[string]reply) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// scoreAt runs the doctor on each case against a local server answering
// as the case says, and counts the cases whose top finding is the true
// cause; wrong describes the others. The doctor's clock, and the Date of
// every answer that records none, stand still at at: a recorded case's
// timestamps and token times are judged as they were when it was written.
func scoreAt(t *testing.T, cases []corpusCase, at time.Time) (right int, wrong []string) {
	return scoreWith(t, cases, nil, false, at)
}

// scoreEach is scoreAt on the real clock, calling check (when not nil)
// on each report whose top finding is right.
func scoreEach(t *testing.T, cases []corpusCase, check func(*testing.T, corpusCase, *Report)) (right int, wrong []string) {
	return scoreWith(t, cases, check, false, time.Time{})
}

// scoreWith is scoreEach; with blind, the doctor reads no API description
// (no --openapi, no discovery); a non-zero at is scoreAt's clock.
func scoreWith(t *testing.T, cases []corpusCase, check func(*testing.T, corpusCase, *Report), blind bool, at time.Time) (right int, wrong []string) {
	clock := time.Now
	if !at.IsZero() {
		clock = func() time.Time { return at }
	}
	for _, c := range cases {
		var srv *httptest.Server
		srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rp := c.Answer
			if p, ok := c.Paths[r.URL.Path]; ok {
				rp = p
			} else if c.Without != nil && !hasCredential(r) {
				rp = *c.Without
			}
			w.Header().Set("Date", clock().UTC().Format(http.TimeFormat))
			for k, v := range rp.Headers {
				w.Header().Set(k, strings.ReplaceAll(v, "{URL}", srv.URL))
			}
			w.WriteHeader(rp.Status)
			fmt.Fprint(w, strings.ReplaceAll(rp.Body, "{URL}", srv.URL))
		}))
		cmd := strings.ReplaceAll(c.Curl, "{URL}", srv.URL)
		if c.JWT != nil {
			cmd = strings.ReplaceAll(cmd, "{JWT}", mintCorpusJWT(t, c.JWT, clock()))
		}
		req, err := ParseCurl(cmd, func(string) (string, bool) { return "", false })
		if err != nil {
			srv.Close()
			wrong = append(wrong, fmt.Sprintf("%s: the command does not parse: %v", c.Name, err))
			continue
		}
		opts := Options{Timeout: 5 * time.Second, Transport: loopbackOnly, OpenAPI: strings.ReplaceAll(c.OpenAPI, "{URL}", srv.URL), Now: clock}
		if blind {
			opts.OpenAPI, opts.NoDiscover = "", true
		}
		rep, err := Run(context.Background(), req, opts)
		srv.Close()
		if err != nil {
			wrong = append(wrong, fmt.Sprintf("%s: the doctor gave no report: %v", c.Name, err))
			continue
		}
		checkReport(t, c.Name, rep)
		if secrets, public := sentSecrets(req); leakedSecret(rep, secrets, public) != "" {
			t.Errorf("%s: the report shows the credential sent (or 16 characters of it)", c.Name)
		}
		if said := rep.ServerSays; c.Provider != "" && (said == nil || said.Provider != c.Provider) {
			t.Errorf("%s: provider %v, want %q", c.Name, said, c.Provider)
		}
		got := Code("(none)")
		if rep.Top != nil {
			got = rep.Top.Code
		}
		if got == c.Want {
			right++
			if check != nil {
				check(t, c, rep)
			}
			continue
		}
		var all []string
		for _, f := range rep.Findings {
			all = append(all, fmt.Sprintf("%s/%s/%s", f.Code, f.Status, f.Basis))
		}
		wrong = append(wrong, fmt.Sprintf("%s: top %s, want %s (all: %s)", c.Name, got, c.Want, strings.Join(all, ", ")))
	}
	return right, wrong
}

// checkReport checks what every report must hold: a fix on every failure,
// the most likely cause on the text report's first line, each evidence
// line once, and the top finding not repeated under "Also found".
func checkReport(t *testing.T, name string, rep *Report) {
	t.Helper()
	for _, f := range rep.Findings {
		if f.Status == Fail && f.Fix == "" {
			t.Errorf("%s: failure %s has no fix", name, f.Code)
		}
	}
	var b strings.Builder
	rep.WriteText(&b, true)
	text := b.String()
	first, _, _ := strings.Cut(text, "\n")
	if rep.Top != nil && !strings.Contains(strings.ToLower(first), strings.ToLower(strings.TrimSuffix(rep.Top.Title, "."))) {
		t.Errorf("%s: first line %q does not state the top finding %q", name, first, rep.Top.Title)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "evidence:") {
			if seen[line] {
				t.Errorf("%s: evidence printed twice: %s", name, line)
			}
			seen[line] = true
		}
	}
	if rep.Top != nil && strings.Count(text, "("+string(rep.Top.Code)+";") > 1 && rep.Top.Code != RequestSucceeded {
		n := 0
		for _, f := range rep.Findings {
			if f.Code == rep.Top.Code {
				n++
			}
		}
		if strings.Count(text, "("+string(rep.Top.Code)+";") > n {
			t.Errorf("%s: the top finding is printed again:\n%s", name, text)
		}
	}
}

// headlineWords are words of which the text report's first line must
// hold one when the top finding is the code: the cause, in words a user
// acts on, not only its category.
var headlineWords = map[Code][]string{
	CredentialsMissing:      {"no credential", "not sent", "sends no", "received no", "missing", "no authorization"},
	CredentialsRejected:     {"reject", "refuse", "wrong", "invalid", "not accepted", "bad credentials"},
	CredentialUnknown:       {"does not know", "unknown", "invalid", "not found", "incorrect", "not valid"},
	CredentialRevoked:       {"revoked", "disabled", "deactivated", "suspended", "inactive"},
	TokenExpired:            {"expired", "expir"},
	TokenNotYetValid:        {"not valid yet", "future", "before"},
	HeaderFormat:            {"malformed", "format", "space", "line break", "quote", "newline", "utf-8", "character"},
	InsufficientScope:       {"scope", "permission", "privilege", "not allowed", "role", "access"},
	Forbidden:               {"forbid", "policy", "hidden", "access", "sso", "saml", "restricted"},
	ClientIPNotAllowed:      {"ip address", "address", "allow-list", "network", "location"},
	AccountLocked:           {"locked", "captcha", "banned", "lockout"},
	OTPRequired:             {"one-time", "2fa", "otp", "two-factor"},
	WrongBaseURL:            {"base url", "region", "data centre", "endpoint", "host"},
	TokenLifetimeTooLong:    {"lifetime", "milliseconds", "future"},
	SchemeMismatch:          {"scheme", "asks for", "takes authorization with"},
	CredentialWrongHeader:   {"header", "reads", "does not read"},
	TokenAudienceMismatch:   {"aud", "audience", "meant for"},
	WrongTokenKind:          {"kind", "publishable", "refresh", "password", "token"},
	TokenIssuerMismatch:     {"issuer", "iss", "comes from"},
	RedirectedToLogin:       {"login", "sign-in"},
	TokenForOtherAPI:        {"meant for", "another api", "is sent to"},
	CompanionHeaderMissing:  {"header"},
	TokenKeyUnknown:         {"key", "kid"},
	RequestSignatureInvalid: {"signature"},
	VariableUnset:           {"variable", "unset", "empty"},
	ShellSubstitution:       {"command substitution"},
	BasicTrailingNewline:    {"newline"},
	SameWithoutCredentials:  {"same"},
	IDTokenSent:             {"id token"},
	ClockSkew:               {"clock"},
	WrongEnvironment:        {"environment", "test", "live"},
	CSRFTokenRequired:       {"csrf"},
	BasicUsernameWrong:      {"user name", "user-name"},
	PasswordIsHash:          {"hash"},
	CredentialWrapped:       {"wrapped"},
	CORSOriginDenied:        {"origin"},
}

// checkHeadline: the first line of the text report names the cause.
func checkHeadline(t *testing.T, c corpusCase, rep *Report) {
	words, ok := headlineWords[c.Want]
	if !ok {
		return
	}
	var b strings.Builder
	rep.WriteText(&b, false)
	first, _, _ := strings.Cut(strings.ToLower(b.String()), "\n")
	for _, w := range words {
		if strings.Contains(first, w) {
			return
		}
	}
	t.Errorf("%s: the first line %q does not name the cause (%s: one of %q)", c.Name, first, c.Want, words)
}
