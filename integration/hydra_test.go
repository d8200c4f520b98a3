package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/internal/eventually"
	"github.com/authgate/authgate/internal/freeport"
	"github.com/authgate/authgate/internal/gatewaytest"
	"github.com/authgate/authgate/internal/logtest"
	"github.com/authgate/authgate/reason"
)

// The identity-provider tests run Ory Hydra v2 (pinned in hydra/go.mod, a
// module of its own so that Hydra stays out of authgate's dependency
// graph), built once per test run with its in-memory store (-tags sqlite,
// DSN=memory).
var hydraBuild struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// hydraBinary builds Hydra, or skips (fails under CI) when it cannot.
func hydraBinary(t *testing.T) string {
	t.Helper()
	hydraBuild.once.Do(func() {
		dir, err := filepath.Abs("hydra")
		if err != nil {
			hydraBuild.err = err
			return
		}
		hydraBuild.path = filepath.Join(os.TempDir(), "authgate-test-hydra", "hydra")
		cmd := exec.Command("go", "build", "-tags", "sqlite", "-o", hydraBuild.path, "github.com/ory/hydra/v2")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1", "GOWORK=off")
		hydraBuild.out, hydraBuild.err = cmd.CombinedOutput()
	})
	if hydraBuild.err != nil {
		msg := fmt.Sprintf("building Ory Hydra (integration/hydra) failed: %v\n%s", hydraBuild.err, hydraBuild.out)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg + "\n(it needs the Go module proxy and a C compiler; CI must run this test)")
	}
	return hydraBuild.path
}

// hydra is a running Ory Hydra: its public (OAuth 2.0, OpenID) and admin
// (clients, introspection) listeners.
type hydra struct {
	t             *testing.T
	public, admin string
	proc          *freeport.Process
	log           *logtest.Buffer
}

// startHydra runs Hydra on two loopback ports until the test ends; env
// adds settings (URLS_LOGIN=…).
func startHydra(t *testing.T, env ...string) *hydra {
	bin := hydraBinary(t)
	h := &hydra{t: t}
	h.proc = freeport.Start(t, freeport.Child{
		What: "Hydra",
		Command: func(free func() string) *exec.Cmd {
			pub, adm := free(), free()
			h.public, h.admin, h.log = "http://"+pub, "http://"+adm, &logtest.Buffer{}
			_, pubPort, _ := net.SplitHostPort(pub)
			_, admPort, _ := net.SplitHostPort(adm)
			cmd := exec.Command(bin, "serve", "all", "--dev", "--sqa-opt-out")
			cmd.Env = append(os.Environ(), "DSN=memory", "URLS_SELF_ISSUER="+h.public, "SECRETS_SYSTEM=authgate-integration-secret-0123456789",
				"SERVE_PUBLIC_PORT="+pubPort, "SERVE_ADMIN_PORT="+admPort, "SERVE_PUBLIC_HOST=127.0.0.1", "SERVE_ADMIN_HOST=127.0.0.1",
				"LOG_LEVEL=warn", "TTL_ACCESS_TOKEN=1h")
			cmd.Env = append(cmd.Env, env...)
			cmd.Stdout, cmd.Stderr = h.log, h.log
			return cmd
		},
		Output: func() string { return h.log.String() },
		// The public listener names this Hydra's issuer (another Hydra on
		// the port would name its own) and publishes signing keys, which
		// Hydra makes at the first ask (slow on a loaded machine: longer
		// than a gateway's key-set fetch may wait); the admin listener
		// says it is ready.
		Ready: func() bool {
			return strings.TrimSuffix(h.issuer(), "/") == h.public && h.keys() > 0 && status(h.admin+"/health/ready") == http.StatusOK
		},
	})
	return h
}

// probe asks whether Hydra is ready; a listener that takes the
// connection and never answers is not.
var probe = &http.Client{Timeout: 30 * time.Second}

// issuer is the issuer the public listener's OpenID configuration names
// ("" without an answer).
func (h *hydra) issuer() string {
	resp, err := probe.Get(h.public + "/.well-known/openid-configuration")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var c struct {
		Issuer string `json:"issuer"`
	}
	json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&c)
	return c.Issuer
}

// keys is how many keys the public listener's key set holds (0 without
// an answer).
func (h *hydra) keys() int {
	resp, err := probe.Get(h.public + "/.well-known/jwks.json")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set)
	return len(set.Keys)
}

