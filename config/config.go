// Package config reads authgate's YAML configuration: one file, strict
// (an unknown key, a wrong type or a missing value is an error naming the
// file, line and key), with ${VAR} expansion and *_file keys for secrets.
// Each struct maps 1:1 to the file; docs/configuration.md lists every key.
package config

import (
	"crypto"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/basic"
	"github.com/authgate/authgate/credential/dpop"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/credential/mtls"
	"github.com/authgate/authgate/policy"
)

// Config is the whole file.
type Config struct {
	// service: the file configures the gateway inside a service
	// (ParseService), which has no routes.
	service bool
	// Listen is the gateway's address.
	Listen string `yaml:"listen"`
	// Instance names this instance in the failure feed (default: host
	// name and listen port).
	Instance string `yaml:"instance"`
	// Realm goes into every challenge.
	Realm string `yaml:"realm"`
	// Resource is this API's resource identifier (an https URL, RFC
	// 9728): the gateway then serves its protected resource metadata and
	// names it in Bearer challenges (resource_metadata).
	Resource string `yaml:"resource"`
	// Detail is what clients are told: full, reason or none.
	Detail api.Detail `yaml:"detail"`
	// IdentityHeaderPrefix prefixes the identity headers sent upstream.
	IdentityHeaderPrefix string `yaml:"identity_header_prefix"`
	// FingerprintKey keys credential fingerprints in logs; random when empty.
	FingerprintKey     string `yaml:"fingerprint_key"`
	FingerprintKeyFile string `yaml:"fingerprint_key_file"`
	// MaxTokenBytes is the largest bearer token read (checked before parsing).
	MaxTokenBytes int `yaml:"max_token_bytes"`
	// MaxHeaderBytes bounds the request header block.
	MaxHeaderBytes int `yaml:"max_header_bytes"`
	// MaxHeaderCount bounds the number of header lines.
	MaxHeaderCount int `yaml:"max_header_count"`
	// MaxBodyBytes bounds a request body (routes may set their own).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// TokenCacheSize bounds the verified-token cache (0: default, -1: off).
	TokenCacheSize int `yaml:"token_cache_size"`
	// Environment this gateway serves (e.g. live, test); "" accepts all.
	Environment string `yaml:"environment"`
	// DataDir holds local files: the embedded store, the fingerprint key.
	DataDir string `yaml:"data_dir"`
	// Store is where keys and users live.
	Store StoreOpts `yaml:"store"`
	// APIKeyHeaders are the headers an API key may arrive in.
	APIKeyHeaders []string     `yaml:"api_key_headers"`
	FailureLimit  FailureLimit `yaml:"failure_limit"`
	// RateLimits says where failure limits and quotas are counted.
	RateLimits RateLimits    `yaml:"rate_limits"`
	Basic      basic.Options `yaml:"basic"`
	// DecisionPath is the forward-auth decision endpoint ("" turns it off).
	DecisionPath string `yaml:"decision_path"`
	// DecisionProxy names the proxy that asks the decision endpoint, and
	// so the only headers the original request is read from (nginx,
	// caddy, traefik, envoy, ingress-nginx: api.ProxyConventions).
	DecisionProxy string `yaml:"decision_proxy"`
	// TrustedProxies are the CIDRs whose X-Forwarded-* and decision
	// requests are believed.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// ClaimHeaders sends token claims to the upstream: header suffix →
	// claim (name or dotted path), as <identity_header_prefix>Claim-<suffix>.
	ClaimHeaders map[string]string `yaml:"claim_headers"`
	// IdentityToken sends the upstream a short JWT signed by the gateway
	// (X-Authgate-Identity), verifiable with its key set.
	IdentityToken IdentityToken `yaml:"identity_token"`
	// Echo turns on /.authgate/echo, which tells a client (authgate doctor)
	// which auth headers arrived, by length and fingerprint only.
	Echo bool `yaml:"echo"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level"`
	// LogFormat is json or text.
	LogFormat string `yaml:"log_format"`
	// AccessLog tunes the access log.
	AccessLog AccessLog           `yaml:"access_log"`
	Issuers   []*jwt.IssuerConfig `yaml:"issuers"`
	Routes    []*Route            `yaml:"routes"`
	Server    ServerOpts          `yaml:"server"`
	// Admin is the admin listener (metrics, admin API).
	Admin AdminOpts `yaml:"admin"`
	// Console tunes the web console (see console.go).
	Console Console `yaml:"console"`
	// ExtAuthzGRPC serves Envoy's gRPC authorization API (off by default).
	ExtAuthzGRPC ExtAuthzGRPC `yaml:"ext_authz_grpc"`
	// TLS, when set, makes the listener speak HTTPS.
	TLS *TLS `yaml:"tls"`
	// Tracing exports OpenTelemetry spans (off by default).
	Tracing Tracing `yaml:"tracing"`
	// DPoP is what DPoP proofs the gateway accepts (RFC 9449); issuers
	// and routes say whose tokens take DPoP (their dpop setting).
	DPoP dpop.Settings `yaml:"dpop"`
	// ClientCertificate is where a trusted proxy that terminates mutual
	// TLS passes the client certificate (certificate-bound tokens, RFC
	// 8705); off when Header is empty.
	ClientCertificate ClientCertificate `yaml:"client_certificate"`

	// File is where the configuration came from.
	File string `yaml:"-"`
}

