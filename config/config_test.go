package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/internal/strictyaml"
)

const base = `
listen: 127.0.0.1:9999
issuers:
  - name: corp
    issuer: https://login.example.com
    audiences: [api]
    jwks_url: https://login.example.com/jwks.json
routes:
  - name: data
    path: /v1/*
    methods: [get]
    scopes_all: [read]
    upstream: http://127.0.0.1:9000
`

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParseGood(t *testing.T) {
	cfg, err := Parse("a.yaml", []byte(base), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	is, r := cfg.Issuers[0], cfg.Routes[0]
	if *is.Leeway != jwt.DefaultLeeway || is.JWKSRefresh != jwt.DefaultJWKSRefresh || len(is.Algorithms) != 4 {
		t.Fatalf("issuer defaults: %+v", is)
	}
	if r.Methods[0] != "GET" || r.Schemes[0] != "bearer" || r.UpstreamTimeout != DefaultUpstreamTimeout {
		t.Fatalf("route defaults: %+v", r)
	}
	if cfg.Detail != "full" || cfg.MaxTokenBytes != 8192 {
		t.Fatalf("defaults: %+v", cfg)
	}
}

// TestDetailLevels: the configuration takes every detail level the
// problem writer knows (api.DetailLevels) and no other; its error names
// them all.
func TestDetailLevels(t *testing.T) {
	for _, level := range api.DetailLevels {
		cfg, err := Parse("gw.yaml", []byte(base+"detail: "+string(level)+"\n"), env(nil))
		if err != nil || cfg.Detail != level {
			t.Errorf("detail %s: %v %+v", level, err, cfg)
		}
	}
	_, err := Parse("gw.yaml", []byte(base+"detail: verbose\n"), env(nil))
	if err == nil || !strings.Contains(err.Error(), `"verbose" is not one of full, reason, none`) {
		t.Errorf("detail verbose: %v", err)
	}
	if Default().Detail != api.DetailLevels[0] {
		t.Errorf("default detail %q, want the fullest", Default().Detail)
	}
}

func TestExpansionAndSecretFiles(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "hmac"), []byte("0123456789abcdef0123456789abcdef\n"), 0o600)
	doc := `
listen: ${HOST:-127.0.0.1}:${PORT}
fingerprint_key: ${FP}
issuers:
  - name: h
    issuer: https://h
    audiences: [api]
    secret_file: hmac
    leeway: 0s
routes:
  - {name: r, path: /, upstream: "http://127.0.0.1:${PORT}", public: true}
`
	cfg, err := Parse(filepath.Join(dir, "c.yaml"), []byte(doc), env(map[string]string{"PORT": "8181", "FP": "k$y"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:8181" || cfg.FingerprintKey != "k$y" || cfg.Routes[0].Upstream != "http://127.0.0.1:8181" {
		t.Fatalf("expansion: %+v", cfg)
	}
	if string(cfg.Issuers[0].Keys[0].Secret) != "0123456789abcdef0123456789abcdef" || *cfg.Issuers[0].Leeway != 0 {
		t.Fatalf("secret_file / leeway: %+v", cfg.Issuers[0])
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, doc, key string
		line           int
	}{
		{"unknown top key", base + "liten: x\n", "liten", 14},
		{"unknown nested key", strings.Replace(base, "audiences: [api]", "audience: [api]", 1), "issuers[0].audience", 6},
		{"wrong type", base + "max_token_bytes: lots\n", "max_token_bytes", 14},
		{"header limit below 8 KiB", base + "max_header_bytes: 8191\nmax_token_bytes: 1024\n", "max_header_bytes", 14},
		{"bad duration", strings.Replace(base, "upstream: http", "upstream_timeout: soon\n    upstream: http", 1), "routes[0].upstream_timeout", 13},
		{"h2c to https", strings.Replace(base, "upstream: http://", "upstream_h2c: true\n    upstream: https://", 1), "routes[0].upstream_h2c", 13},
		{"h2c with websocket", strings.Replace(base, "upstream: http", "upstream_h2c: true\n    websocket: true\n    upstream: http", 1), "routes[0].upstream_h2c", 13},
		{"missing audiences", strings.Replace(base, "    audiences: [api]\n", "", 1), "issuers[0]", 4},
		{"two key sources", strings.Replace(base, "audiences: [api]", "audiences: [api]\n    keys_file: k.pem", 1), "issuers[0]", 4},
		{"unset variable", strings.Replace(base, "127.0.0.1:9999", "${NOPE}", 1), "listen", 2},
		{"HS256 with JWKS", strings.Replace(base, "audiences: [api]", "audiences: [api]\n    algorithms: [HS256]", 1), "issuers[0].algorithms", 7},
		{"alg none", strings.Replace(base, "audiences: [api]", "audiences: [api]\n    algorithms: [none]", 1), "issuers[0].algorithms", 7},
		{"http jwks", strings.Replace(base, "https://login.example.com/jwks", "http://login.example.com/jwks", 1), "issuers[0].jwks_url", 7},
		{"bad path", strings.Replace(base, "/v1/*", "/v1/*/x", 1), "routes[0].path", 10},
		{"bad detail", base + "detail: verbose\n", "detail", 14},
		{"duplicate key", base + "realm: a\nrealm: b\n", "realm", 15},
		{"scalar for list", strings.Replace(base, "methods: [get]", "methods: get", 1), "routes[0].methods", 11},
		{"introspection with neither endpoint nor discovery", strings.Replace(base, "jwks_url: https://login.example.com/jwks.json", "discovery: false\n    introspection: {client_id: a, client_secret: b}", 1), "issuers[0].introspection.endpoint", 8},
		{"discovery off and no key source", strings.Replace(base, "jwks_url: https://login.example.com/jwks.json", "discovery: false", 1), "issuers[0]", 4},
		{"audience claim with a space", strings.Replace(base, "audiences: [api]", "audiences: [api]\n    audience_claim: \"client id\"", 1), "issuers[0].audience_claim", 7},
		{"discovery with a key source", strings.Replace(base, "audiences: [api]", "audiences: [api]\n    discovery: true", 1), "issuers[0].discovery", 7},
		{"a route named like authgate's own label", strings.Replace(base, "name: data", "name: _admin", 1), "routes[0].name", 9},
		{"negative recent requests", base + "console: {recent_requests: -1}\n", "console.recent_requests", 14},
		{"sampling above 1", base + "console: {sample_allowed: 2}\n", "console.sample_allowed", 14},
		{"a value both admin and viewer", base + "console:\n  roles: {admin: [ops], viewer: [ops]}\n", "console.roles", 15},
		{"OIDC issuer over plain http", base + "console:\n  oidc: {issuer: http://idp.example.com, client_id: c, redirect_url: https://a.example.com/console/oidc/callback}\n", "console.oidc.issuer", 15},
		{"OIDC without client", base + "console:\n  oidc: {issuer: https://idp.example.com, redirect_url: https://a.example.com/console/oidc/callback}\n", "console.oidc.client_id", 15},
		{"OIDC redirect elsewhere", base + "console:\n  oidc: {issuer: https://idp.example.com, client_id: c, redirect_url: https://a.example.com/cb}\n", "console.oidc.redirect_url", 15},
		{"discovery over plain http", strings.Replace(strings.Replace(base, "    jwks_url: https://login.example.com/jwks.json\n", "", 1), "issuer: https://login", "issuer: http://login", 1), "issuers[0].issuer", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("gw.yaml", []byte(tt.doc), env(nil))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *config.Error", err)
			}
			if ce.File != "gw.yaml" || ce.Key != tt.key || ce.Line != tt.line {
				t.Fatalf("got %s (key %q line %d), want key %q line %d", ce, ce.Key, ce.Line, tt.key, tt.line)
			}
		})
	}
}

