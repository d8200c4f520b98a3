package jwt

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/internal/outbound"
	"github.com/authgate/authgate/internal/rawjson"
	"github.com/authgate/authgate/reason"
)

// Introspection asks an issuer's RFC 7662 endpoint about opaque tokens.
type Introspection struct {
	// Endpoint is the introspection URL (https; http on loopback only);
	// empty: the introspection_endpoint of the issuer's discovery
	// document.
	Endpoint string `yaml:"endpoint"`
	// ClientID and ClientSecret authenticate the gateway to the endpoint;
	// the configuration loader resolves client_secret_file.
	ClientID         string `yaml:"client_id"`
	ClientSecret     string `yaml:"client_secret"`
	ClientSecretFile string `yaml:"client_secret_file"`
	// Auth is how: basic (HTTP Basic, the default), post (in the form),
	// or private_key_jwt (RFC 7523: a client assertion signed with
	// ClientKeyFile's key, no shared secret).
	Auth string `yaml:"auth"`
	// ClientKeyFile is the PEM private key of private_key_jwt;
	// ClientKeyID, when set, is the kid of its assertions.
	ClientKeyFile string `yaml:"client_key_file"`
	ClientKeyID   string `yaml:"client_key_id"`
	// clientKey and clientAlg are the loaded key and its algorithm.
	clientKey any
	clientAlg string
	// CacheTTL bounds how long an active answer is reused (it is never
	// reused past the token's exp); default 1m. Inactive answers are
	// reused for 10 s.
	CacheTTL time.Duration `yaml:"cache_ttl"`
	// MaxConcurrent bounds requests in flight to the endpoint (default 16).
	MaxConcurrent int `yaml:"max_concurrent"`
	// JWTs asks about the issuer's JWTs too, after they verify here: a
	// JWT revoked at the provider is then refused within CacheTTL, at the
	// cost of needing the endpoint for every new JWT (503 while it is
	// down).
	JWTs bool `yaml:"jwts"`
}

// Defaults and bounds of introspection.
const (
	DefaultIntrospectionTTL = time.Minute
	inactiveTTL             = 10 * time.Second
	maxIntrospectionBytes   = 64 << 10
)

// check validates i, loads its client key and fills its defaults;
// discovers says the endpoint may come from discovery.
func (i *Introspection) check(discovers bool, readFile func(string) ([]byte, error)) error {
	if i.Auth == "private_key_jwt" {
		if i.ClientKeyFile == "" || i.ClientID == "" {
			return fieldErr("introspection.client_key_file", "private_key_jwt needs client_id and client_key_file (a PEM private key)")
		}
		data, err := readFile(i.ClientKeyFile)
		if err == nil {
			i.clientKey, i.clientAlg, err = ParsePrivateKey(data)
		}
		if err != nil {
			return fieldErr("introspection.client_key_file", "%v", err)
		}
		if strings.HasPrefix(i.clientAlg, "HS") {
			return fieldErr("introspection.client_key_file", "private_key_jwt signs with a private key (RSA, EC or Ed25519), not a secret")
		}
	}
	switch {
	case i.Endpoint == "" && !discovers:
		return fieldErr("introspection.endpoint", "give the endpoint, or let discovery name it (an issuer without a key source)")
	case i.Endpoint != "" && CheckFetchURL(i.Endpoint) != nil:
		return fieldErr("introspection.endpoint", "%v", CheckFetchURL(i.Endpoint))
	case i.Auth != "" && i.Auth != "basic" && i.Auth != "post" && i.Auth != "private_key_jwt":
		return fieldErr("introspection.auth", "%q is not one of basic, post, private_key_jwt", i.Auth)
	case i.ClientID == "" || i.ClientSecret == "" && i.Auth != "private_key_jwt":
		return fieldErr("introspection", "client_id and client_secret (or client_secret_file) are required: the endpoint authenticates its callers")
	case i.CacheTTL < 0 || i.MaxConcurrent < 0:
		return fieldErr("introspection", "cache_ttl and max_concurrent must not be negative")
	}
	if i.CacheTTL == 0 {
		i.CacheTTL = DefaultIntrospectionTTL
	}
	if i.MaxConcurrent == 0 {
		i.MaxConcurrent = 16
	}
	return nil
}

// introspector asks one issuer's endpoint, with a bounded number of
// requests in flight.
type introspector struct {
	cfg    Introspection
	issuer *Issuer
	client *http.Client
	slots  chan struct{}
	// health is the latest answer and fault, for the console.
	health struct {
		mu       sync.Mutex
		answered time.Time
		failed   time.Time
		fault    string
	}
}

// IntrospectionHealth is how an issuer's introspection endpoint has been
// answering: when it last answered, when it last failed and why.
type IntrospectionHealth struct {
	Issuer   string
	Answered time.Time
	Failed   time.Time
	Fault    string
}

