// Package demo runs authgate on embedded defaults: a gateway, an
// in-process upstream that also serves a demo issuer's JWKS, and a set of
// tokens, one per interesting outcome, written to a state folder.
package demo

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/credential/apikey"
	"github.com/authgate/authgate/credential/basic"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/internal/app"
	"github.com/authgate/authgate/reason"
	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/store/sqlite"
)

// Audience is the demo API's audience.
const Audience = "demo-api"

// Case is one demo request and the answer it gets. At most one of Token,
// APIKey and Basic is set; none sends no credentials.
type Case struct {
	Token  string // key in File.Tokens, sent as Bearer
	APIKey string // key in File.APIKeys, sent in X-API-Key
	Basic  string // "good" or "wrong" password for File.Basic.User
	Method string
	Path   string
	Status int
	Reason reason.Code // "" for a success
}

// WrongPassword is the password of the failing Basic case.
const WrongPassword = "not-the-password"

// Cases are printed by the demo and checked by its test.
var Cases = []Case{
	{Token: "valid", Method: "GET", Path: "/v1/data", Status: 200},
	{Token: "valid", Method: "POST", Path: "/v1/data", Status: 201},
	{Token: "", Method: "GET", Path: "/v1/data", Status: 401, Reason: reason.CredentialsMissing},
	{Token: "expired", Method: "GET", Path: "/v1/data", Status: 401, Reason: reason.TokenExpired},
	{Token: "not_yet_valid", Method: "GET", Path: "/v1/data", Status: 401, Reason: reason.TokenNotYetValid},
	{Token: "wrong_audience", Method: "GET", Path: "/v1/data", Status: 401, Reason: reason.TokenAudienceMismatch},
	{Token: "wrong_issuer", Method: "GET", Path: "/v1/data", Status: 401, Reason: reason.TokenIssuerUntrusted},
	{Token: "bad_signature", Method: "GET", Path: "/v1/data", Status: 401, Reason: reason.TokenSignatureInvalid},
	{Token: "insufficient_scope", Method: "POST", Path: "/v1/data", Status: 403, Reason: reason.InsufficientScope},
	{APIKey: "live", Method: "GET", Path: "/v1/data", Status: 200},
	{APIKey: "test", Method: "GET", Path: "/v1/data", Status: 401, Reason: reason.CredentialWrongEnvironment},
	{APIKey: "revoked", Method: "GET", Path: "/v1/data", Status: 401, Reason: reason.CredentialRevoked},
	{Basic: "good", Method: "GET", Path: "/v1/data", Status: 200},
	{Basic: "wrong", Method: "GET", Path: "/v1/data", Status: 401, Reason: reason.BasicInvalid},
	{Token: "", Method: "GET", Path: "/public", Status: 200},
	{Token: "opaque_valid", Method: "GET", Path: "/v1/data", Status: 200},
	{Token: "opaque_revoked", Method: "GET", Path: "/v1/data", Status: 401, Reason: reason.TokenInactive},
	{Token: "valid", Method: "GET", Path: "/v1/admin", Status: 403, Reason: reason.ClaimMismatch},
	{Token: "admin_role", Method: "GET", Path: "/v1/admin", Status: 200},
}

// BasicUser is demo.json's Basic user.
type BasicUser struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// File is demo.json.
type File struct {
	URL            string `json:"url"`
	Issuer         string `json:"issuer"`
	Audience       string `json:"audience"`
	JWKSURL        string `json:"jwks_url"`
	SigningKeyFile string `json:"signing_key_file"`
	// DPoPKeyFile is the private key token dpop_bound is bound to: sign
	// its proofs with `authgate jwt dpop --key`.
	DPoPKeyFile string            `json:"dpop_key_file"`
	ConfigFile  string            `json:"config_file"`
	Tokens      map[string]string `json:"tokens"`
	APIKeys     map[string]string `json:"api_keys"`
	Basic       BasicUser         `json:"basic"`
	AdminURL    string            `json:"admin_url,omitempty"`
	AdminKey    string            `json:"admin_key,omitempty"`
}

// Options configure Run.
type Options struct {
	Listen   string // default 127.0.0.1:8080
	StateDir string // default ./.authgate-demo
	// AdminListen starts the admin listener there ("" leaves it off).
	AdminListen string
	Logger      *slog.Logger
}

// Demo is a running demo.
type Demo struct {
	File     File
	StateDir string
	servers  []*http.Server
	app      *app.App
}