// TestDidYouMean: an unknown key names the closest known one (case,
// dashes, plural, or up to two edits); nothing when none is close.
func TestDidYouMean(t *testing.T) {
	for typo, want := range map[string]string{
		"liten":            `(did you mean "listen"?)`,
		"lisen":            `(did you mean "listen"?)`,
		"Max-Token-Bytes":  `(did you mean "max_token_bytes"?)`,
		"trusted_proxy":    `(did you mean "trusted_proxies"?)`,
		"api_key_header":   `(did you mean "api_key_headers"?)`,
		"completely_other": "",
	} {
		_, err := Parse("gw.yaml", []byte(base+typo+": x\n"), env(nil))
		if err == nil || want != "" && !strings.Contains(err.Error(), want) || want == "" && strings.Contains(err.Error(), "did you mean") {
			t.Errorf("%s: %v, want %s", typo, err, want)
		}
	}
	_, err := Parse("gw.yaml", []byte(strings.Replace(base, "upstream: http", "upstream_timout: 5s\n    upstream: http", 1)), env(nil))
	if err == nil || !strings.Contains(err.Error(), `(did you mean "upstream_timeout"?)`) {
		t.Errorf("upstream_timout: %v", err)
	}
}

func TestShortHMACSecretRefused(t *testing.T) {
	doc := strings.Replace(base, "jwks_url: https://login.example.com/jwks.json", "secret: short", 1)
	_, err := Parse("gw.yaml", []byte(doc), env(nil))
	var ce *Error
	if !errors.As(err, &ce) || ce.Key != "issuers[0].secret" {
		t.Fatalf("err = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(base)
	f.Add("listen: ${X:-a}\nroutes: [{name: r, path: /a/*, upstream: \"http://h\"}]\n")
	f.Fuzz(func(t *testing.T, doc string) {
		cfg, err := Parse("fuzz.yaml", []byte(doc), func(string) (string, bool) { return "v", true })
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || ce.File != "fuzz.yaml" {
				t.Fatalf("error without file: %v", err)
			}
			return
		}
		if len(cfg.Routes) == 0 {
			t.Fatal("a configuration without routes was accepted")
		}
	})
}

// TestDocsListEveryKey keeps docs/configuration.md in step with the structs.
func TestDocsListEveryKey(t *testing.T) {
	doc, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || typ.PkgPath() == "time" || seen[typ] {
			return
		}
		seen[typ] = true
		for name, f := range strictyaml.Fields(typ) {
			if !strings.Contains(string(doc), "`"+name) && !strings.Contains(string(doc), "."+name+"`") {
				t.Errorf("docs/configuration.md does not document %s (%s)", name, typ.Name())
			}
			walk(f.Type)
		}
	}
	walk(reflect.TypeOf(Config{}))
}

