package config

import (
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/apikey"
	_ "github.com/authgate/authgate/credential/basic" // registers the basic scheme
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/internal/strictyaml"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/store"
)

type locate = strictyaml.Locate

// validate checks the normalised configuration and says, at its file and
// line, the first setting it refuses. It changes nothing and reads no
// file: load does that once every setting is known to be usable.
func (c *Config) validate(at locate) error {
	for _, check := range []func(locate) error{
		c.validateSettings, c.validateGateway, c.validateListeners, c.validateStore, c.validateConsole,
		c.validateRateLimits, c.validateExtAuthz, c.validateFingerprintKey, c.validateIssuers, c.validateRoutes, c.checkShadowing,
	} {
		if err := check(at); err != nil {
			return err
		}
	}
	return nil
}

// validateSettings checks the single-value settings: levels and formats,
// sizes and timeouts, the realm, the resource and tracing URLs.
func (c *Config) validateSettings(at locate) error {
	switch {
	case !slices.Contains(api.DetailLevels, c.Detail):
		return at("detail", "%q is not one of %s", c.Detail, joined(api.DetailLevels))
	case !slices.Contains([]string{"debug", "info", "warn", "error"}, c.LogLevel):
		return at("log_level", "%q is not one of debug, info, warn, error", c.LogLevel)
	case c.LogFormat != "json" && c.LogFormat != "text":
		return at("log_format", "%q is not one of json, text", c.LogFormat)
	case c.AccessLog.SampleAllowed < 0 || c.AccessLog.SampleAllowed > 1:
		return at("access_log.sample_allowed", "must be between 0 (log no allowed request) and 1 (log every one)")
	case !validClaimHeaders(c.ClaimHeaders):
		return at("claim_headers", "each entry is a header name suffix (letters, digits, -) → a claim name or dotted path")
	case c.IdentityToken.TTL != 0 && (c.IdentityToken.TTL < 10*time.Second || c.IdentityToken.TTL > 10*time.Minute):
		return at("identity_token.ttl", "must be between 10s and 10m (the upstream checks it on every request; keep it short)")
	case strings.ContainsAny(c.IdentityToken.Issuer, "\r\n"):
		return at("identity_token.issuer", "one line, please")
	case c.Resource != "" && !validResource(c.Resource):
		return at("resource", "%q is not an absolute http(s) URL without query or fragment (RFC 9728)", c.Resource)
	case c.Tracing.SampleRatio < 0 || c.Tracing.SampleRatio > 1:
		return at("tracing.sample_ratio", "must be between 0 (record no new trace) and 1 (record every one)")
	case c.Tracing.Endpoint != "" && !isHTTPURL(c.Tracing.Endpoint):
		return at("tracing.endpoint", "%q is not an http:// or https:// URL", c.Tracing.Endpoint)
	case c.Realm == "" || strings.ContainsAny(c.Realm, "\"\\\r\n"):
		return at("realm", "must be non-empty, without quotes or backslashes")
	case !challenge.IsToken(c.IdentityHeaderPrefix):
		return at("identity_header_prefix", "%q is not a valid header name prefix", c.IdentityHeaderPrefix)
	case c.MaxTokenBytes <= 0 || c.MaxTokenBytes > c.MaxHeaderBytes:
		return at("max_token_bytes", "must be between 1 and max_header_bytes (%d)", c.MaxHeaderBytes)
	case c.MaxHeaderBytes < 8192:
		return at("max_header_bytes", "must be at least 8192 (8 KiB)")
	case c.MaxHeaderCount < 10:
		return at("max_header_count", "must be at least 10")
	case c.Server.ReadHeaderTimeout <= 0 || c.Server.IdleTimeout <= 0 || c.Server.ShutdownTimeout <= 0 ||
		c.Server.BodyIdleTimeout <= 0 || c.Server.BodyTimeout < c.Server.BodyIdleTimeout:
		return at("server", "timeouts must be positive, and body_timeout at least body_idle_timeout")
	case c.Server.MaxConnections < 16 || c.Server.MaxConnectionsPerClient < 1 || c.Server.MaxConnectionsPerClient > c.Server.MaxConnections:
		return at("server", "max_connections must be at least 16, max_connections_per_client between 1 and max_connections")
	case c.MaxBodyBytes <= 0:
		return at("max_body_bytes", "must be positive")
	case c.Server.Engine != EngineStandard && c.Server.Engine != EngineFast:
		return at("server.engine", "%q: use %s or %s", c.Server.Engine, EngineFast, EngineStandard)
	}
	return nil
}

