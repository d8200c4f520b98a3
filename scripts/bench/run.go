package main

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// target is one authgate build, ready to measure: its binary, its data
// folder (a store with one API key and one Basic user), those
// credentials, and the size of its route table.
type target struct {
	build
	exe, data  string
	key, basic string
	// routes is how many routes stand ahead of the measured ones.
	routes int
	// engine is server.engine ("" leaves the build's default).
	engine string
	// gogc is the process's GOGC ("" leaves the environment's).
	gogc string
}

// prepare builds bin and fills its store.
func (b *bench) prepare(bin build) (*target, error) {
	exe := filepath.Join(b.work, strings.NewReplacer(" ", "_", "(", "", ")", "", "~", "_", "/", "_").Replace(bin.label))
	cmd := exec.Command("go", "build", "-o", exe, "./cmd/authgate")
	cmd.Dir = bin.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build %s: %v: %s", bin.label, err, out)
	}
	t := &target{build: bin, exe: exe, data: filepath.Join(b.work, "data-"+filepath.Base(exe))}
	key, err := output(exe, "", "keys", "create", "--data-dir", t.data, "--name", "bench", "--env", "live", "--scopes", "read", "--quiet")
	if err != nil {
		return nil, err
	}
	if _, err := output(exe, "bench-password-1\n", "users", "add", "bench", "--data-dir", t.data, "--scopes", "read"); err != nil {
		return nil, err
	}
	t.key = strings.TrimSpace(key)
	t.basic = "Basic " + base64.StdEncoding.EncodeToString([]byte("bench:bench-password-1"))
	return t, nil
}

// modes are the ways a target is measured, in table order.
func (b *bench) modes(t *target) []mode {
	ms := []mode{
		{name: "public route", path: "/pub/x"},
		{name: cacheHit, path: "/jwt/x", header: bearer(b.token(nil))},
		{name: fmt.Sprintf("JWT RS256, cache off, %d tokens", b.pool), path: "/jwt/x", script: b.pool20k(), cacheOff: true},
		{name: "JWT expired (401)", path: "/jwt/x", header: bearer(b.token(map[string]any{"exp": time.Now().Add(-time.Hour).Unix()}))},
		{name: "API key", path: "/key/x", header: http.Header{"X-Api-Key": {t.key}}},
		{name: "Basic", path: "/basic/x", header: http.Header{"Authorization": {t.basic}}},
		{name: "Basic, half the connections, API keys on the other half", path: "/basic/x", header: http.Header{"Authorization": {t.basic}},
			beside: &mode{path: "/key/x", header: http.Header{"X-Api-Key": {t.key}}}},
		{name: "decision, nginx auth_request (JWT)", path: "/jwt/x", header: bearer(b.token(nil)), decision: true},
	}
	if t.h2c {
		ms = append(ms, mode{name: "JWT RS256, cache hit, upstream h2c", path: "/h2/x", header: bearer(b.token(nil))})
	}
	return ms
}

// pool20k is the token pool script, written once per run.
func (b *bench) pool20k() string {
	if b.poolFile == "" {
		b.poolFile = b.poolScript(b.pool)
	}
	return b.poolFile
}

// run measures every target in every mode (those whose name holds only),
// and the sweep, b.repeat times. Each round measures the nginx baseline,
// then each mode for every target in turn, so a machine that gets busier
// or quieter during the run weighs on all of them alike; the table has
// each row's medians.
func (b *bench) run(targets []*target, only string) ([]row, error) {
	type server struct {
		pid  int
		addr string
	}
	servers := map[string]server{} // by target label and cacheOff
	defer func() {
		for _, s := range b.running {
			stop(s)
		}
		b.running = nil
	}()
	serverOf := func(t *target, cacheOff bool) (server, error) {
		k := fmt.Sprint(t.label, cacheOff)
		if s, ok := servers[k]; ok {
			return s, nil
		}
		proc, addr, err := b.serve(t, cacheOff)
		if err != nil {
			return server{}, err
		}
		b.running = append(b.running, proc)
		servers[k] = server{proc.Process.Pid, addr}
		return servers[k], nil
	}
	var order []string
	measured := map[string][]row{}
	add := func(r row) {
		if _, ok := measured[r.name]; !ok {
			order = append(order, r.name)
		}
		measured[r.name] = append(measured[r.name], r)
	}
	modes := map[*target][]mode{} // signed once: the same tokens in every round
	for _, t := range targets {
		modes[t] = b.modes(t)
	}
	for range b.repeat {
		add(b.nginxBaseline())
		if b.floor != "" {
			r, err := b.floorRow(floorName(0))
			if err != nil {
				return nil, err
			}
			add(r)
		}
		if b.o2p != "" && strings.Contains(cacheHit, only) {
			r, err := b.oauth2Proxy(b.o2p)
			if err != nil {
				return nil, err
			}
			add(r)
		}
		for i := range modes[targets[len(targets)-1]] {
			for _, t := range targets {
				ms := modes[t]
				if i >= len(ms) || !strings.Contains(ms[i].name, only) {
					continue
				}
				m := ms[i]
				s, err := serverOf(t, m.cacheOff)
				if err != nil {
					return nil, err
				}
				name := t.label + ": " + m.name
				if m.decision {
					if err := b.runNginx(s.addr); err != nil {
						return nil, err
					}
					add(b.wrk(name, fmt.Sprintf("http://127.0.0.1:%d%s", b.front, m.path), m.header, m.script, s.pid, b.nginx.Process.Pid))
					continue
				}
				if m.beside != nil {
					add(b.wrkBeside(name, "http://"+s.addr, m, s.pid))
					continue
				}
				add(b.wrk(name, "http://"+s.addr+m.path, m.header, m.script, s.pid))
			}
		}
		if err := b.sweepRound(targets, only, add); err != nil {
			return nil, err
		}
	}
	rows := make([]row, 0, len(order))
	for _, name := range order {
		rows = append(rows, median(measured[name]))
	}
	return rows, nil
}

