package app

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// caps are one listener's connection caps.
type caps struct {
	// total caps the listener's connections; perClient those of one
	// client address.
	total, perClient int
	// exempt addresses (trusted proxies, which carry many clients) count
	// only toward the total.
	exempt func(netip.Addr) bool
	// reserve more connections, past total and uncapped per client, are
	// kept for the reserved addresses (the admin listener's loopback),
	// so that they connect whatever other clients hold.
	reserve  int
	reserved func(netip.Addr) bool
}

// capListener closes, as soon as they are accepted, the connections past
// its caps, so that one client (or a flood) cannot use up the process's
// file descriptors or the listener: the gateway keeps answering other
// clients, and the admin listener — with its own caps and room left under
// the process limit — keeps accepting.
type capListener struct {
	net.Listener
	caps

	mu       sync.Mutex
	open     int
	byClient map[netip.Addr]int
}

func newCapListener(ln net.Listener, c caps) *capListener {
	return &capListener{Listener: ln, caps: c, byClient: map[netip.Addr]int{}}
}

// Accept returns the next connection within the caps.
func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := clientAddr(c)
		if l.admit(addr) {
			return &cappedConn{Conn: c, release: func() { l.release(addr) }}, nil
		}
		c.Close()
	}
}

func (l *capListener) admit(addr netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.reserved != nil && addr.IsValid() && l.reserved(addr) {
		if l.open >= l.total+l.reserve {
			return false
		}
		l.open++
		return true
	}
	if l.open >= l.total {
		return false
	}
	counted := addr.IsValid() && (l.exempt == nil || !l.exempt(addr))
	if counted && l.byClient[addr] >= l.perClient {
		return false
	}
	l.open++
	if counted {
		l.byClient[addr]++
	}
	return true
}

func (l *capListener) release(addr netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if n, ok := l.byClient[addr]; ok {
		if n <= 1 {
			delete(l.byClient, addr)
		} else {
			l.byClient[addr] = n - 1
		}
	}
}

func clientAddr(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// cappedConn gives its place back once, when closed.
type cappedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *cappedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// The admin listener's caps: 64 connections, 16 per client address, and
// 16 more kept for the local machine (127.0.0.1 and ::1), so that one
// client holding keep-alives cannot shut out metrics, readiness, the
// admin API and the console — and an operator on the host always gets
// in. Its idle keep-alives end after adminIdleTimeout.
const (
	adminConnections       = 64
	adminConnectionsClient = 16
	adminLoopbackReserve   = 16
)

// adminIdleTimeout ends the admin listener's idle keep-alives (at most
// server.idle_timeout); a variable for tests.
var adminIdleTimeout = 5 * time.Second

// adminCaps are the admin listener's caps.
func adminCaps() caps {
	return caps{total: adminConnections, perClient: adminConnectionsClient, reserve: adminLoopbackReserve, reserved: isLocalMachine}
}

// isLocalMachine reports whether addr is exactly 127.0.0.1 or ::1: the
// addresses a local operator's tools connect from. The rest of
// 127.0.0.0/8 counts as any other client (tests stand in for remote
// clients with it).
func isLocalMachine(addr netip.Addr) bool {
	return addr == netip.AddrFrom4([4]byte{127, 0, 0, 1}) || addr == netip.IPv6Loopback()
}

// fdReserve is the room left under the process's file limit for what is
// not a gateway connection or its upstream connection: the admin
// listener (at most adminConnections + adminLoopbackReserve), the store,
// key set and introspection fetches, the log, and connections opening
// and closing.
const fdReserve = 512

// connectionCap is the gateway listener's cap: the configured one, but
// no more than the process's file limit holds once fdReserve is kept and
// each connection is counted at what it may cost — perConn descriptors:
// its own, and its upstream connection (2; 3 when the upstream is served
// in this process, as in the demo). A file limit under 2 × fdReserve
// keeps half of it as the reserve; an unknown or unlimited one (0, or
// past what an int holds) leaves the configured cap.
func connectionCap(configured, perConn int, fileLimit uint64) int {
	if fileLimit == 0 || fileLimit > 1<<31 {
		return configured
	}
	reserve := min(uint64(fdReserve), fileLimit/2)
	return max(1, min(configured, int(fileLimit-reserve)/perConn))
}
