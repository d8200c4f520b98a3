// Command bench is authgate's load harness: it starts nginx (the
// baseline, and the auth_request front for decision mode), authgate in
// each mode, and a JWKS server, runs wrk against each with fixed
// settings, reads each server's CPU time (utime+stime of its process
// tree) and RSS from /proc, and prints one table with the ratios to
// nginx measured in the same run. With -before REV it builds that commit
// too and measures both binaries in the same run; with -write it replaces
// the generated table of docs/performance.md.
//
//	go run ./scripts/bench                     # 10 s per mode
//	go run ./scripts/bench -duration 2s        # the CI smoke run
//	go run ./scripts/bench -before HEAD~5 -write docs/performance.md
//
// Needs nginx and wrk (apt-get install nginx-light wrk). Every run is
// bounded by -duration; everything listens on loopback.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/authgate/authgate/credential/jwt"
)

// The wrk connection count also raises nginx's and authgate's limits
// below: worker_connections 4096, authgate's max_connections_per_client.

func main() {
	duration := flag.Duration("duration", 10*time.Second, "length of each wrk run")
	conns := flag.Int("c", 32, "wrk connections")
	threads := flag.Int("t", 2, "wrk threads")
	pool := flag.Int("pool", 20000, "distinct tokens for the uncached JWT mode")
	before := flag.String("before", "", "also build and measure this git revision, in the same run")
	write := flag.String("write", "", "replace the generated table in this markdown file")
	only := flag.String("only", "", "run only the modes whose name contains this")
	routes := flag.Int("routes", 0, "also measure this build with this many routes ahead of the measured ones (a big route table), beside it")
	sweep := flag.String("sweep", "", "also run the JWT cache-hit mode, and nginx, at these connection counts (16,64,1024)")
	o2p := flag.String("oauth2-proxy", "", "an oauth2-proxy binary to measure in the same run (Bearer JWTs, --skip-jwt-bearer-tokens)")
	keys := flag.Int("keys", 0, "also measure API keys with this many keys in the store (against a store of -pool keys), sent from a pool of -pool keys")
	repeat := flag.Int("repeat", 1, "measure every row this many times, interleaved (baseline, then each mode for each build in turn), and report the medians")
	profile := flag.String("profile", "", "write a CPU and a heap profile of each authgate mode into this folder (admin.pprof on a loopback admin listener)")
	engines := flag.String("engines", "standard,fast", "measure this build on each of these HTTP engines (server.engine), beside each other")
	idle := flag.Int("idle", 0, "also hold this many idle keep-alive connections (one request each) to nginx and each build, and report their RSS (raise ulimit -n)")
	gogc := flag.String("gogc", "", "also measure the last build on its last engine with each of these GOGC values (200,400), beside it")
	floor := flag.Bool("floor", false, "also measure a minimal fasthttp proxy (scripts/bench/floor: the fast engine's floor) beside nginx, and at each -sweep count")
	flag.Parse()
	var gogcs []string
	for _, v := range strings.Split(*gogc, ",") {
		if v = strings.TrimSpace(v); v != "" {
			// Go takes a bad GOGC silently as 100: the row would be
			// misnamed.
			if n, err := strconv.Atoi(v); v != "off" && (err != nil || n < 0) {
				log.Fatalf("-gogc: %q is not a percentage (a whole number ≥ 0) nor off", v)
			}
			gogcs = append(gogcs, v)
		}
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		log.Fatal("wrk is not installed (apt-get install wrk)")
	}
	b, err := newBench(*duration, *conns, *threads, *pool)
	if err != nil {
		log.Fatal(err)
	}
	b.keys, b.profile, b.repeat, b.o2p = *keys, *profile, max(*repeat, 1), *o2p
	if *floor {
		if b.floor, err = b.buildFloor(); err != nil {
			log.Fatal(err)
		}
	}
	if b.profile != "" {
		if err := os.MkdirAll(b.profile, 0o755); err != nil {
			log.Fatal(err)
		}
	}
	for _, c := range strings.Split(*sweep, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(c)); err == nil && n > 0 {
			b.sweep = append(b.sweep, n)
		}
	}
	defer b.close()
	bins := []build{{"authgate", ".", true}}
	if *before != "" {
		dir, err := b.worktree(*before)
		if err != nil {
			log.Fatal(err)
		}
		bins = append([]build{{"before (" + *before + ")", dir, false}}, bins...)
	}
	var targets []*target
	for _, bin := range bins {
		t, err := b.prepare(bin)
		if err != nil {
			log.Fatal(err)
		}
		targets = append(targets, t)
	}
	if *engines != "" {
		// This build once per engine. The fast engine does not serve
		// configurations with upstream_h2c routes: no h2c modes there.
		this := targets[len(targets)-1]
		targets = targets[:len(targets)-1]
		for _, engine := range strings.Split(*engines, ",") {
			t := *this
			t.engine = strings.TrimSpace(engine)
			t.label = fmt.Sprintf("%s (%s)", this.label, t.engine)
			t.h2c = this.h2c && t.engine != "fast"
			targets = append(targets, &t)
		}
	}
	if *routes > 0 {
		t := *targets[len(targets)-1]
		t.label = fmt.Sprintf("%s, %d routes ahead", t.label, *routes)
		t.routes = *routes
		targets = append(targets, &t)
	}
	base := targets[len(targets)-1]
	for _, v := range gogcs {
		t := *base
		t.label = fmt.Sprintf("%s, GOGC=%s", t.label, v)
		t.gogc = v
		targets = append(targets, &t)
	}
	rows, err := b.run(targets, *only)
	if err != nil {
		log.Fatal(err)
	}
	if b.keys > 0 && strings.Contains("API keys in the store", *only) {
		for _, t := range targets {
			rs, err := b.keyStores(t)
			if err != nil {
				log.Fatal(err)
			}
			rows = append(rows, rs...)
		}
	}
	if *idle > 0 {
		rows = append(rows, b.idleRows(targets, *idle)...)
	}
	table := render(rows, b)
	fmt.Print(table)
	if *write != "" {
		if err := replaceGenerated(*write, table); err != nil {
			log.Fatal(err)
		}
	}
}