// sweepRound measures the JWT cache hit at each sweep connection count,
// over HTTP/1.1 and (where the build has it) h2c to the upstream, each on
// an authgate of its own so its RSS is that load's alone.
func (b *bench) sweepRound(targets []*target, only string, add func(row)) error {
	if !strings.Contains(cacheHit, only) {
		return nil
	}
	for _, c := range b.sweep {
		saved := b.conns
		b.conns = c
		if b.nginxFront != "" {
			if err := b.runNginx(""); err != nil {
				return err
			}
		}
		add(b.nginxRow(sweepNginx(c)))
		if b.floor != "" {
			r, err := b.floorRow(floorName(c))
			if err != nil {
				return err
			}
			add(r)
		}
		b.conns = saved
		for _, what := range []struct{ suffix, path string }{{"", "/jwt/x"}, {", upstream h2c", "/h2/x"}} {
			for _, t := range targets {
				if what.suffix != "" && !t.h2c {
					continue
				}
				proc, addr, err := b.serve(t, false)
				if err != nil {
					return err
				}
				saved := b.conns
				b.conns = c
				add(b.wrk(sweepName(t.label, what.suffix, c), "http://"+addr+what.path, bearer(b.token(nil)), "", proc.Process.Pid))
				b.conns = saved
				stop(proc)
			}
		}
	}
	return nil
}

// cacheHit names the JWT cache-hit mode, which the sweep repeats.
const cacheHit = "JWT RS256, cache hit"

// sweepName names the sweep's row of label at c connections (suffix: the
// upstream protocol); sweepNginx, nginx's at c.
func sweepName(label, suffix string, c int) string {
	return fmt.Sprintf("%s: %s%s, c%d", label, cacheHit, suffix, c)
}

func sweepNginx(c int) string { return fmt.Sprintf("nginx → upstream, c%d", c) }

// median is the row of the medians of rs's measurements (each column on
// its own); non-2xx answers are the median count too.
func median(rs []row) row {
	out := rs[0]
	pick := func(f func(r row) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	out.rps = pick(func(r row) float64 { return r.rps })
	out.p50 = pick(func(r row) float64 { return r.p50 })
	out.p99 = pick(func(r row) float64 { return r.p99 })
	out.cpuPerReq = pick(func(r row) float64 { return r.cpuPerReq })
	out.alsoCPU = pick(func(r row) float64 { return r.alsoCPU })
	out.rssMiB = pick(func(r row) float64 { return r.rssMiB })
	out.rssFileMiB = pick(func(r row) float64 { return r.rssFileMiB })
	out.non2xx = int(pick(func(r row) float64 { return float64(r.non2xx) }))
	return out
}

// rounds says how the table's figures were taken.
func (b *bench) rounds() string {
	if b.repeat == 1 {
		return "one round"
	}
	return fmt.Sprintf("medians of %d interleaved rounds", b.repeat)
}

// wrkBeside measures m while a second wrk sends m.beside's requests to the
// same authgate for the same time, each with half the connections (so the
// load is the other rows'): the latency is m's alone; CPU per request and
// non-2xx answers count both loads.
func (b *bench) wrkBeside(name, base string, m mode, pid int) row {
	saved := b.conns
	b.conns = max(saved/2, 1)
	defer func() { b.conns = saved }()
	beside := make(chan row, 1)
	go func() {
		beside <- b.wrkRun(base+m.beside.path, m.beside.header, m.beside.script)
	}()
	r := b.wrk(name, base+m.path, m.header, m.script, pid)
	o := <-beside
	if total := r.requests + o.requests; total > 0 {
		r.cpuPerReq = r.cpuPerReq * float64(r.requests) / float64(total)
	}
	r.non2xx += o.non2xx
	return r
}