// validateGateway checks what the gateway does with requests: its
// environment, data folder, API key headers, proxies, decision endpoint
// and failure limits.
func (c *Config) validateGateway(at locate) error {
	if c.Environment != "" && !credential.ValidEnvironment(c.Environment) {
		return at("environment", "%q: use 1-16 lower-case letters and digits, starting with a letter", c.Environment)
	}
	if c.DataDir == "" {
		return at("data_dir", "must not be empty")
	}
	for i, h := range c.APIKeyHeaders {
		if !challenge.IsToken(h) || strings.EqualFold(h, "Authorization") {
			return at(fmt.Sprintf("api_key_headers[%d]", i), "%q is not a usable header name", h)
		}
	}
	for i, cidr := range c.TrustedProxies {
		if _, _, err := net.ParseCIDR(cidr); err != nil {
			return at(fmt.Sprintf("trusted_proxies[%d]", i), "%q is not a CIDR such as 10.0.0.0/8", cidr)
		}
	}
	if c.DecisionPath != "" {
		if _, err := policy.Canonical(c.DecisionPath); err != nil || c.DecisionPath == "/" {
			return at("decision_path", "%q is not a canonical path", c.DecisionPath)
		}
	}
	if _, ok := api.ProxyConventionNamed(c.DecisionProxy); !ok {
		return at("decision_proxy", "%q is not a proxy authgate knows (%s)", c.DecisionProxy, proxyNames())
	}
	if fl := c.FailureLimit; fl.PerCredential <= 0 || fl.PerClient <= 0 || fl.PerAccount <= 0 || fl.Window <= 0 {
		return at("failure_limit", "per_credential, per_client, per_account and window must be positive")
	}
	if c.Basic.CacheTTL < 0 || c.Basic.CacheTTL > 10*time.Minute || c.Basic.MaxConcurrent < 0 || c.Basic.QueueTimeout < 0 {
		return at("basic", "cache_ttl must be between 0s and 10m, max_concurrent and queue_timeout not negative")
	}
	return nil
}

// validateListeners checks where the gateway and its admin API listen,
// their TLS, the client certificate a proxy forwards, and the instance
// name.
func (c *Config) validateListeners(at locate) error {
	if c.Admin.PProf && !loopbackAddr(c.Admin.Listen) {
		return at("admin.pprof", "the profiler is served only on a loopback admin listener (admin.listen %q is not)", c.Admin.Listen)
	}
	if c.Admin.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Admin.Listen); err != nil || c.Admin.Listen == c.Listen {
			return at("admin.listen", "%q is not host:port, or is the gateway's own address", c.Admin.Listen)
		}
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return at("listen", "%q is not host:port", c.Listen)
	}
	if c.TLS != nil {
		if c.TLS.CertFile == "" || c.TLS.KeyFile == "" {
			return at("tls", "cert_file and key_file are both required")
		}
		switch c.TLS.ClientAuth {
		case "", ClientAuthNone, ClientAuthRequest, ClientAuthRequire:
		default:
			return at("tls.client_auth", "%q is not one of none, request, require", c.TLS.ClientAuth)
		}
	}
	if cc := c.ClientCertificate; cc.Header != "" || cc.Format != "" {
		switch {
		case !challenge.IsToken(cc.Header) || strings.EqualFold(cc.Header, "Authorization"):
			return at("client_certificate.header", "%q is not a usable header name", cc.Header)
		case cc.Format != CertFormatNginx && cc.Format != CertFormatEnvoy:
			return at("client_certificate.format", "%q is not one of nginx ($ssl_client_escaped_cert), envoy (X-Forwarded-Client-Cert)", cc.Format)
		}
	}
	if len(c.Instance) > 64 || strings.IndexFunc(c.Instance, func(r rune) bool { return r < 0x21 || r > 0x7e }) >= 0 {
		return at("instance", "use at most 64 visible ASCII characters")
	}
	return nil
}