// AccessLog tunes the access log: the share of allowed requests logged
// (rejections are always logged).
type AccessLog struct {
	SampleAllowed float64 `yaml:"sample_allowed"`
}

// Tracing exports one span per request, with child spans for key-set
// fetches, store calls and the upstream, over OTLP/HTTP. It is on when
// Enabled is set or the environment says OTEL_TRACES_EXPORTER=otlp, and
// off whenever OTEL_SDK_DISABLED=true. The exporter also reads the
// standard OTEL_EXPORTER_OTLP_* variables (endpoint, headers, timeout).
type Tracing struct {
	Enabled bool `yaml:"enabled"`
	// Endpoint is the OTLP/HTTP receiver's base URL (http://host:4318;
	// spans go to its /v1/traces); empty: OTEL_EXPORTER_OTLP_ENDPOINT or
	// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else https://localhost:4318.
	Endpoint string `yaml:"endpoint"`
	// SampleRatio is the share of new traces recorded (a trusted
	// proxy's sampling decision is followed); OTEL_TRACES_SAMPLER, when
	// set, overrides it.
	SampleRatio float64 `yaml:"sample_ratio"`
}

// Rate-limit backends and what quotas do when the backend fails.
const (
	BackendLocal = "local"
	BackendRedis = "redis"
	FailOpen     = "fail_open"
	FailClosed   = "fail_closed"
)

// RateLimits choose where failure limits and quotas are counted: in each
// instance (local) or across the fleet (redis).
type RateLimits struct {
	Backend string `yaml:"backend"`
	Redis   Redis  `yaml:"redis"`
	// QuotaOnError is what a quota does when Redis does not answer:
	// fail_open (serve, count nothing) or fail_closed (503).
	QuotaOnError string `yaml:"quota_on_error"`
}

// Redis is where the redis backend counts: one server (Addr), a
// cluster (Cluster, seeded by Addrs or Addr), or a primary found through
// Sentinel; over TLS when TLS is set, as an ACL user when Username is.
type Redis struct {
	// Addr is one server's host:port (default 127.0.0.1:6379 when
	// neither Addrs nor Sentinel is given).
	Addr string `yaml:"addr"`
	// Addrs are a cluster's nodes (with Cluster).
	Addrs []string `yaml:"addrs"`
	// Cluster speaks Redis Cluster: every key authgate writes carries one
	// hash tag (the prefix), so each multi-key script runs on one node.
	Cluster bool `yaml:"cluster"`
	// Sentinel finds the primary of a replicated Redis.
	Sentinel *Sentinel `yaml:"sentinel"`
	// Prefix starts every key authgate writes (default "authgate:"), so
	// that deployments can share one Redis.
	Prefix string `yaml:"prefix"`
	// Username is the ACL user (Redis 6+); empty: the default user.
	Username     string `yaml:"username"`
	Password     string `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
	DB           int    `yaml:"db"`
	// TLS, when set (even empty: {}), speaks TLS to Redis.
	TLS *RedisTLS `yaml:"tls"`
}

// Sentinel names the primary to ask the sentinels for.
type Sentinel struct {
	Master string   `yaml:"master"`
	Addrs  []string `yaml:"addrs"`
	// Username and Password authenticate to the sentinels themselves
	// (sentinel ACLs); empty: the sentinels ask for none.
	Username     string `yaml:"username"`
	Password     string `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
}