// build is a source tree to build authgate from; h2c: it has the
// route option upstream_h2c (this tree), so the h2c modes run too.
type build struct {
	label, dir string
	h2c        bool
}

// row is one measured mode.
type row struct {
	name             string
	rps, p50, p99    float64 // req/s, ms
	cpuPerReq        float64 // µs of the measured server's CPU per request
	alsoCPU          float64 // µs per request of the "also" processes (nginx in decision mode)
	rssMiB           float64
	rssFileMiB       float64 // the part of rssMiB that is mapped files (the binary)
	non2xx, requests int
	baseline         bool
	// idle: a row of idle connections, which has only the RSS.
	idle bool
}

type bench struct {
	work                    string
	duration                time.Duration
	conns, threads, pool    int
	nginx                   *exec.Cmd
	nginxFront              string // authgate's address behind the auth_request front ("": none)
	upstream, direct, front int    // nginx ports
	upstreamH2C             int    // nginx's upstream speaking HTTP/2 without TLS
	key                     *rsa.PrivateKey
	keys                    int // -keys
	// repeat is how many interleaved rounds are measured.
	repeat int
	// o2p is an oauth2-proxy binary measured in each round ("" for none).
	o2p string
	// floor is the minimal fasthttp proxy's binary ("" for none).
	floor string
	// poolFile is the wrk script of the token pool (written once);
	// running are the authgate processes of the current run.
	poolFile string
	running  []*exec.Cmd
	// profile is the folder of CPU and heap profiles ("" for none);
	// adminAddr is the profiled authgate's admin listener, adminPID its
	// process (the latest served).
	profile, adminAddr string
	adminPID           int
	sweep              []int
	jwks               *http.Server
	jwksURL, issuerURL string
	closers            []func()
}