// validateFingerprintKey checks that fingerprint_key is given once.
func (c *Config) validateFingerprintKey(at locate) error {
	return checkSecret(c.FingerprintKey, c.FingerprintKeyFile, "fingerprint_key", at)
}

// validateIssuers checks each issuer, that its name is its own, and that
// admin.issuers names issuers.
func (c *Config) validateIssuers(at locate) error {
	names := map[string]bool{}
	for i, is := range c.Issuers {
		p := fmt.Sprintf("issuers[%d]", i)
		if err := validateIssuer(is, p, at); err != nil {
			return err
		}
		if names[is.Name] {
			return at(p+".name", "issuer name %q is used twice", is.Name)
		}
		names[is.Name] = true
	}
	for i, name := range c.Admin.Issuers {
		if !names[name] {
			return at(fmt.Sprintf("admin.issuers[%d]", i), "%q is not the name of an issuer", name)
		}
	}
	return nil
}

// validateRoutes checks that a gateway has routes and a service none, and
// each route, with a name of its own.
func (c *Config) validateRoutes(at locate) error {
	switch {
	case c.service && len(c.Routes) > 0:
		return at("routes", "a service routes its own requests: leave routes to the gateway, and give each handler its rule in code (middleware Require)")
	case !c.service && len(c.Routes) == 0:
		return at("routes", "at least one route is required")
	}
	routes := map[string]bool{}
	for i, r := range c.Routes {
		p := fmt.Sprintf("routes[%d]", i)
		if err := c.validateRoute(r, p, at); err != nil {
			return err
		}
		if routes[r.Name] {
			return at(p+".name", "route name %q is used twice", r.Name)
		}
		routes[r.Name] = true
	}
	return nil
}

// checkShadowing refuses a route that can never match because an earlier
// one takes every request it would: a public /v1/* before /v1/admin/*
// would leave the admin paths open. Put the more specific route first.
func (c *Config) checkShadowing(at locate) error {
	compiled := make([]*policy.Route, len(c.Routes))
	index := map[*policy.Route]int{}
	for i, r := range c.Routes {
		rt, err := policy.NewRoute(r.Name, r.Methods, r.Path, r.Public, r.Schemes, r.ScopesAll, r.ScopesAny, r.APIKeyQuery)
		if err != nil {
			return at(fmt.Sprintf("routes[%d].path", i), "%v", err)
		}
		rt.Hosts = r.Hosts
		compiled[i], index[rt] = rt, i
	}
	hidden, by := policy.Shadowed(compiled)
	if hidden == nil {
		return nil
	}
	what := "it can never match"
	if by.Public && !hidden.Public {
		what = "its requests would be served without authentication"
	}
	return at(fmt.Sprintf("routes[%d]", index[hidden]), "route %q (%s) is shadowed by the earlier route %q (%s): %s; put the more specific route first",
		hidden.Name, hidden.Path, by.Name, by.Path, what)
}