// RedisTLS is how authgate checks Redis's certificate and proves its own.
type RedisTLS struct {
	// CAFile holds the PEM certificates Redis's must chain to; empty:
	// the system's roots.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are a client certificate, for a Redis that
	// asks for one (tls-auth-clients).
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName is the name Redis's certificate must carry; empty: the
	// host of the address dialled.
	ServerName string `yaml:"server_name"`
}

// Quota bounds requests per identity on a route.
type Quota struct {
	Requests int           `yaml:"requests"`
	Per      time.Duration `yaml:"per"`
}

// Store drivers.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// StoreOpts choose the store: SQLite in data_dir (one machine), or
// PostgreSQL (several instances).
type StoreOpts struct {
	Driver string `yaml:"driver"`
	// DSN (or DSNFile, which holds it) is PostgreSQL's connection string.
	DSN     string `yaml:"dsn"`
	DSNFile string `yaml:"dsn_file"`
	// MaxConns bounds PostgreSQL connections per instance (default 8).
	MaxConns int `yaml:"max_conns"`
	// QueryTimeout bounds every store call (default 2 s): past it the
	// request needing the store gets 503 auth_unavailable, whatever the
	// database does.
	QueryTimeout time.Duration `yaml:"query_timeout"`
	// Heartbeat is how often PostgreSQL's change stream proves it is
	// alive (default 1 s); three missed and no cached entry is used.
	Heartbeat time.Duration `yaml:"heartbeat"`
	// Migrate is auto (each instance migrates PostgreSQL's schema at
	// start) or never (authgate store migrate does, as a deploy step;
	// instances refuse a schema that is not theirs).
	Migrate string `yaml:"migrate"`
}

// What store.migrate takes.
const (
	MigrateAuto  = "auto"
	MigrateNever = "never"
)

// AdminOpts configure the admin listener.
type AdminOpts struct {
	// Listen is its address; "" turns it off.
	Listen string `yaml:"listen"`
	// Issuers names the issuers whose JWTs with scope admin open the
	// admin API; none by default: only admin keys do.
	Issuers []string `yaml:"issuers"`
	// PProf serves Go's profiler under /debug/pprof/ (loopback admin
	// listener only; off by default).
	PProf bool `yaml:"pprof"`
	// Console serves the web console under /console/ (on by default;
	// false turns it off).
	Console *bool `yaml:"console"`
}

// ConsoleOn reports whether the web console is served.
func (a AdminOpts) ConsoleOn() bool { return a.Console == nil || *a.Console }

// TLS names the certificate and key of an HTTPS listener.
type TLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ClientAuth asks clients for a certificate (certificate-bound
	// tokens, RFC 8705): none (default), request or require.
	ClientAuth string `yaml:"client_auth"`
	// ClientCAFile, when set, holds the CAs a client certificate must
	// chain to; without it any certificate is taken, since a bound token
	// names its certificate by thumbprint (RFC 8705 §2.2, self-signed).
	ClientCAFile string `yaml:"client_ca_file"`
}

// TLS client_auth values.
const (
	ClientAuthNone    = "none"
	ClientAuthRequest = "request"
	ClientAuthRequire = "require"
)

// Client certificate header formats.
const (
	// CertFormatNginx is nginx's $ssl_client_escaped_cert: a URL-escaped PEM.
	CertFormatNginx = mtls.Nginx
	// CertFormatEnvoy is Envoy's X-Forwarded-Client-Cert (XFCC); its last
	// element's Cert is read.
	CertFormatEnvoy = mtls.Envoy
)

// ClientCertificate names the header a trusted proxy passes the client
// certificate in, and its format.
type ClientCertificate struct {
	Header string `yaml:"header"`
	Format string `yaml:"format"`
}

// ServerOpts are the HTTP server's timeouts.
type ServerOpts struct {
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	IdleTimeout       time.Duration `yaml:"idle_timeout"`
	ShutdownTimeout   time.Duration `yaml:"shutdown_timeout"`
	// BodyIdleTimeout bounds the wait for each piece of a request body,
	// BodyTimeout the whole body.
	BodyIdleTimeout time.Duration `yaml:"body_idle_timeout"`
	BodyTimeout     time.Duration `yaml:"body_timeout"`
	// MaxConnections caps open connections on the gateway's listener;
	// MaxConnectionsPerClient caps them per client address (trusted
	// proxies excepted).
	MaxConnections          int `yaml:"max_connections"`
	MaxConnectionsPerClient int `yaml:"max_connections_per_client"`
	// Engine is the HTTP engine of a plain-HTTP gateway listener:
	// EngineFast (fasthttp, the default) or EngineStandard (net/http).
	// TLS listeners, and configurations with WebSocket or upstream_h2c
	// routes, are always served by net/http (ServesFast).
	Engine string `yaml:"engine"`
}