func newBench(duration time.Duration, conns, threads, pool int) (*bench, error) {
	work, err := os.MkdirTemp("", "authgate-bench-")
	if err != nil {
		return nil, err
	}
	b := &bench{work: work, duration: duration, conns: conns, threads: threads, pool: pool}
	b.key, err = rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	jwks := jwt.PublicJWKS(map[string]any{"bench": &b.key.PublicKey})
	base := "http://" + ln.Addr().String()
	// OpenID discovery too, for oauth2-proxy (its issuer is this server).
	discovery := fmt.Sprintf(`{"issuer":%q,"jwks_uri":%q,"authorization_endpoint":%q,"token_endpoint":%q,
"response_types_supported":["code"],"subject_types_supported":["public"],"id_token_signing_alg_values_supported":["RS256"]}`,
		base, base+"/jwks", base+"/authorize", base+"/token")
	b.jwks = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/.well-known/openid-configuration" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, discovery)
			return
		}
		w.Write(jwks)
	})}
	go b.jwks.Serve(ln)
	b.issuerURL, b.jwksURL = base, base+"/jwks"
	b.upstream, b.direct, b.front, b.upstreamH2C = freePort(), freePort(), freePort(), freePort()
	return b, nil
}

func (b *bench) close() {
	for i := len(b.closers) - 1; i >= 0; i-- {
		b.closers[i]()
	}
	if b.nginx != nil {
		b.nginx.Process.Signal(os.Interrupt)
		b.nginx.Wait()
	}
	b.jwks.Close()
	os.RemoveAll(b.work)
}

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// nginxConf is the nginx configuration; decide is authgate's address
// for the auth_request front ("" leaves it out).
func (b *bench) nginxConf(decide string) string {
	user := ""
	if os.Getuid() == 0 {
		user = "user root;"
	}
	front := ""
	if decide != "" {
		front = fmt.Sprintf(`
  upstream authgate { server %s; keepalive 64; }
  server {
    listen 127.0.0.1:%d;
    location = /_authgate {
      internal;
      proxy_pass http://authgate/.authgate/decide;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Original-Method $request_method;
    }
    location / {
      auth_request /_authgate;
      auth_request_set $authgate_subject $upstream_http_x_authgate_subject;
      proxy_set_header X-Authgate-Subject $authgate_subject;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass http://app;
    }
  }`, decide, b.front)
	}
	t := filepath.Join(b.work, "t")
	os.MkdirAll(t, 0o755)
	return fmt.Sprintf(`%s
daemon off;
worker_processes 1;
pid %[2]s/nginx.pid;
error_log %[2]s/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path %[3]s; proxy_temp_path %[3]s; fastcgi_temp_path %[3]s; uwsgi_temp_path %[3]s; scgi_temp_path %[3]s;
  upstream app { server 127.0.0.1:%[4]d; keepalive 256; }
  server { listen 127.0.0.1:%[4]d; location / { return 200 "ok\n"; } }
  server { listen 127.0.0.1:%[7]d http2; location / { return 200 "ok\n"; } }
  server {
    listen 127.0.0.1:%[5]d;
    location / { proxy_http_version 1.1; proxy_set_header Connection ""; proxy_pass http://app; }
  }%[6]s
}
`, user, b.work, t, b.upstream, b.direct, front, b.upstreamH2C)
}

// runNginx (re)starts nginx with the front pointing at decide.
func (b *bench) runNginx(decide string) error {
	if b.nginx != nil {
		b.nginx.Process.Signal(os.Interrupt)
		b.nginx.Wait()
	}
	conf := filepath.Join(b.work, "nginx.conf")
	if err := os.WriteFile(conf, []byte(b.nginxConf(decide)), 0o644); err != nil {
		return err
	}
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx"
	}
	b.nginx, b.nginxFront = exec.Command(bin, "-c", conf, "-p", b.work), decide
	b.nginx.Stderr = os.Stderr
	if err := b.nginx.Start(); err != nil {
		return fmt.Errorf("nginx: %w", err)
	}
	return waitHTTP(fmt.Sprintf("http://127.0.0.1:%d/", b.direct), nil)
}