// Introspections reports each introspecting issuer's endpoint health.
func (v *Verifier) Introspections() []IntrospectionHealth {
	if v == nil {
		return nil
	}
	out := make([]IntrospectionHealth, 0, len(v.introspectors))
	for _, in := range v.introspectors {
		in.health.mu.Lock()
		out = append(out, IntrospectionHealth{Issuer: in.issuer.Name, Answered: in.health.answered, Failed: in.health.failed, Fault: in.health.fault})
		in.health.mu.Unlock()
	}
	return out
}

// record notes the outcome of one introspection: a fault of the endpoint
// (auth_unavailable) or an answer.
func (in *introspector) record(now time.Time, err error) {
	in.health.mu.Lock()
	defer in.health.mu.Unlock()
	if re := reason.From(err); err != nil && re.Code == reason.AuthUnavailable {
		in.health.failed, in.health.fault = now, re.Detail
		return
	}
	in.health.answered = now
}

func newIntrospector(cfg Introspection, is *Issuer, client *http.Client) *introspector {
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	client = outbound.NoRedirects(client)
	return &introspector{cfg: cfg, issuer: is, client: client, slots: make(chan struct{}, cfg.MaxConcurrent)}
}

// answer reads an RFC 7662 response as a JWT's claims are read: exact,
// case-sensitive member names (encoding/json's struct decoding would take
// SCOPE for scope), the JWT's scope and NumericDate rules, and no member
// named twice (an answer saying active twice says two things). What it
// refuses is the endpoint's fault: the error says why, the caller answers
// 503.
func answer(body []byte) (m map[string]json.RawMessage, active bool, err error) {
	m, err = rawjson.UniqueObject(body)
	var dup *rawjson.DuplicateError
	switch {
	case errors.As(err, &dup):
		return nil, false, fmt.Errorf("the answer names the member %s twice", sanitize(dup.Name, 40))
	case err != nil:
		return nil, false, errors.New("the answer is not an RFC 7662 JSON object")
	}
	if raw, ok := m["active"]; ok {
		switch string(raw) {
		case "true":
			active = true
		case "false":
		default:
			return nil, false, errors.New("the answer's active member is not true or false")
		}
	}
	for _, name := range []string{"sub", "username", "client_id", "iss"} {
		if raw, ok := m[name]; ok {
			if _, ok := rawjson.String(raw); !ok {
				return nil, false, fmt.Errorf("the answer's %s member is not a string", name)
			}
		}
	}
	return m, active, nil
}

// member is the string member name of an answer that answer checked
// ("" when absent).
func member(m map[string]json.RawMessage, name string) string {
	s, _ := rawjson.String(m[name])
	return s
}