// status is the status of a GET of url (0 without an answer).
func status(url string) int {
	resp, err := probe.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// stop ends Hydra (the provider going down).
func (h *hydra) stop() {
	h.proc.Cmd.Process.Kill()
	h.proc.Wait()
}

// client registers an OAuth 2.0 client for client_credentials whose access
// tokens are JWTs or opaque ("jwt", "opaque"), for audience.
func (h *hydra) client(strategy, audience string) (id, secret string) {
	h.t.Helper()
	secret = "secret-" + strategy + "-0123456789abcdef"
	body, _ := json.Marshal(map[string]any{"client_secret": secret, "grant_types": []string{"client_credentials"}, "scope": "read write",
		"audience": []string{audience}, "token_endpoint_auth_method": "client_secret_basic", "access_token_strategy": strategy})
	resp, err := http.Post(h.admin+"/admin/clients", "application/json", bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct {
		ClientID string `json:"client_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || resp.StatusCode != http.StatusCreated || c.ClientID == "" {
		h.t.Fatalf("creating a client at Hydra: %d %v", resp.StatusCode, err)
	}
	return c.ClientID, secret
}

// form posts an OAuth form with client Basic authentication.
func form(t *testing.T, endpoint, id, secret string, values url.Values) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", endpoint, strings.NewReader(values.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body
}

// token gets an access token by client_credentials at tokenEndpoint.
func accessToken(t *testing.T, tokenEndpoint, id, secret, scope, audience string) string {
	t.Helper()
	status, body := form(t, tokenEndpoint, id, secret, url.Values{"grant_type": {"client_credentials"}, "scope": {scope}, "audience": {audience}})
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(body, &tok) != nil || status != 200 || tok.AccessToken == "" {
		t.Fatalf("client_credentials at %s: %d %s", tokenEndpoint, status, body)
	}
	return tok.AccessToken
}

// answer is what the gateway said to one request.
type answer struct {
	status     int
	reason     string
	challenges []string
	// claimClient is the X-Authgate-Claim-Client the upstream received.
	claimClient []string
}

const hydraAudience = "https://api.authgate.test"

// hydraGateway starts authgate with testdata/hydra.yaml (the recipe in
// docs/identity-providers.md) in front of an upstream that records the
// claim header, trusting Hydra at issuer.
func hydraGateway(t *testing.T, h *hydra, issuer, jwtClient string, cacheTTL time.Duration, introspectJWTs bool) (string, func(method, path, token string) answer) {
	up, seen := recordingUpstream(t, "X-Authgate-Claim-Client")
	b, err := os.ReadFile(filepath.Join("testdata", "hydra.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	if introspectJWTs {
		doc = strings.Replace(doc, "      cache_ttl: CACHE_TTL\n", "      cache_ttl: CACHE_TTL\n      jwts: true\n", 1)
	}
	addr := gatewaytest.Start(t, strings.NewReplacer("HYDRA_PUBLIC", issuer, "HYDRA_ADMIN", h.admin, "UPSTREAM", up,
		"CLIENT_ID", jwtClient, "AUDIENCE", hydraAudience, "CACHE_TTL", cacheTTL.String()).Replace(doc))
	return addr, func(method, path, token string) answer {
		t.Helper()
		seen()
		req, _ := http.NewRequest(method, "http://"+addr+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p api.Problem
		json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&p)
		return answer{status: resp.StatusCode, reason: p.Reason, challenges: resp.Header.Values("WWW-Authenticate"), claimClient: seen()}
	}
}

// TestHydra runs authgate against a real OpenID provider: discovery (no
// key source configured), Hydra's JWT access tokens verified locally,
// its opaque tokens introspected (RFC 7662), revocation at the provider
// (RFC 7009) seen after the introspection cache bound, claims from either
// kind to rules and headers, RFC 9728 metadata that leads a client to the
// provider, and the provider going down: cached keys keep JWTs working,
// opaque tokens are 503, never 401.
func TestHydra(t *testing.T) {
	h := startHydra(t)
	jwtID, jwtSecret := h.client("jwt", hydraAudience)
	opaqueID, opaqueSecret := h.client("opaque", hydraAudience)
	otherID, otherSecret := h.client("jwt", "https://other.test")
	tokenURL := h.public + "/oauth2/token"
	const cacheTTL = 2 * time.Second
	addr, call := hydraGateway(t, h, h.public, jwtID, cacheTTL, false)

	jwtRead := accessToken(t, tokenURL, jwtID, jwtSecret, "read", hydraAudience)
	opaqueRead := accessToken(t, tokenURL, opaqueID, opaqueSecret, "read", hydraAudience)
	if strings.Count(jwtRead, ".") != 2 || strings.Count(opaqueRead, ".") == 2 {
		t.Fatalf("Hydra's token kinds: jwt %d dots, opaque %d", strings.Count(jwtRead, "."), strings.Count(opaqueRead, "."))
	}
	cases := []struct {
		name         string
		method, path string
		token        string
		status       int
		reason       reason.Code
		claimClient  string
	}{
		{"JWT, scope read", "GET", "/v1/data", jwtRead, 200, "", jwtID},
		{"JWT, no scope write", "POST", "/v1/data", jwtRead, 403, reason.InsufficientScope, ""},
		{"JWT for another audience", "GET", "/v1/data", accessToken(t, tokenURL, otherID, otherSecret, "read", "https://other.test"), 401, reason.TokenAudienceMismatch, ""},
		{"JWT, claim rule on client_id holds", "GET", "/v1/jwt-client", jwtRead, 200, "", jwtID},
		{"opaque, introspected, scope read", "GET", "/v1/data", opaqueRead, 200, "", opaqueID},
		{"opaque, no scope write", "POST", "/v1/data", opaqueRead, 403, reason.InsufficientScope, ""},
		{"opaque, claim rule on client_id fails", "GET", "/v1/jwt-client", opaqueRead, 403, reason.ClaimMismatch, ""},
		{"opaque token Hydra never issued", "GET", "/v1/data", "ory_at_" + strings.Repeat("A", 43) + "." + strings.Repeat("B", 43), 401, reason.TokenInactive, ""},
	}
	for _, c := range cases {
		a := call(c.method, c.path, c.token)
		if a.status != c.status || a.reason != string(c.reason) {
			t.Errorf("%s: %d %s, want %d %s", c.name, a.status, a.reason, c.status, c.reason)
		}
		if c.claimClient != "" && (len(a.claimClient) != 1 || a.claimClient[0] != c.claimClient) {
			t.Errorf("%s: the upstream got X-Authgate-Claim-Client %q, want %q", c.name, a.claimClient, c.claimClient)
		}
		if c.status == 401 && len(a.challenges) != 1 {
			t.Errorf("%s: %d challenges", c.name, len(a.challenges))
		}
	}

	// RFC 9728: a 401 names the metadata; the metadata names Hydra; Hydra's
	// discovery gives the token endpoint; its token opens the API.
	a := call("GET", "/v1/data", "")
	meta := ""
	for _, c := range a.challenges {
		if i := strings.Index(c, `resource_metadata="`); i >= 0 {
			meta = c[i+len(`resource_metadata="`):]
			meta = meta[:strings.IndexByte(meta, '"')]
		}
	}
	// The metadata's URL is the resource identifier's (RFC 9728 §3.1);
	// api.authgate.test would resolve to the gateway.
	if a.status != 401 || meta != hydraAudience+"/.well-known/oauth-protected-resource" {
		t.Fatalf("401 without credentials: %d, resource_metadata %q in %q", a.status, meta, a.challenges)
	}
	var prm struct {
		Resource             string   `json:"resource"`
		AuthorizationServers []string `json:"authorization_servers"`
	}
	getJSON(t, "http://"+addr+strings.TrimPrefix(meta, hydraAudience), &prm)
	if prm.Resource != hydraAudience || len(prm.AuthorizationServers) != 1 || prm.AuthorizationServers[0] != h.public {
		t.Fatalf("protected resource metadata: %+v", prm)
	}
	var disco struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
	}
	getJSON(t, prm.AuthorizationServers[0]+"/.well-known/openid-configuration", &disco)
	if disco.Issuer != prm.AuthorizationServers[0] {
		t.Fatalf("Hydra's discovery names issuer %q", disco.Issuer)
	}
	if a := call("GET", "/v1/data", accessToken(t, disco.TokenEndpoint, jwtID, jwtSecret, "read", prm.Resource)); a.status != 200 {
		t.Errorf("a token found through RFC 9728: %d %s", a.status, a.reason)
	}

	// RFC 7009 revocation at Hydra: refused as token_inactive once the
	// introspection cache (cache_ttl) lets go of the active answer.
	revoked := accessToken(t, tokenURL, opaqueID, opaqueSecret, "read", hydraAudience)
	if a := call("GET", "/v1/data", revoked); a.status != 200 {
		t.Fatalf("the token to revoke: %d %s", a.status, a.reason)
	}
	if status, body := form(t, h.public+"/oauth2/revoke", opaqueID, opaqueSecret, url.Values{"token": {revoked}}); status != 200 {
		t.Fatalf("revocation at Hydra: %d %s", status, body)
	}
	refusedOnce := func(do func(method, path, token string) answer, token string) func() bool {
		return func() bool {
			a := do("GET", "/v1/data", token)
			return a.status == 401 && a.reason == string(reason.TokenInactive)
		}
	}
	// Refused once the introspection cache (cache_ttl) lets go of the
	// active answer: asked until then, under a generous bound.
	eventually.True(t, cacheTTL+10*time.Second, "a token revoked at Hydra refused as token_inactive", refusedOnce(call, revoked))

	// A JWT revoked at Hydra: still valid where it is checked locally
	// (until its exp), refused once the gateway asks about JWTs too
	// (introspection.jwts).
	_, strict := hydraGateway(t, h, h.public, jwtID, cacheTTL, true)
	jwtRevoked := accessToken(t, tokenURL, jwtID, jwtSecret, "read", hydraAudience)
	if a, b := call("GET", "/v1/data", jwtRevoked), strict("GET", "/v1/data", jwtRevoked); a.status != 200 || b.status != 200 {
		t.Fatalf("the JWT to revoke: %d, with jwts: %d %s", a.status, b.status, b.reason)
	}
	if status, body := form(t, h.public+"/oauth2/revoke", jwtID, jwtSecret, url.Values{"token": {jwtRevoked}}); status != 200 {
		t.Fatalf("revoking a JWT at Hydra: %d %s", status, body)
	}
	eventually.True(t, cacheTTL+10*time.Second, "a JWT revoked at Hydra refused as token_inactive (introspection.jwts)", refusedOnce(strict, jwtRevoked))
	if a := call("GET", "/v1/data", jwtRevoked); a.status != 200 {
		t.Errorf("a JWT revoked at Hydra, checked locally only: %d %s (valid until exp)", a.status, a.reason)
	}

	// The provider goes down. Tokens issued before, never seen by the
	// gateway: the JWT is verified with the keys it holds; the opaque
	// token cannot be judged, which is the gateway's fault: 503.
	jwtLater := accessToken(t, tokenURL, jwtID, jwtSecret, "read", hydraAudience)
	opaqueLater := accessToken(t, tokenURL, opaqueID, opaqueSecret, "read", hydraAudience)
	opaqueSeen := accessToken(t, tokenURL, opaqueID, opaqueSecret, "read", hydraAudience)
	if a := call("GET", "/v1/data", opaqueSeen); a.status != 200 {
		t.Fatalf("an opaque token: %d %s", a.status, a.reason)
	}
	h.stop()
	if a := call("GET", "/v1/data", jwtLater); a.status != 200 {
		t.Errorf("a JWT with Hydra down: %d %s (the keys are cached)", a.status, a.reason)
	}
	if a := call("GET", "/v1/data", opaqueLater); a.status != 503 || a.reason != string(reason.AuthUnavailable) || len(a.challenges) != 0 {
		t.Errorf("an opaque token with Hydra down: %d %s, %d challenges", a.status, a.reason, len(a.challenges))
	}
	if a := call("GET", "/v1/data", opaqueSeen); a.status != 200 {
		t.Errorf("an opaque token whose answer is cached (for cache_ttl), Hydra down: %d %s", a.status, a.reason)
	}
}

// TestHydraIssuerIsExact: issuers are compared exactly, as RFC 8414 §3.3
// and OpenID Discovery require — configured with a trailing slash Hydra
// does not use, Hydra's tokens are refused as from an untrusted issuer
// (and the discovery document, naming the other spelling, is not
// believed), never matched by normalising.
func TestHydraIssuerIsExact(t *testing.T) {
	h := startHydra(t)
	id, secret := h.client("jwt", hydraAudience)
	_, call := hydraGateway(t, h, h.public+"/", id, time.Second, false)
	tok := accessToken(t, h.public+"/oauth2/token", id, secret, "read", hydraAudience)
	if a := call("GET", "/v1/data", tok); a.status != 401 || a.reason != string(reason.TokenIssuerUntrusted) {
		t.Errorf("issuer %s/ against Hydra's %s: %d %s", h.public, h.public, a.status, a.reason)
	}
}

func getJSON(t *testing.T, u string, into any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(into); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", u, resp.StatusCode, err)
	}
}