func waitHTTP(url string, h http.Header) error {
	for i := 0; i < 100; i++ {
		req, _ := http.NewRequest("GET", url, nil)
		for k, v := range h {
			req.Header[k] = v
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s never answered", url)
}

func (b *bench) nginxBaseline() row {
	if err := b.runNginx(""); err != nil {
		log.Fatal(err)
	}
	r := b.nginxRow("nginx → upstream (baseline)")
	r.baseline = true
	return r
}

// nginxRow measures nginx's plain proxying as name (nginx running).
func (b *bench) nginxRow(name string) row {
	return b.wrk(name, fmt.Sprintf("http://127.0.0.1:%d/v1/x", b.direct), nil, "", b.nginx.Process.Pid)
}

// oauth2Proxy measures oauth2-proxy checking the same RS256 Bearer JWTs
// (--skip-jwt-bearer-tokens) in front of the same upstream.
func (b *bench) oauth2Proxy(bin string) (row, error) {
	port := freePort()
	secret := make([]byte, 16)
	rand.Read(secret)
	cmd := exec.Command(bin, "--http-address=127.0.0.1:"+strconv.Itoa(port), "--provider=oidc",
		"--oidc-issuer-url="+b.issuerURL, "--client-id=api", "--client-secret=bench",
		"--cookie-secret="+fmt.Sprintf("%x", secret), "--email-domain=*", "--skip-jwt-bearer-tokens=true",
		"--upstream=http://127.0.0.1:"+strconv.Itoa(b.upstream), "--request-logging=false", "--auth-logging=false",
		"--standard-logging=false", "--insecure-oidc-allow-unverified-email=true")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return row{}, err
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	tok := b.token(map[string]any{"iss": b.issuerURL, "aud": "api", "email": "bench@bench.test", "email_verified": true})
	url := fmt.Sprintf("http://127.0.0.1:%d/jwt/x", port)
	if err := waitHTTP(url, bearer(tok)); err != nil {
		return row{}, err
	}
	return b.wrk(o2pRow, url, bearer(tok), "", cmd.Process.Pid), nil
}

// buildFloor builds the minimal fasthttp proxy of -floor.
func (b *bench) buildFloor() (string, error) {
	exe := filepath.Join(b.work, "floor")
	if out, err := exec.Command("go", "build", "-o", exe, "./scripts/bench/floor").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./scripts/bench/floor: %v: %s", err, out)
	}
	return exe, nil
}

// floorRow measures the minimal fasthttp proxy in front of the same
// upstream as name, at b.conns connections, on a process of its own.
func (b *bench) floorRow(name string) (row, error) {
	port := freePort()
	cmd := exec.Command(b.floor, "-listen", "127.0.0.1:"+strconv.Itoa(port), "-upstream", "127.0.0.1:"+strconv.Itoa(b.upstream))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return row{}, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	return b.wrk(name, fmt.Sprintf("http://127.0.0.1:%d/v1/x", port), nil, "", cmd.Process.Pid), nil
}

// floorName names the minimal fasthttp proxy's row (c: its sweep count, 0
// for the main one).
func floorName(c int) string {
	if c == 0 {
		return "fasthttp minimal proxy (floor)"
	}
	return fmt.Sprintf("fasthttp minimal proxy (floor), c%d", c)
}

// o2pRow names oauth2-proxy's row.
const o2pRow = "oauth2-proxy: JWT RS256 (bearer)"

// worktree checks rev out into a temporary git worktree.
func (b *bench) worktree(rev string) (string, error) {
	dir := filepath.Join(b.work, "before")
	out, err := exec.Command("git", "worktree", "add", "--detach", dir, rev).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git worktree add %s: %v: %s", rev, err, out)
	}
	b.closers = append(b.closers, func() { exec.Command("git", "worktree", "remove", "--force", dir).Run() })
	return dir, nil
}