func (c *Config) validateStore(at locate) error {
	st := &c.Store
	switch st.Driver {
	case DriverSQLite:
		if st.DSN != "" || st.DSNFile != "" {
			return at("store.dsn", "the sqlite store lives in data_dir and takes no dsn")
		}
	case DriverPostgres:
		if err := checkSecret(st.DSN, st.DSNFile, "store.dsn", at); err != nil {
			return err
		}
		if st.DSN == "" && st.DSNFile == "" {
			return at("store.dsn", "the postgres store needs dsn (or dsn_file), e.g. postgres://authgate@db:5432/authgate")
		}
	default:
		return at("store.driver", "%q is not one of sqlite, postgres", st.Driver)
	}
	if st.Migrate != MigrateAuto && st.Migrate != MigrateNever {
		return at("store.migrate", "%q is not one of auto, never", st.Migrate)
	}
	if st.MaxConns < 0 || st.MaxConns > 1000 {
		return at("store.max_conns", "must be between 0 (default 8) and 1000")
	}
	if st.QueryTimeout < 100*time.Millisecond || st.QueryTimeout > time.Minute {
		return at("store.query_timeout", "must be between 100ms and 1m (default %s): every request that needs the store may wait this long", store.DefaultQueryTimeout)
	}
	if st.Heartbeat < 100*time.Millisecond || st.Heartbeat > time.Minute {
		return at("store.heartbeat", "must be between 100ms and 1m (default %s): a stream silent for three of them is lost", store.DefaultHeartbeat)
	}
	return nil
}

func (c *Config) validateRateLimits(at locate) error {
	rl := &c.RateLimits
	switch {
	case rl.Backend != BackendLocal && rl.Backend != BackendRedis:
		return at("rate_limits.backend", "%q is not one of local, redis", rl.Backend)
	case rl.QuotaOnError != FailOpen && rl.QuotaOnError != FailClosed:
		return at("rate_limits.quota_on_error", "%q is not one of fail_open, fail_closed", rl.QuotaOnError)
	}
	return validateRedis(&rl.Redis, rl.Backend == BackendRedis, at)
}

// DefaultRedisAddr is the Redis of the redis backend when none is named.
const DefaultRedisAddr = "127.0.0.1:6379"

// validateRedis checks rate_limits.redis: each secret given once, and
// when used one way to find Redis, every address host:port.
func validateRedis(r *Redis, used bool, at locate) error {
	const p = "rate_limits.redis"
	if err := checkSecret(r.Password, r.PasswordFile, p+".password", at); err != nil {
		return err
	}
	if s := r.Sentinel; s != nil {
		if err := checkSecret(s.Password, s.PasswordFile, p+".sentinel.password", at); err != nil {
			return err
		}
	}
	if !used {
		return nil
	}
	switch {
	case r.Sentinel != nil && (r.Addr != "" || len(r.Addrs) > 0 || r.Cluster):
		return at(p+".sentinel", "sentinel finds the primary itself: give no addr, addrs or cluster with it")
	case r.Sentinel != nil && (r.Sentinel.Master == "" || len(r.Sentinel.Addrs) == 0):
		return at(p+".sentinel", "needs master (the name the sentinels know the primary by) and addrs (the sentinels)")
	case r.Addr != "" && len(r.Addrs) > 0:
		return at(p+".addrs", "give addr (one server or a cluster's configuration endpoint) or addrs (a cluster's nodes), not both")
	case len(r.Addrs) > 0 && !r.Cluster:
		return at(p+".addrs", "several addresses are a cluster's nodes: set cluster: true (for a primary with replicas, use sentinel)")
	case r.Cluster && r.DB != 0:
		return at(p+".db", "Redis Cluster has database 0 only")
	}
	addrs, key := r.Addrs, p+".addrs"
	switch {
	case r.Sentinel != nil:
		addrs, key = r.Sentinel.Addrs, p+".sentinel.addrs"
	case r.Addr != "":
		addrs, key = []string{r.Addr}, p+".addr"
	}
	for i, a := range addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			if key != p+".addr" {
				return at(fmt.Sprintf("%s[%d]", key, i), "%q is not host:port", a)
			}
			return at(key, "%q is not host:port", a)
		}
	}
	return nil
}

// validateIssuer checks that each secret of issuer is given once; the
// issuer checks the rest of itself when load provisions it.
func validateIssuer(is *jwt.IssuerConfig, p string, at locate) error {
	if err := checkSecret(is.Secret, is.SecretFile, p+".secret", at); err != nil {
		return err
	}
	if in := is.Introspection; in != nil {
		return checkSecret(in.ClientSecret, in.ClientSecretFile, p+".introspection.client_secret", at)
	}
	return nil
}