const configTemplate = `# Written by 'authgate demo'. The upstream named here runs inside the demo
# process, so this file serves as an example rather than a standalone setup.
listen: %[1]s
realm: demo
resource: %[2]s
detail: full
environment: live
echo: true
data_dir: %[5]s
issuers:
  - name: demo
    issuer: %[2]s
    audiences: [%[3]s]
    algorithms: [RS256]
    # DPoP-bound tokens (cnf.jkt) with a proof, and Bearer tokens that are
    # not bound (RFC 9449).
    dpop: allowed
    required_type: at+jwt
    # No key source: OpenID discovery finds the JWKS, and the RFC 7662
    # introspection endpoint that judges opaque tokens.
    introspection: {client_id: demo-gateway, client_secret: "%[6]s"}
routes:
  - name: jwks
    path: /.well-known/jwks.json
    methods: [GET]
    public: true
    upstream: %[4]s
  - name: discovery
    path: /.well-known/openid-configuration
    methods: [GET]
    public: true
    upstream: %[4]s
  - name: introspection
    path: /oauth2/introspect
    methods: [POST]
    public: true
    forward_authorization: true # the issuer authenticates the gateway
    upstream: %[4]s
  - name: admin
    path: /v1/admin
    methods: [GET]
    schemes: [bearer]
    claims_all: [{claim: roles, contains: admin}]
    upstream: %[4]s
  - name: public
    path: /public
    methods: [GET]
    public: true
    upstream: %[4]s
  - name: data-read
    path: /v1/data
    methods: [GET]
    schemes: [bearer, apikey, basic]
    scopes_all: [read]
    upstream: %[4]s
  - name: data-write
    path: /v1/data
    methods: [POST]
    schemes: [bearer, apikey, basic]
    scopes_all: [write]
    upstream: %[4]s
`

// Start runs the demo until ctx ends; Wait blocks until then.
func Start(ctx context.Context, opts Options) (_ *Demo, err error) {
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:8080"
	}
	if opts.StateDir == "" {
		opts.StateDir = ".authgate-demo"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	for _, sub := range []string{"tokens", "keys"} {
		if err := os.MkdirAll(filepath.Join(opts.StateDir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("demo state folder: %w", err)
		}
	}
	// opened is what Start has opened so far; a Start that fails closes
	// it, last opened first.
	var opened []io.Closer
	defer func() {
		if err != nil {
			for i := len(opened) - 1; i >= 0; i-- {
				opened[i].Close()
			}
		}
	}()
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("demo gateway: %w", err)
	}
	opened = append(opened, ln)
	upLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo upstream: %w", err)
	}
	opened = append(opened, upLn)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	d := &Demo{StateDir: opts.StateDir}
	base := "http://" + ln.Addr().String()
	d.File = File{URL: base, Issuer: base, Audience: Audience, JWKSURL: base + "/.well-known/jwks.json",
		SigningKeyFile: filepath.Join(opts.StateDir, "signing-key.pem"),
		DPoPKeyFile:    filepath.Join(opts.StateDir, "dpop-key.pem"),
		ConfigFile:     filepath.Join(opts.StateDir, "authgate.yaml")}
	dataDir, err := filepath.Abs(filepath.Join(opts.StateDir, "data"))
	if err != nil {
		return nil, err
	}
	if err := removeStore(dataDir); err != nil {
		return nil, err
	}
	secret := newJTI()
	yaml := fmt.Sprintf(configTemplate, ln.Addr(), base, Audience, "http://"+upLn.Addr().String(), dataDir, secret)
	if err := os.WriteFile(d.File.ConfigFile, []byte(yaml), 0o600); err != nil {
		return nil, err
	}
	cfg, err := config.Parse(d.File.ConfigFile, []byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		return nil, fmt.Errorf("demo configuration: %w", err)
	}
	cfg.Issuers[0].JWKSMinRefetch = time.Second
	a, err := app.New(cfg, app.Options{Logger: opts.Logger})
	if err != nil {
		return nil, err
	}
	opened = append(opened, a)
	d.app = a
	if err := d.writeState(ctx, key); err != nil {
		return nil, err
	}
	if opts.AdminListen != "" {
		aln, err := net.Listen("tcp", opts.AdminListen)
		if err != nil {
			return nil, fmt.Errorf("demo admin listener: %w", err)
		}
		opened = append(opened, aln)
		_, key, err := apikey.Create(ctx, a.Store(), apikey.Spec{Name: "demo admin", Kind: store.KindAdmin, Environment: "live"}, "demo")
		if err != nil {
			return nil, err
		}
		d.File.AdminURL, d.File.AdminKey = "http://"+aln.Addr().String(), key
		if err := writeFile(filepath.Join(d.StateDir, "admin-key"), []byte(key)); err != nil {
			return nil, err
		}
		if err := d.writeDemoJSON(); err != nil {
			return nil, err
		}
		adminSrv := app.AdminServer(cfg, a.AdminHandler())
		opened = append(opened, adminSrv)
		d.servers = append(d.servers, adminSrv)
		go adminSrv.Serve(app.CapAdmin(aln))
	}
	// Each demo connection may cost three descriptors: its own, and both
	// ends of its upstream connection, served in this process.
	capped, err := a.CapGateway(ln, cfg, 3)
	if err != nil {
		return nil, err
	}
	up := &http.Server{Handler: upstream(&key.PublicKey, base, secret, d.File.Tokens), ReadHeaderTimeout: 5 * time.Second}
	gw := gateway.NewServer(cfg, a.Handler())
	d.servers = append(d.servers, up, gw)
	go up.Serve(upLn)
	go gw.Serve(capped)
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, s := range d.servers {
			s.Shutdown(shut)
		}
		a.Close()
	}()
	return d, nil
}