// mode is one way authgate is measured.
type mode struct {
	name, path string
	header     http.Header
	script     string // a wrk Lua script, for token pools
	decision   bool   // through nginx auth_request
	cacheOff   bool   // an authgate with the token cache off
	// beside is another load sent to the same authgate at the same time.
	beside *mode
}

func (b *bench) token(claims map[string]any) string {
	c := map[string]any{"iss": "https://bench.test", "aud": "api", "sub": "bench", "scope": "read",
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
	for k, v := range claims {
		c[k] = v
	}
	tok, err := jwt.Sign("RS256", b.key, map[string]any{"kid": "bench", "typ": "at+jwt"}, c)
	if err != nil {
		log.Fatal(err)
	}
	return tok
}

// poolScript writes a wrk script that sends a different token on each
// request, round robin over n tokens.
func (b *bench) poolScript(n int) string {
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = "Bearer " + b.token(map[string]any{"jti": strconv.Itoa(i)})
	}
	return b.headerPool("Authorization", tokens, "pool.lua")
}

func bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

// keyStores measures API keys sent from a pool of b.pool distinct keys
// (so the store is read: its cache holds fewer), against a store of
// exactly those keys and one of b.keys.
func (b *bench) keyStores(t *target) ([]row, error) {
	exe, label := t.exe, t.label
	var rows []row
	for _, n := range []int{b.pool, b.keys} {
		data := filepath.Join(b.work, fmt.Sprintf("keys-%d-%s", n, filepath.Base(exe)))
		pool, err := fillKeys(data, n, b.pool)
		if err != nil {
			return nil, err
		}
		script := b.headerPool("X-Api-Key", pool, fmt.Sprintf("keys-%d.lua", n))
		proc, addr, err := b.serve(&target{exe: exe, data: data}, false)
		if err != nil {
			return nil, err
		}
		rows = append(rows, b.wrk(fmt.Sprintf("%s: API key, %d keys in the store, %d-key pool", label, n, b.pool),
			"http://"+addr+"/key/x", http.Header{"X-Api-Key": {pool[0]}}, script, proc.Process.Pid))
		stop(proc)
	}
	return rows, nil
}

// headerPool writes a wrk script that sends header with a different value
// on each request, round robin.
func (b *bench) headerPool(header string, values []string, name string) string {
	var sb strings.Builder
	sb.WriteString("local values = {\n")
	for _, v := range values {
		fmt.Fprintf(&sb, "%q,\n", v)
	}
	fmt.Fprintf(&sb, "}\nlocal i = 0\nrequest = function()\n  i = i %% #values + 1\n  wrk.headers[%q] = values[i]\n  return wrk.format(nil)\nend\n", header)
	path := filepath.Join(b.work, name)
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		log.Fatal(err)
	}
	return path
}