func (c *Config) validateRoute(r *Route, p string, at locate) error {
	if r.Name == "" {
		return at(p, "name is required")
	}
	if strings.HasPrefix(r.Name, ReservedRoutePrefix) {
		return at(p+".name", "route names starting with %q are authgate's own labels (_admin, _internal, _unmatched in metrics, logs and spans); choose another", ReservedRoutePrefix)
	}
	if !jwt.ValidDPoPMode(r.DPoP) {
		return at(p+".dpop", "%q: use off, allowed or required", r.DPoP)
	}
	if r.Path == "" {
		return at(p, "path is required")
	}
	if _, err := policy.CompilePattern(r.Path); err != nil {
		return at(p+".path", "%v", err)
	}
	for i, m := range r.Methods {
		if !challenge.IsToken(m) {
			return at(fmt.Sprintf("%s.methods[%d]", p, i), "%q is not a method name", m)
		}
	}
	if r.Public {
		if len(r.ScopesAll)+len(r.ScopesAny)+len(r.Schemes) > 0 {
			return at(p+".public", "a public route takes no schemes or scopes")
		}
	} else {
		for i, s := range r.Schemes {
			if _, ok := credential.LookupScheme(s); !ok {
				return at(fmt.Sprintf("%s.schemes[%d]", p, i), "%q is not a supported scheme (%s)", s, strings.Join(credential.SchemeNames(), ", "))
			}
			if s == jwt.SchemeName && len(c.Issuers) == 0 {
				return at(p+".schemes", "bearer (the default scheme) needs at least one entry under issuers; or give the route other schemes or public: true")
			}
		}
		if r.APIKeyQuery != "" && !slices.Contains(r.Schemes, apikey.SchemeName) {
			return at(p+".api_key_query", "needs apikey among the route's schemes")
		}
	}
	if err := validateCORS(r.CORS, p+".cors", at); err != nil {
		return err
	}
	if r.Upstream == "" {
		return at(p, "upstream (the URL requests are proxied to) is required")
	}
	if !isHTTPURL(r.Upstream) {
		return at(p+".upstream", "%q is not an http(s) URL", r.Upstream)
	}
	if q := r.Quota; q != nil && (q.Requests <= 0 || q.Per <= 0 || q.Per > 24*time.Hour || r.Public) {
		return at(p+".quota", "requests and per must be positive (per at most 24h), and a public route has no identity to count")
	}
	for i, h := range r.Hosts {
		if !hostPattern.MatchString(h) {
			return at(fmt.Sprintf("%s.hosts[%d]", p, i), "%q is not a lower-case host name or *.domain pattern (no port)", h)
		}
	}
	for key, rules := range map[string][]policy.ClaimRule{"claims_all": r.ClaimsAll, "claims_any": r.ClaimsAny} {
		for i, rule := range rules {
			if err := rule.Validate(); err != nil {
				return at(fmt.Sprintf("%s.%s[%d]", p, key, i), "%v", err)
			}
		}
	}
	if r.MaxAge < 0 || (r.MaxAge > 0 || len(r.ACRValues) > 0) && r.Public {
		return at(p+".max_age", "max_age must not be negative, and a public route has no token to step up")
	}
	for key, cidrs := range map[string][]string{"allow_cidrs": r.AllowCIDRs, "deny_cidrs": r.DenyCIDRs} {
		if _, err := policy.ParseNetworks(cidrs); err != nil {
			return at(p+"."+key, "%v", err)
		}
	}
	if r.MaxBodyBytes < 0 {
		return at(p+".max_body_bytes", "must not be negative (0: the gateway's max_body_bytes)")
	}
	switch {
	case r.UpstreamH2C && !strings.HasPrefix(strings.ToLower(r.Upstream), "http://"):
		return at(p+".upstream_h2c", "is for http:// upstreams; %q negotiates HTTP/2 by itself (ALPN): remove upstream_h2c", r.Upstream)
	case r.UpstreamH2C && r.WebSocket:
		return at(p+".upstream_h2c", "cannot go with websocket: true (an upgrade needs HTTP/1.1 to the upstream); give the WebSocket paths a route of their own")
	}
	if r.UpstreamTimeout < 0 {
		return at(p+".upstream_timeout", "must be positive")
	}
	return nil
}