// The HTTP engines of server.engine.
const (
	EngineStandard = "standard"
	EngineFast     = "fast"
)

// ServesFast reports whether the gateway listener is served by the fast
// engine: asked for, on plain HTTP, and no route needs what only net/http
// does (WebSocket upgrades, HTTP/2 to the upstream).
func (c *Config) ServesFast() bool {
	if c.Server.Engine != EngineFast || c.TLS != nil {
		return false
	}
	for _, r := range c.Routes {
		if r.WebSocket || r.UpstreamH2C {
			return false
		}
	}
	return true
}

// FailureLimit bounds failed authentications per credential, per client
// address and per account within Window.
type FailureLimit struct {
	PerCredential int `yaml:"per_credential"`
	PerClient     int `yaml:"per_client"`
	// PerAccount limits failures per account (a Basic user name), from
	// any address.
	PerAccount int           `yaml:"per_account"`
	Window     time.Duration `yaml:"window"`
}

// Route says which requests it covers and what they need.
type Route struct {
	Name    string   `yaml:"name"`
	Methods []string `yaml:"methods"`
	// Path: "/a/b" exact, "/a/*" the subtree, "{name}" one segment.
	Path      string   `yaml:"path"`
	Public    bool     `yaml:"public"`
	Schemes   []string `yaml:"schemes"`
	ScopesAll []string `yaml:"scopes_all"`
	ScopesAny []string `yaml:"scopes_any"`
	// APIKeyQuery names a query parameter that may carry an API key; off
	// when empty.
	APIKeyQuery string `yaml:"api_key_query"`

	CORS *CORS `yaml:"cors"`
	// WebSocket allows Upgrade: websocket on this route.
	WebSocket bool `yaml:"websocket"`
	// MethodOverride lets method-override headers through; the route and
	// its scopes then apply to the overridden method.
	MethodOverride bool `yaml:"method_override"`

	Upstream             string        `yaml:"upstream"`
	UpstreamTimeout      time.Duration `yaml:"upstream_timeout"`
	ForwardAuthorization bool          `yaml:"forward_authorization"`
	// UpstreamH2C speaks HTTP/2 without TLS (prior knowledge, RFC 9113
	// §3.3) to an http:// upstream: one connection carries every request
	// at once. https:// upstreams negotiate HTTP/2 by themselves (ALPN).
	UpstreamH2C bool `yaml:"upstream_h2c"`
	// MaxBodyBytes bounds this route's request bodies (0: the gateway's).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// Quota bounds each identity's requests on this route.
	Quota *Quota `yaml:"quota"`
	// Hosts, when set, are the host names the route serves (exact, or
	// *.example.com); PreserveHost sends the client's Host upstream.
	Hosts        []string `yaml:"hosts"`
	PreserveHost bool     `yaml:"preserve_host"`
	// ClaimsAll must all hold and one of ClaimsAny must hold, on the
	// token's claims (roles, groups…).
	ClaimsAll []policy.ClaimRule `yaml:"claims_all"`
	ClaimsAny []policy.ClaimRule `yaml:"claims_any"`
	// ACRValues and MaxAge ask for a stronger or fresher authentication
	// (RFC 9470 step-up: acr, auth_time).
	ACRValues []string      `yaml:"acr_values"`
	MaxAge    time.Duration `yaml:"max_age"`
	// AllowCIDRs, when set, are the only client networks the route
	// serves; DenyCIDRs are refused. The client address is the one
	// trusted_proxies yields.
	AllowCIDRs []string `yaml:"allow_cidrs"`
	DenyCIDRs  []string `yaml:"deny_cidrs"`
	// DPoP overrides the issuers' dpop setting on this route: off,
	// allowed or required ("": the issuer's).
	DPoP string `yaml:"dpop"`
}

// CORS is a route's cross-origin policy.
type CORS struct {
	// AllowedOrigins: exact origins, "*", or patterns with one "*" in the
	// host ("https://*.example.com").
	AllowedOrigins   []string      `yaml:"allowed_origins"`
	AllowedMethods   []string      `yaml:"allowed_methods"`
	AllowedHeaders   []string      `yaml:"allowed_headers"`
	AllowCredentials bool          `yaml:"allow_credentials"`
	MaxAge           time.Duration `yaml:"max_age"`
}