func output(exe, stdin string, args ...string) (string, error) {
	cmd := exec.Command(exe, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("authgate %s: %v: %s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

// config is authgate's configuration; h2c adds the route /h2/* to nginx's
// HTTP/2 upstream (for builds that have upstream_h2c).
func (b *bench) config(port int, t *target, cacheOff bool) string {
	data := t.data
	cache := ""
	if cacheOff {
		cache = "token_cache_size: -1\n"
	}
	admin := `admin: {listen: ""}`
	if b.profile != "" {
		b.adminAddr = fmt.Sprintf("127.0.0.1:%d", freePort())
		admin = fmt.Sprintf("admin: {listen: %q, pprof: true}", b.adminAddr)
	}
	doc := fmt.Sprintf(`listen: 127.0.0.1:%d
`+admin+`
data_dir: %s
log_level: warn
access_log: {sample_allowed: 0}
failure_limit: {per_credential: 1000000000, per_client: 1000000000, per_account: 1000000000, window: 1s}
server: {max_connections_per_client: 4096%s}
%sissuers:
  - {name: bench, issuer: "https://bench.test", audiences: [api], jwks_url: "%s", required_type: at+jwt}
routes:
%[7]s  - {name: pub, path: /pub/*, public: true, upstream: "http://127.0.0.1:%[6]d"}
  - {name: jwt, path: /jwt/*, schemes: [bearer], scopes_all: [read], upstream: "http://127.0.0.1:%[6]d"}
  - {name: key, path: /key/*, schemes: [apikey], scopes_all: [read], upstream: "http://127.0.0.1:%[6]d"}
  - {name: basic, path: /basic/*, schemes: [basic], scopes_all: [read], upstream: "http://127.0.0.1:%[6]d"}
`, port, data, engineSetting(t.engine), cache, b.jwksURL, b.upstream, b.routeTable(t.routes))
	if t.h2c {
		doc += fmt.Sprintf("  - {name: h2, path: /h2/*, schemes: [bearer], scopes_all: [read], upstream: \"http://127.0.0.1:%d\", upstream_h2c: true}\n", b.upstreamH2C)
	}
	path := filepath.Join(b.work, fmt.Sprintf("authgate-%d.yaml", port))
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		log.Fatal(err)
	}
	return path
}

// engineSetting is the server.engine entry for engine ("": none).
func engineSetting(engine string) string {
	if engine == "" {
		return ""
	}
	return ", engine: " + engine
}

// routeTable is n routes that the measured paths do not match, ahead of
// them in the table.
func (b *bench) routeTable(n int) string {
	var sb strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, "  - {name: extra%d, path: \"/extra/s%d/{id}/*\", schemes: [bearer], upstream: \"http://127.0.0.1:%d\"}\n", i, i, b.upstream)
	}
	return sb.String()
}