// TestShadowedRoutesAreRefused (each pair in both orders): a route that can never match because an
// earlier one takes all its requests is a load error naming both; the
// same routes in the specific-first order load.
func TestShadowedRoutesAreRefused(t *testing.T) {
	up := `schemes: [apikey], upstream: "http://127.0.0.1:9"`
	pub := `upstream: "http://127.0.0.1:9"`
	tests := []struct {
		name, routes, want string
	}{
		{"public subtree before admin", `
  - {name: pub, path: /v1/*, public: true, ` + pub + `}
  - {name: admin, path: /v1/admin/*, ` + up + `}`, `routes[1]: route "admin" (/v1/admin/*) is shadowed by the earlier route "pub" (/v1/*): its requests would be served without authentication`},
		{"{id} before a literal", `
  - {name: any, path: "/v1/items/{id}", ` + up + `}
  - {name: special, path: /v1/items/special, ` + up + `}`, `route "special" (/v1/items/special) is shadowed by the earlier route "any"`},
		{"all methods before GET", `
  - {name: all, path: /v1/data, ` + up + `}
  - {name: get, path: /v1/data, methods: [GET], ` + up + `}`, `route "get" (/v1/data) is shadowed by the earlier route "all"`},
		{"specific first", `
  - {name: admin, path: /v1/admin/*, ` + up + `}
  - {name: pub, path: /v1/*, public: true, ` + pub + `}`, ""},
		{"other methods", `
  - {name: get, path: /v1/data, methods: [GET], ` + up + `}
  - {name: post, path: /v1/data, methods: [POST], ` + up + `}`, ""},
		{"a host route after a route for every host", `
  - {name: all, path: /v1/*, ` + up + `}
  - {name: shop, path: /v1/*, hosts: [shop.example.com], ` + up + `}`, `route "shop" (/v1/*) is shadowed by the earlier route "all"`},
		{"the same path on two hosts", `
  - {name: shop, path: /v1/*, hosts: [shop.example.com], ` + up + `}
  - {name: tenants, path: /v1/*, hosts: ["*.example.com"], ` + up + `}`, ""},
		{"a wildcard before a name under it", `
  - {name: tenants, path: /v1/*, hosts: ["*.example.com"], ` + up + `}
  - {name: shop, path: /v1/*, hosts: [shop.example.com], ` + up + `}`, `route "shop" (/v1/*) is shadowed by the earlier route "tenants"`},
		{"GET before all methods", `
  - {name: get, path: /v1/data, methods: [GET], ` + up + `}
  - {name: all, path: /v1/data, ` + up + `}`, ""},
		{"a host route before a route for every host", `
  - {name: shop, path: /v1/*, hosts: [shop.example.com], ` + up + `}
  - {name: all, path: /v1/*, ` + up + `}`, ""},
		{"a public route for one host before a protected one for every host", `
  - {name: pub, path: /v1/*, hosts: [shop.example.com], public: true, ` + pub + `}
  - {name: all, path: /v1/*, ` + up + `}`, ""},
		{"a public route for every host before a protected one for one host", `
  - {name: all, path: /v1/*, public: true, ` + pub + `}
  - {name: shop, path: /v1/*, hosts: [shop.example.com], ` + up + `}`, `route "shop" (/v1/*) is shadowed by the earlier route "all" (/v1/*): its requests would be served without authentication`},
		{"a literal before {id}", `
  - {name: special, path: /v1/items/special, ` + up + `}
  - {name: any, path: "/v1/items/{id}", ` + up + `}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("r.yaml", []byte("admin: {listen: \"\"}\nroutes:"+tt.routes+"\n"), func(string) (string, bool) { return "", false })
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

// TestNewKeysRefuseBadValues: every key this release added refuses a bad
// value with an error naming it, file and line included.
func TestNewKeysRefuseBadValues(t *testing.T) {
	route := func(extra string) string {
		return strings.Replace(base, "upstream: http://127.0.0.1:9000", "upstream: http://127.0.0.1:9000\n    "+extra, 1)
	}
	tests := []struct{ name, doc, key string }{
		{"tracing endpoint not a URL", base + "tracing: {enabled: true, endpoint: \"collector:4318\"}\n", "tracing.endpoint"},
		{"tracing sample ratio", base + "tracing: {sample_ratio: 2}\n", "tracing.sample_ratio"},
		{"resource with a query", base + "resource: \"https://api.example.com/?x=1\"\n", "resource"},
		{"claim header name", base + "claim_headers: {\"Bad Name\": email}\n", "claim_headers"},
		{"host with a port", route("hosts: [\"api.example.com:443\"]"), "routes[0].hosts[0]"},
		{"host in upper case", route("hosts: [API.example.com]"), "routes[0].hosts[0]"},
		{"claim rule with two conditions", route("claims_all: [{claim: roles, contains: a, equals: b}]"), "routes[0].claims_all[0]"},
		{"claim rule without a claim", route("claims_any: [{contains: a}]"), "routes[0].claims_any[0]"},
		{"a CIDR that is not one", route("allow_cidrs: [10.0.0.0/33]"), "routes[0].allow_cidrs"},
		{"negative max_age", route("max_age: -1m"), "routes[0].max_age"},
		{"introspection auth", strings.Replace(base, "audiences: [api]", "audiences: [api]\n    introspection: {endpoint: \"https://idp/introspect\", client_id: a, client_secret: b, auth: magic}", 1), "issuers[0].introspection.auth"},
		{"store query timeout too short", base + "store: {query_timeout: 1ms}\n", "store.query_timeout"},
		{"store query timeout negative", base + "store: {query_timeout: -1s}\n", "store.query_timeout"},
		{"store heartbeat too long", base + "store: {heartbeat: 2m}\n", "store.heartbeat"},
		{"introspection without a secret", strings.Replace(base, "audiences: [api]", "audiences: [api]\n    introspection: {endpoint: \"https://idp/introspect\", client_id: a}", 1), "issuers[0].introspection"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("gw.yaml", []byte(tt.doc), env(nil))
			var ce *Error
			if !errors.As(err, &ce) || ce.Key != tt.key || ce.Line == 0 {
				t.Fatalf("got %v, want an error at %s with its line", err, tt.key)
			}
		})
	}
}

// TestIdentityProviderRecipes: every documented recipe in
// docs/identity-providers.md is a configuration that loads (the tested
// Hydra file, with placeholders, is run by integration TestHydra).
func TestIdentityProviderRecipes(t *testing.T) {
	doc, err := os.ReadFile("../docs/identity-providers.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(doc), "```yaml\n")[1:]
	if len(blocks) < 6 {
		t.Fatalf("%d YAML blocks, want the Hydra file and five recipes", len(blocks))
	}
	for i, b := range blocks[1:] {
		recipe := b[:strings.Index(b, "```")]
		if _, err := Parse("recipe.yaml", []byte("data_dir: "+t.TempDir()+"\n"+recipe), func(string) (string, bool) { return "", false }); err != nil {
			t.Errorf("recipe %d does not load: %v\n%s", i+1, err, recipe)
		}
	}
}

// TestRedisSettings: the ways to reach Redis (one server, a cluster, a
// primary through Sentinel) are exclusive and checked at load, with TLS
// files read then; a cluster's prefix becomes one hash tag.
func TestRedisSettings(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "not-pem"), []byte("nothing"), 0o600)
	bad := []struct{ name, redis, key string }{
		{"addr and addrs", `addr: "a:1", addrs: ["b:1"], cluster: true`, "rate_limits.redis.addrs"},
		{"addrs without cluster", `addrs: ["a:1", "b:1"]`, "rate_limits.redis.addrs"},
		{"sentinel with addr", `addr: "a:1", sentinel: {master: m, addrs: ["s:26379"]}`, "rate_limits.redis.sentinel"},
		{"sentinel without master", `sentinel: {addrs: ["s:26379"]}`, "rate_limits.redis.sentinel"},
		{"bad sentinel address", `sentinel: {master: m, addrs: ["s:26379", "nope"]}`, "rate_limits.redis.sentinel.addrs[1]"},
		{"bad node address", `addrs: ["a:1", "nope"], cluster: true`, "rate_limits.redis.addrs[1]"},
		{"cluster db", `addr: "a:1", cluster: true, db: 2`, "rate_limits.redis.db"},
		{"cert without key", `tls: {cert_file: not-pem}`, "rate_limits.redis.tls"},
		{"CA not PEM", `tls: {ca_file: not-pem}`, "rate_limits.redis.tls"},
		{"CA missing", `tls: {ca_file: missing.pem}`, "rate_limits.redis.tls"},
	}
	for _, tt := range bad {
		_, err := Parse(filepath.Join(dir, "gw.yaml"), []byte(base+"rate_limits: {backend: redis, redis: {"+tt.redis+"}}\n"), env(nil))
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != tt.key || ce.Line != 14 {
			t.Errorf("%s: %v, want key %s", tt.name, err, tt.key)
		}
	}
	for redis, want := range map[string]string{
		``:               "127.0.0.1:6379 authgate:",
		`addr: "r:6380"`: "r:6380 authgate:",
		`addrs: ["n1:7000", "n2:7000"], cluster: true`:     " {authgate:}",
		`addr: "cfg:7000", cluster: true, prefix: "{ag}:"`: "cfg:7000 {ag}:",
		`sentinel: {master: m, addrs: ["s:26379"]}`:        " authgate:",
	} {
		cfg, err := Parse("gw.yaml", []byte(base+"rate_limits: {backend: redis, redis: {"+redis+"}}\n"), env(nil))
		if err != nil {
			t.Fatalf("%s: %v", redis, err)
		}
		if got := cfg.RateLimits.Redis.Addr + " " + cfg.RateLimits.Redis.Prefix; got != want {
			t.Errorf("%s: addr and prefix %q, want %q", redis, got, want)
		}
	}
}

// TestDecisionProxyNames: every convention authgate knows loads as
// decision_proxy, ingress-nginx included; another name is refused at its
// key.
func TestDecisionProxyNames(t *testing.T) {
	for _, name := range []string{"nginx", "caddy", "traefik", "envoy", "ingress-nginx"} {
		cfg, err := Parse("gw.yaml", []byte(base+"decision_proxy: "+name+"\n"), env(nil))
		if err != nil || cfg.DecisionProxy != name {
			t.Fatalf("%s: %v", name, err)
		}
	}
	_, err := Parse("gw.yaml", []byte(base+"decision_proxy: ingress_nginx\n"), env(nil))
	var ce *Error
	if !errors.As(err, &ce) || ce.Key != "decision_proxy" {
		t.Fatalf("got %v, want an error at decision_proxy", err)
	}
}