// introspect asks about raw: the identity of an active token, and until
// when that answer may be reused; token_inactive for an inactive one;
// auth_unavailable (503) when the endpoint does not answer properly.
func (in *introspector) introspect(ctx context.Context, raw string, now time.Time) (id credential.Identity, until time.Time, err error) {
	defer func() { in.record(now, err) }()
	endpoint := in.cfg.Endpoint
	if endpoint == "" {
		if rk, ok := in.issuer.Keys.(*RemoteKeys); ok {
			if endpoint = rk.IntrospectionEndpoint(); endpoint == "" {
				// Discovery may not have run yet: run it now.
				rk.refresh(ctx, false)
				endpoint = rk.IntrospectionEndpoint()
			}
		}
		if endpoint == "" {
			return credential.Identity{}, time.Time{}, &reason.Error{Code: reason.AuthUnavailable, RetryAfter: 5 * time.Second,
				Detail: fmt.Sprintf("issuer '%s' has no introspection endpoint yet: its discovery document names none, or could not be read", in.issuer.Name)}
		}
	}
	unavailable := func(format string, args ...any) error {
		return &reason.Error{Code: reason.AuthUnavailable, RetryAfter: 5 * time.Second,
			Detail: fmt.Sprintf("introspection at %s for issuer '%s': ", endpoint, in.issuer.Name) + fmt.Sprintf(format, args...)}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	select {
	case in.slots <- struct{}{}:
		defer func() { <-in.slots }()
	case <-ctx.Done():
		return credential.Identity{}, time.Time{}, unavailable("too many introspections in flight")
	}
	form := url.Values{"token": {raw}, "token_type_hint": {"access_token"}}
	switch in.cfg.Auth {
	case "post":
		form.Set("client_id", in.cfg.ClientID)
		form.Set("client_secret", in.cfg.ClientSecret)
	case "private_key_jwt":
		assertion, err := in.assertion(endpoint, now)
		if err != nil {
			return credential.Identity{}, time.Time{}, unavailable("signing the client assertion: %v", err)
		}
		form.Set("client_id", in.cfg.ClientID)
		form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
		form.Set("client_assertion", assertion)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return credential.Identity{}, time.Time{}, unavailable("%v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if in.cfg.Auth == "" || in.cfg.Auth == "basic" {
		req.SetBasicAuth(url.QueryEscape(in.cfg.ClientID), url.QueryEscape(in.cfg.ClientSecret))
	}
	resp, err := in.client.Do(req)
	if err != nil {
		return credential.Identity{}, time.Time{}, unavailable("no answer")
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxIntrospectionBytes+1))
	if outbound.IsRedirect(resp) {
		return credential.Identity{}, time.Time{}, unavailable("%s", outbound.Redirect(resp))
	}
	if resp.StatusCode != http.StatusOK {
		return credential.Identity{}, time.Time{}, unavailable("HTTP %d (are client_id and the secret right?)", resp.StatusCode)
	}
	if len(body) > maxIntrospectionBytes {
		return credential.Identity{}, time.Time{}, unavailable("the answer is larger than %d bytes", maxIntrospectionBytes)
	}
	claims, active, err := answer(body)
	if err != nil {
		return credential.Identity{}, time.Time{}, unavailable("%v", err)
	}
	if !active {
		return credential.Identity{}, now.Add(inactiveTTL), reason.New(reason.TokenInactive,
			"the issuer '%s' says the token is not active (expired, revoked, or never issued)", in.issuer.Name)
	}
	// The JWT's rules read the dates and scopes; what they refuse is the
	// endpoint's answer, not the client's token.
	exp, hasExp, err := numericDateOf(claims, "exp")
	if err == nil {
		_, _, err = numericDateOf(claims, "iat")
	}
	var scopes []string
	if err == nil {
		scopes, err = scopesOf(claims)
	}
	if err != nil {
		return credential.Identity{}, time.Time{}, unavailable("%s", reason.From(err).Detail)
	}
	if iss := member(claims, "iss"); iss != "" && iss != in.issuer.Issuer {
		return credential.Identity{}, now.Add(inactiveTTL), reason.New(reason.TokenIssuerUntrusted,
			"the introspected token's issuer is '%s', not '%s'", sanitize(iss, 120), in.issuer.Issuer)
	}
	if aud := claims["aud"]; len(aud) > 0 {
		auds := Audiences(aud)
		if !slices.ContainsFunc(in.issuer.Audiences, func(want string) bool { return slices.Contains(auds, want) }) {
			return credential.Identity{}, now.Add(inactiveTTL), reason.New(reason.TokenAudienceMismatch,
				"the introspected token is for %s, not this API (%s)", sanitize(strings.Join(auds, ", "), 200), strings.Join(in.issuer.Audiences, ", "))
		}
	}
	until = now.Add(in.cfg.CacheTTL)
	id = credential.Identity{Kind: "introspection", Issuer: in.issuer.Issuer, IssuerName: in.issuer.Name, Scopes: scopes,
		Subject: firstOf(member(claims, "sub"), member(claims, "username"), member(claims, "client_id"))}
	if p := credential.SubjectProblem(id.Subject); p != "" {
		// The endpoint's answer is unusable, not the client's token.
		return credential.Identity{}, time.Time{}, unavailable("the answer's subject %s", p)
	}
	if hasExp {
		id.ExpiresAt = exp
		if !now.Before(id.ExpiresAt) {
			return credential.Identity{}, now.Add(inactiveTTL), expired(now, id.ExpiresAt, 0)
		}
		if id.ExpiresAt.Before(until) {
			until = id.ExpiresAt
		}
	}
	if iat, ok, _ := numericDateOf(claims, "iat"); ok {
		id.IssuedAt = iat
	}
	// The whole answer is the identity's claims, for claim rules and
	// claim headers (roles, groups, client_id…).
	id.Claims = claims
	if id.Subject == "" {
		return credential.Identity{}, now.Add(inactiveTTL), reason.New(reason.TokenMalformed, "the introspection answer names no sub, username or client_id")
	}
	return id, until, nil
}

// assertion is an RFC 7523 client assertion for endpoint: issued by and
// about the client, for the endpoint, valid one minute, used once (jti).
func (in *introspector) assertion(endpoint string, now time.Time) (string, error) {
	jti := make([]byte, 16)
	rand.Read(jti)
	header := map[string]any{}
	if in.cfg.ClientKeyID != "" {
		header["kid"] = in.cfg.ClientKeyID
	}
	return Sign(in.cfg.clientAlg, in.cfg.clientKey, header, map[string]any{"iss": in.cfg.ClientID, "sub": in.cfg.ClientID,
		"aud": endpoint, "jti": hex.EncodeToString(jti), "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()})
}

// Audiences reads an aud claim: one string or an array of them (RFC 7519
// §4.1.3); anything else is no audience.
func Audiences(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	json.Unmarshal(raw, &many)
	return many
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