// serve starts authgate on a free port and waits until it answers.
func (b *bench) serve(t *target, cacheOff bool) (*exec.Cmd, string, error) {
	port := freePort()
	proc, err := start(t.exe, b.config(port, t, cacheOff), t.gogc)
	if err != nil {
		return nil, "", err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := waitHTTP("http://"+addr+"/.authgate/healthz", nil); err != nil {
		stop(proc)
		return nil, "", err
	}
	b.adminPID = proc.Process.Pid
	return proc, addr, nil
}

// stop ends an authgate and waits for it.
func stop(proc *exec.Cmd) {
	proc.Process.Signal(os.Interrupt)
	proc.Wait()
}

// start runs authgate serve with conf; a gogc other than "" is its GOGC.
func start(exe, conf, gogc string) (*exec.Cmd, error) {
	cmd := exec.Command(exe, "serve", "--config", conf)
	cmd.Stderr = os.Stderr
	if gogc != "" {
		cmd.Env = append(os.Environ(), "GOGC="+gogc)
	}
	return cmd, cmd.Start()
}

// wrk runs one measurement: wrk's req/s and latency, and the CPU time the
// process tree of pid spent meanwhile (and also, to report it beside,
// that of also: nginx's share in decision mode).
func (b *bench) wrk(name, url string, h http.Header, script string, pid int, also ...int) row {
	if err := waitHTTP(url, h); err != nil {
		log.Fatal(err)
	}
	cpu0 := treeCPU(pid)
	var also0 time.Duration
	for _, p := range also {
		also0 += treeCPU(p)
	}
	profiled := b.startProfile(name, pid)
	r := b.wrkRun(url, h, script)
	cpu := treeCPU(pid) - cpu0
	profiled()
	r.name = name
	if r.requests > 0 {
		r.cpuPerReq = cpu.Seconds() / float64(r.requests) * 1e6
		if len(also) > 0 {
			var alsoCPU time.Duration
			for _, p := range also {
				alsoCPU += treeCPU(p)
			}
			r.alsoCPU = (alsoCPU - also0).Seconds() / float64(r.requests) * 1e6
		}
	}
	r.rssMiB, r.rssFileMiB = treeRSS(pid)
	return r
}

// wrkRun runs wrk once against url with b's settings and returns what it
// measured (no CPU figures).
func (b *bench) wrkRun(url string, h http.Header, script string) row {
	args := []string{"-t", strconv.Itoa(b.threads), "-c", strconv.Itoa(b.conns), "-d", b.duration.String(), "--latency"}
	for k, vs := range h {
		for _, v := range vs {
			args = append(args, "-H", k+": "+v)
		}
	}
	if script != "" {
		args = append(args, "-s", script)
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.duration+30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "wrk", append(args, url)...).CombinedOutput()
	if err != nil {
		log.Fatalf("wrk %s: %v: %s", url, err, out)
	}
	return parseWrk("", string(out))
}

// startProfile takes a CPU profile of the authgate being measured for the
// length of one wrk run (when -profile is set), and returns the function
// that waits for it and then takes a heap profile and the memory
// statistics. Only an authgate is profiled (not nginx, the floor or
// oauth2-proxy).
func (b *bench) startProfile(name string, pid int) func() {
	if b.profile == "" || b.adminAddr == "" || pid != b.adminPID {
		return func() {}
	}
	file := filepath.Join(b.profile, strings.NewReplacer(" ", "_", ":", "", ",", "", "(", "", ")", "", "/", "_").Replace(name))
	base := "http://" + b.adminAddr + "/debug/pprof/"
	done := make(chan struct{})
	go func() {
		defer close(done)
		saveURL(fmt.Sprintf("%sprofile?seconds=%d", base, max(int(b.duration.Seconds())-1, 1)), file+".cpu.pprof")
	}()
	return func() {
		<-done
		saveURL(base+"heap", file+".heap.pprof")
		// The runtime's memory statistics (heap, stacks, what was
		// returned to the OS): where the RSS goes.
		saveURL(base+"heap?debug=1", file+".memstats.txt")
	}
}

// saveURL writes what url answers to path (a profile); a failure is
// reported and the run goes on.
func saveURL(url, path string) {
	resp, err := http.Get(url)
	if err != nil {
		log.Printf("profile: %v", err)
		return
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode == http.StatusOK {
		err = os.WriteFile(path, data, 0o644)
	} else if err == nil {
		err = fmt.Errorf("%s: %s", url, resp.Status)
	}
	if err != nil {
		log.Printf("profile: %v", err)
	}
}

func parseWrk(name, out string) row {
	r := row{name: name}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 2 && f[0] == "Requests/sec:":
			r.rps, _ = strconv.ParseFloat(f[1], 64)
		case len(f) >= 2 && f[0] == "50%":
			r.p50 = millis(f[1])
		case len(f) >= 2 && f[0] == "99%":
			r.p99 = millis(f[1])
		case len(f) >= 4 && f[1] == "requests" && f[2] == "in":
			r.requests, _ = strconv.Atoi(f[0])
		case len(f) >= 5 && f[0] == "Non-2xx":
			r.non2xx, _ = strconv.Atoi(f[4])
		}
	}
	return r
}

func millis(s string) float64 {
	for _, u := range []struct {
		suffix string
		ms     float64
	}{{"us", 1e-3}, {"ms", 1}, {"s", 1000}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f * u.ms
		}
	}
	return 0
}

// treeCPU is the user+system CPU time of pid and its children.
func treeCPU(pid int) time.Duration {
	total := 0.0
	for _, p := range tree(pid) {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue
		}
		f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+2:]))
		if len(f) > 12 {
			u, _ := strconv.ParseFloat(f[11], 64)
			s, _ := strconv.ParseFloat(f[12], 64)
			total += u + s
		}
	}
	return time.Duration(total / 100 * float64(time.Second)) // USER_HZ is 100 on Linux
}

// treeRSS is the resident memory of pid and its children, in MiB, and
// the part of it that is mapped files (the executable's pages, which
// the kernel may drop and load again; the rest is the process's own).
func treeRSS(pid int) (all, files float64) {
	kib := map[string]float64{}
	for _, p := range tree(pid) {
		data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", p))
		for _, line := range strings.Split(string(data), "\n") {
			name, v, _ := strings.Cut(line, ":")
			if name == "VmRSS" || name == "RssFile" {
				n, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
				kib[name] += n
			}
		}
	}
	return kib["VmRSS"] / 1024, kib["RssFile"] / 1024
}