// removeStore deletes the demo's database: the demo's keys and user are
// made anew at every start.
func removeStore(dir string) error {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(filepath.Join(dir, sqlite.FileName+suffix)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// writeCredentials creates the demo's API keys and Basic user.
func (d *Demo) writeCredentials(ctx context.Context) error {
	st := d.app.Store()
	d.File.APIKeys = map[string]string{}
	for _, spec := range []struct{ name, env string }{{"live", "live"}, {"test", "test"}, {"revoked", "live"}} {
		k, key, err := apikey.Create(ctx, st, apikey.Spec{Name: "demo " + spec.name, Environment: spec.env, Scopes: []string{"read"}}, "demo")
		if err != nil {
			return err
		}
		if spec.name == "revoked" {
			if err := st.RevokeKey(ctx, k.ID, time.Now(), "demo"); err != nil {
				return err
			}
		}
		d.File.APIKeys[spec.name] = key
		if err := writeFile(filepath.Join(d.StateDir, "keys", spec.name), []byte(key)); err != nil {
			return err
		}
	}
	d.File.Basic = BasicUser{User: "demo", Password: newJTI()}
	if err := basic.AddUser(ctx, st, "demo", d.File.Basic.Password, []string{"read", "write"}, "demo"); err != nil {
		return err
	}
	return writeFile(filepath.Join(d.StateDir, "basic-password"), []byte(d.File.Basic.Password))
}

// writeState writes the signing key, the tokens, the credentials and demo.json.
func (d *Demo) writeState(ctx context.Context, key *rsa.PrivateKey) error {
	if err := d.writeCredentials(ctx); err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := writeFile(d.File.SigningKeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return err
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	jkt, err := d.proofKey()
	if err != nil {
		return err
	}
	d.File.Tokens, err = mintTokens(d.File.Issuer, key, other, jkt)
	if err != nil {
		return err
	}
	for name, tok := range d.File.Tokens {
		if err := writeFile(filepath.Join(d.StateDir, "tokens", name), []byte(tok)); err != nil {
			return err
		}
	}
	return d.writeDemoJSON()
}

func (d *Demo) writeDemoJSON() error {
	doc, _ := json.MarshalIndent(d.File, "", "  ")
	return writeFile(filepath.Join(d.StateDir, "demo.json"), append(doc, '\n'))
}

// writeFile writes data readable by the owner only, replacing any older file.
func writeFile(path string, data []byte) error {
	os.Remove(path)
	return os.WriteFile(path, data, 0o600)
}

// KeyID is the kid of the demo signing key.
const KeyID = "demo-1"

// mintTokens signs one token per case; DPoPBound is bound to the proof
// key of thumbprint jkt.
func mintTokens(issuer string, key, other *rsa.PrivateKey, jkt string) (map[string]string, error) {
	now := time.Now()
	claims := func(change map[string]any) map[string]any {
		c := map[string]any{"iss": issuer, "aud": Audience, "sub": "demo-user", "client_id": "demo-client",
			"scope": "read write", "iat": now.Unix(), "exp": now.Add(12 * time.Hour).Unix(), "jti": newJTI()}
		for k, v := range change {
			c[k] = v
		}
		return c
	}
	header := map[string]any{"kid": KeyID, "typ": "at+jwt"}
	specs := map[string]struct {
		key    *rsa.PrivateKey
		claims map[string]any
	}{
		"valid":              {key, claims(nil)},
		"expired":            {key, claims(map[string]any{"iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()})},
		"not_yet_valid":      {key, claims(map[string]any{"nbf": now.Add(10 * time.Minute).Unix()})},
		"wrong_audience":     {key, claims(map[string]any{"aud": "other-api"})},
		"wrong_issuer":       {key, claims(map[string]any{"iss": issuer + "/"})},
		"bad_signature":      {other, claims(nil)},
		"insufficient_scope": {key, claims(map[string]any{"scope": "read"})},
		"admin_role":         {key, claims(map[string]any{"roles": []string{"admin"}})},
		DPoPBound:            {key, claims(map[string]any{"cnf": map[string]any{"jkt": jkt}})},
	}
	out := map[string]string{}
	for name, s := range specs {
		tok, err := jwt.Sign("RS256", s.key, header, s.claims)
		if err != nil {
			return nil, err
		}
		out[name] = tok
	}
	// Opaque tokens: not JWTs; the demo issuer's introspection knows them.
	out["opaque_valid"], out["opaque_revoked"] = "opq_"+newJTI()+newJTI(), "opq_"+newJTI()+newJTI()
	return out, nil
}

// proofKey makes the proof key (a P-256 key in DPoPKeyFile) that token
// dpop_bound is bound to, and returns its thumbprint (cnf.jkt, RFC 9449
// section 6).
func (d *Demo) proofKey() (string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", err
	}
	if err := writeFile(d.File.DPoPKeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return "", err
	}
	return jwt.Thumbprint(&key.PublicKey)
}

// DPoPBound is the token bound to the demo's proof key.
const DPoPBound = "dpop_bound"

func newJTI() string {
	b := make([]byte, 12)
	rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// The identity headers the demo upstream reads: the demo keeps the
// default identity_header_prefix.
const (
	subjectHeader = api.DefaultIdentityHeaderPrefix + api.IdentitySubject
	scopesHeader  = api.DefaultIdentityHeaderPrefix + api.IdentityScopes
)

// upstream is the demo API behind the gateway; it trusts the identity
// headers the gateway sets. It also plays the demo issuer: its OpenID
// discovery document, its JWKS, and an RFC 7662 introspection endpoint
// that knows the opaque tokens (opaque_valid active, opaque_revoked not).
func upstream(pub *rsa.PublicKey, issuer, clientSecret string, tokens map[string]string) http.Handler {
	jwks := jwt.PublicJWKS(map[string]any{KeyID: pub})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"issuer": issuer, "jwks_uri": issuer + "/.well-known/jwks.json",
			"introspection_endpoint": issuer + "/oauth2/introspect", "response_types_supported": []string{"code"},
			"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("POST /oauth2/introspect", func(w http.ResponseWriter, r *http.Request) {
		if user, pass, ok := r.BasicAuth(); !ok || user != "demo-gateway" || pass != clientSecret {
			w.Header().Set("WWW-Authenticate", `Basic realm="demo issuer"`)
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		answer := map[string]any{"active": false}
		if r.FormValue("token") == tokens["opaque_valid"] {
			answer = map[string]any{"active": true, "sub": "demo-service", "client_id": "demo-service", "scope": "read write",
				"iss": issuer, "aud": Audience, "exp": time.Now().Add(12 * time.Hour).Unix(), "token_type": "Bearer"}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(answer)
	})
	mux.HandleFunc("GET /v1/admin", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"admin": true, "subject": r.Header.Get(subjectHeader)})
	})
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Write(jwks)
	})
	reply := func(w http.ResponseWriter, status int, v map[string]any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /public", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, map[string]any{"message": "public data, no credentials needed"})
	})
	mux.HandleFunc("GET /v1/data", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, map[string]any{"data": []string{"alpha", "beta"},
			"subject": r.Header.Get(subjectHeader), "scopes": r.Header.Get(scopesHeader)})
	})
	mux.HandleFunc("POST /v1/data", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 201, map[string]any{"created": true, "subject": r.Header.Get(subjectHeader)})
	})
	return mux
}

// Close stops the demo's servers at once.
func (d *Demo) Close() error {
	var errs []error
	for _, s := range d.servers {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