// Default returns a Config holding every default; Load decodes over it.
func Default() *Config {
	return &Config{
		Listen:               "127.0.0.1:8080",
		Realm:                "api",
		Detail:               api.DetailFull,
		IdentityHeaderPrefix: api.DefaultIdentityHeaderPrefix,
		MaxTokenBytes:        8 << 10,
		MaxHeaderBytes:       32 << 10,
		MaxHeaderCount:       100,
		MaxBodyBytes:         10 << 20,
		LogLevel:             "info",
		LogFormat:            "json",
		AccessLog:            AccessLog{SampleAllowed: 1},
		Tracing:              Tracing{SampleRatio: 1},
		DataDir:              "./authgate-data",
		Store:                StoreOpts{Driver: DriverSQLite, Migrate: MigrateAuto},
		RateLimits:           RateLimits{Backend: BackendLocal, QuotaOnError: FailOpen, Redis: Redis{Prefix: "authgate:"}},
		DecisionPath:         "/.authgate/decide",
		DecisionProxy:        api.ProxyConventions[0].Name,
		Admin:                AdminOpts{Listen: "127.0.0.1:9090"},
		Console:              defaultConsole(),
		TrustedProxies:       []string{"127.0.0.1/32", "::1/128"},
		APIKeyHeaders:        []string{api.DefaultAPIKeyHeader},
		FailureLimit:         FailureLimit{PerCredential: 10, PerClient: 100, PerAccount: 10, Window: time.Minute},
		Basic:                basic.Options{CacheTTL: time.Minute},
		Server: ServerOpts{
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ShutdownTimeout:   15 * time.Second,
			BodyIdleTimeout:   10 * time.Second,
			BodyTimeout:       2 * time.Minute,

			MaxConnections:          8192,
			MaxConnectionsPerClient: 256,
			Engine:                  EngineFast,
		},
	}
}

// NeedsStore reports whether the store must be opened: a route accepts
// API keys or Basic, or the admin API (which manages them) is on.
func (c *Config) NeedsStore() bool { return c.Admin.Listen != "" || c.RoutesNeedStore() }

// RoutesNeedStore reports whether a route accepts a scheme whose
// credentials live in the store (API keys, Basic).
func (c *Config) RoutesNeedStore() bool {
	for _, r := range c.Routes {
		for _, s := range r.Schemes {
			if info, ok := credential.LookupScheme(s); ok && info.UsesStore {
				return true
			}
		}
	}
	return false
}

// DefaultUpstreamTimeout applies to routes that name none.
const DefaultUpstreamTimeout = 30 * time.Second

// IdentityToken configures the identity JWT the gateway signs for the
// upstream of every authenticated request.
type IdentityToken struct {
	Enabled bool `yaml:"enabled"`
	// KeyFile is a PEM private key (EC, RSA or Ed25519); empty: a P-256
	// key generated into data_dir on first start.
	KeyFile string `yaml:"key_file"`
	// TTL is each token's life (default DefaultIdentityTTL, 10s to 10m;
	// never past the credential's own expiry).
	TTL time.Duration `yaml:"ttl"`
	// Issuer is the tokens' iss (default: resource, else "authgate").
	Issuer string `yaml:"issuer"`

	// Key, Alg and KeyID are the signing key, loaded by the app.
	Key   any    `yaml:"-"`
	Alg   string `yaml:"-"`
	KeyID string `yaml:"-"`
}

// DefaultIdentityTTL is an identity token's life unless configured.
const DefaultIdentityTTL = time.Minute

// TTLOrDefault is the configured life, or the default.
func (t IdentityToken) TTLOrDefault() time.Duration {
	if t.TTL == 0 {
		return DefaultIdentityTTL
	}
	return t.TTL
}

// IssuerOrDefault is the tokens' iss: the configured one, the resource
// identifier, or "authgate".
func (t IdentityToken) IssuerOrDefault(resource string) string {
	switch {
	case t.Issuer != "":
		return t.Issuer
	case resource != "":
		return resource
	}
	return "authgate"
}

// Public is the signing key's public half.
func (t IdentityToken) Public() any {
	if k, ok := t.Key.(interface{ Public() crypto.PublicKey }); ok {
		return k.Public()
	}
	return nil
}
