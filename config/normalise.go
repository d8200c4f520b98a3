package config

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/store"
)

// normalise fills the defaults that depend on other settings and writes
// values in the form the gateway compares: paths resolved against the
// file's folder, method names upper-case, schemes and CORS headers
// lower-case. It refuses nothing and reads no file: a value it cannot
// put in form is left as written, for validate to name.
func (c *Config) normalise() {
	c.resolve(&c.DataDir)
	if t := c.TLS; t != nil {
		c.resolve(&t.CertFile, &t.KeyFile, &t.ClientCAFile)
	}
	c.normaliseStore()
	c.normaliseConsole()
	c.normaliseRedis(&c.RateLimits.Redis, c.RateLimits.Backend == BackendRedis)
	c.normaliseExtAuthz()
	for _, r := range c.Routes {
		normaliseRoute(r)
	}
}

// normaliseStore fills the store's query timeout and heartbeat defaults.
func (c *Config) normaliseStore() {
	if c.Store.QueryTimeout == 0 {
		c.Store.QueryTimeout = store.DefaultQueryTimeout
	}
	if c.Store.Heartbeat == 0 {
		c.Store.Heartbeat = store.DefaultHeartbeat
	}
}

// normaliseRedis resolves rate_limits.redis's TLS files and, when Redis is
// used, names the default server when none is given and puts a cluster's
// key prefix in a hash tag.
func (c *Config) normaliseRedis(r *Redis, used bool) {
	if t := r.TLS; t != nil {
		c.resolve(&t.CAFile, &t.CertFile, &t.KeyFile)
	}
	if !used {
		return
	}
	if r.Sentinel == nil && r.Addr == "" && len(r.Addrs) == 0 {
		r.Addr = DefaultRedisAddr
	}
	if r.Cluster && !strings.Contains(r.Prefix, "{") {
		// One hash tag for every key: the scripts that take several
		// budgets at once need them on one node.
		r.Prefix = "{" + r.Prefix + "}"
	}
}

// normaliseRoute upper-cases the route's methods, gives a route that is
// not public the default scheme (bearer) and lower-cases its schemes, and
// fills its CORS and upstream timeout defaults.
func normaliseRoute(r *Route) {
	for i, m := range r.Methods {
		if challenge.IsToken(m) {
			r.Methods[i] = strings.ToUpper(m)
		}
	}
	if !r.Public {
		if len(r.Schemes) == 0 {
			r.Schemes = []string{jwt.SchemeName}
		}
		for i, s := range r.Schemes {
			r.Schemes[i] = strings.ToLower(s)
		}
	}
	if r.CORS != nil {
		normaliseCORS(r.CORS)
	}
	if r.UpstreamTimeout == 0 {
		r.UpstreamTimeout = DefaultUpstreamTimeout
	}
}

// normaliseCORS fills a route's CORS defaults (GET, HEAD and POST; the
// Authorization and Content-Type headers; 10 minutes of preflight cache)
// and writes methods upper-case, headers lower-case.
func normaliseCORS(c *CORS) {
	if len(c.AllowedMethods) == 0 {
		c.AllowedMethods = []string{"GET", "HEAD", "POST"}
	}
	for i, m := range c.AllowedMethods {
		c.AllowedMethods[i] = strings.ToUpper(m)
	}
	if len(c.AllowedHeaders) == 0 {
		c.AllowedHeaders = []string{"authorization", "content-type"}
	}
	for i, h := range c.AllowedHeaders {
		c.AllowedHeaders[i] = strings.ToLower(h)
	}
	if c.MaxAge == 0 {
		c.MaxAge = 10 * time.Minute
	}
}

// resolve resolves each path given against the configuration file's
// folder (an empty one stays empty: validate says it is missing).
func (c *Config) resolve(paths ...*string) {
	for _, p := range paths {
		if *p != "" {
			*p = c.relative(*p)
		}
	}
}

// relative resolves a path against the configuration file's folder.
func (c *Config) relative(p string) string {
	if filepath.IsAbs(p) || c.File == "" {
		return p
	}
	return filepath.Join(filepath.Dir(c.File), p)
}