// tree is pid and its descendants (nginx's workers).
func tree(pid int) []int {
	out := []int{pid}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return out
	}
	for _, c := range strings.Fields(string(data)) {
		if n, err := strconv.Atoi(c); err == nil {
			out = append(out, tree(n)...)
		}
	}
	return out
}

func render(rows []row, b *bench) string {
	var base row
	for _, r := range rows {
		if r.baseline {
			base = r
		}
	}
	rev, _ := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	cpuModel := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				cpuModel = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "Measured %s on %s (%d cores), commit %s, %s; wrk -t%d -c%d -d%s on loopback, everything on the same cores; %s.\n"+
		"CPU is the measured server's process tree (nginx: master and worker; authgate: its process; in decision mode authgate only, nginx's share is its baseline row).\n\n",
		time.Now().UTC().Format("2006-01-02"), cpuModel, runtime.NumCPU(), strings.TrimSpace(string(rev)), runtime.Version(), b.threads, b.conns, b.duration, b.rounds())
	sb.WriteString("| mode | req/s | p50 ms | p99 ms | CPU µs/req | × nginx CPU | RSS MiB (files) | non-2xx |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		ratio := "—"
		if base.cpuPerReq > 0 && !r.baseline {
			ratio = fmt.Sprintf("%.2f", r.cpuPerReq/base.cpuPerReq)
		}
		name := r.name
		if r.alsoCPU > 0 {
			name += fmt.Sprintf(" (nginx meanwhile: %.1f µs/req)", r.alsoCPU)
		}
		if r.idle {
			fmt.Fprintf(&sb, "| %s | — | — | — | — | — | %.0f (%.0f) | — |\n", name, r.rssMiB, r.rssFileMiB)
			continue
		}
		fmt.Fprintf(&sb, "| %s | %.0f | %.2f | %.2f | %.1f | %s | %.0f (%.0f) | %d |\n", name, r.rps, r.p50, r.p99, r.cpuPerReq, ratio, r.rssMiB, r.rssFileMiB, r.non2xx)
	}
	sb.WriteString(goals(rows))
	return sb.String()
}

// goals are the comparisons of issue #31 that the ratio column does not
// make, for each build: the JWT cache hit's p99 at 64 connections against
// nginx's at 64 (with -sweep 64), and its throughput against
// oauth2-proxy's (with -oauth2-proxy).
func goals(rows []row) string {
	byName := map[string]row{}
	for _, r := range rows {
		byName[r.name] = r
	}
	nginx64, o2p := byName[sweepNginx(64)], byName[o2pRow]
	var sb strings.Builder
	for _, r := range rows {
		label, ok := strings.CutSuffix(r.name, ": "+cacheHit)
		if !ok {
			continue
		}
		if c64 := byName[sweepName(label, "", 64)]; c64.p99 > 0 && nginx64.p99 > 0 {
			fmt.Fprintf(&sb, "- %s: p99 at c64 %.2f ms, %.2f× nginx's %.2f ms\n", label, c64.p99, c64.p99/nginx64.p99, nginx64.p99)
		}
		if o2p.rps > 0 {
			fmt.Fprintf(&sb, "- %s: %s %.0f req/s, %.1f× oauth2-proxy's %.0f\n", label, cacheHit, r.rps, r.rps/o2p.rps, o2p.rps)
		}
	}
	if sb.Len() == 0 {
		return ""
	}
	return "\n" + sb.String()
}

const (
	beginGenerated = "<!-- BEGIN generated by scripts/bench -write -->"
	endGenerated   = "<!-- END generated by scripts/bench -->"
)

func replaceGenerated(path, table string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	doc := string(data)
	i, j := strings.Index(doc, beginGenerated), strings.Index(doc, endGenerated)
	if i < 0 || j < i {
		return fmt.Errorf("%s lacks the markers %q … %q", path, beginGenerated, endGenerated)
	}
	return os.WriteFile(path, []byte(doc[:i+len(beginGenerated)]+"\n"+table+doc[j:]), 0o644)
}