// checkSecret refuses a secret given both inline and through its *_file
// twin (load reads the file).
func checkSecret(inline, file, key string, at locate) error {
	if inline != "" && file != "" {
		return at(key, "give %s or %s_file, not both", key[strings.LastIndex(key, ".")+1:], key[strings.LastIndex(key, ".")+1:])
	}
	return nil
}

func validateCORS(c *CORS, p string, at locate) error {
	if c == nil {
		return nil
	}
	if len(c.AllowedOrigins) == 0 {
		return at(p+".allowed_origins", "at least one origin is required")
	}
	for i, o := range c.AllowedOrigins {
		if o == "*" {
			if c.AllowCredentials {
				return at(p+".allow_credentials", "a wildcard origin is never combined with credentials (Fetch standard)")
			}
			continue
		}
		u, err := url.Parse(strings.Replace(o, "*.", "x.", 1))
		if err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" || strings.Count(o, "*") > 1 {
			return at(fmt.Sprintf("%s.allowed_origins[%d]", p, i), "%q is not an origin (scheme://host[:port], at most one '*.' in the host)", o)
		}
	}
	for i, h := range c.AllowedHeaders {
		if h == "*" && c.AllowCredentials {
			return at(fmt.Sprintf("%s.allowed_headers[%d]", p, i), "'*' with credentials is not honoured by browsers; list the headers")
		}
	}
	return nil
}

// isHTTPURL reports whether s is an absolute http:// or https:// URL.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// loopbackAddr reports whether host:port listens on loopback only.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validResource: an absolute http(s) URL with no query or fragment.
func validResource(s string) bool {
	u, err := url.Parse(s)
	return err == nil && isHTTPURL(s) && u.RawQuery == "" && u.Fragment == "" && !strings.Contains(s, "#")
}

// validClaimHeaders: header-name suffixes mapped to non-empty claims.
func validClaimHeaders(m map[string]string) bool {
	for suffix, claim := range m {
		if !challenge.IsToken(suffix) || strings.ContainsAny(suffix, "_.") || strings.TrimSpace(claim) == "" {
			return false
		}
	}
	return true
}

// hostPattern: a lower-case host name, or one wildcard label before a
// domain (*.example.com).
var hostPattern = regexp.MustCompile(`^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)

// proxyNames lists the values decision_proxy takes.
func proxyNames() string {
	names := make([]string, len(api.ProxyConventions))
	for i, c := range api.ProxyConventions {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// ClientCAs reads client_ca_file (nil when none is named).
func (t *TLS) ClientCAs() (*x509.CertPool, error) {
	if t.ClientCAFile == "" {
		return nil, nil
	}
	data, err := os.ReadFile(t.ClientCAFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s holds no PEM certificate", t.ClientCAFile)
	}
	return pool, nil
}

// DPoPUsed reports whether an issuer or a route takes DPoP (allowed or
// required): only then are proofs checked and DPoP challenges offered.
func (c *Config) DPoPUsed() bool {
	on := func(m string) bool { return m == jwt.DPoPAllowed || m == jwt.DPoPRequired }
	for _, is := range c.Issuers {
		if on(is.DPoP) {
			return true
		}
	}
	for _, r := range c.Routes {
		if on(r.DPoP) {
			return true
		}
	}
	return false
}

// joined lists the members of a typed set as a message names them.
func joined[S ~string](set []S) string {
	names := make([]string, len(set))
	for i, s := range set {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}
