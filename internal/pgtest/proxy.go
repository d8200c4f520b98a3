package pgtest

import (
	"net"
	"net/url"
	"sync"
	"testing"
)

// FreezingProxy forwards TCP connections to a server and can freeze: then
// it stops forwarding in both directions without closing a socket, as a
// stalled pgbouncer or a network partition does. Connections accepted
// while frozen are held unanswered. Thaw resumes everything held.
type FreezingProxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	cond   *sync.Cond
	frozen bool
	closed bool
	conns  map[net.Conn]bool
	wg     sync.WaitGroup
}

// NewFreezingProxy starts a proxy on loopback to target (host:port),
// closed at the end of the test.
func NewFreezingProxy(t testing.TB, target string) *FreezingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &FreezingProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.cond = sync.NewCond(&p.mu)
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// ProxyDSN starts a FreezingProxy to dsn's server and returns it with dsn
// pointed at it.
func ProxyDSN(t testing.TB, dsn string) (*FreezingProxy, string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := NewFreezingProxy(t, u.Host)
	u.Host = p.Addr()
	return p, u.String()
}

// Addr is the proxy's host:port.
func (p *FreezingProxy) Addr() string { return p.ln.Addr().String() }

// Freeze stops forwarding: bytes already read wait, sockets stay open.
func (p *FreezingProxy) Freeze() {
	p.mu.Lock()
	p.frozen = true
	p.mu.Unlock()
}

// Thaw resumes forwarding.
func (p *FreezingProxy) Thaw() {
	p.mu.Lock()
	p.frozen = false
	p.mu.Unlock()
	p.cond.Broadcast()
}

// Close stops accepting and closes every connection.
func (p *FreezingProxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.cond.Broadcast()
	p.ln.Close()
	p.wg.Wait()
}

// pass waits while the proxy is frozen; false once it is closed.
func (p *FreezingProxy) pass() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.frozen && !p.closed {
		p.cond.Wait()
	}
	return !p.closed
}

// track remembers c for Close; false (and c closed) once closed.
func (p *FreezingProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

func (p *FreezingProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			return
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

// serve dials the target once the proxy is not frozen and copies both
// ways until either side closes.
func (p *FreezingProxy) serve(c net.Conn) {
	defer p.wg.Done()
	defer c.Close()
	if !p.pass() {
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil || !p.track(up) {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { p.copy(up, c); done <- struct{}{} }()
	go func() { p.copy(c, up); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	<-done
}

// copy forwards from src to dst, holding each chunk while frozen.
func (p *FreezingProxy) copy(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.pass() {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
