package app

import (
	"net"
	"net/netip"
	"sync"
	"syscall"
)

// capListener closes, as soon as they are accepted, the connections past
// a cap in total or per client address, so that one client (or a flood)
// cannot use up the process's file descriptors: the gateway keeps
// answering other clients, and the admin listener — with its own cap and
// room left under the process limit — keeps accepting. Addresses in
// exempt (trusted proxies, which carry many clients) count only toward
// the total.
type capListener struct {
	net.Listener
	total, perClient int
	exempt           func(netip.Addr) bool

	mu       sync.Mutex
	open     int
	byClient map[netip.Addr]int
}

func newCapListener(ln net.Listener, total, perClient int, exempt func(netip.Addr) bool) *capListener {
	return &capListener{Listener: ln, total: total, perClient: perClient, exempt: exempt, byClient: map[netip.Addr]int{}}
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

// adminConnections caps the admin listener's connections; fdReserve is
// the room left under the process's file limit for it, the store, key
// fetches and upstream connections.
const (
	adminConnections = 64
	fdReserve        = 512
)

// connectionCap is the gateway listener's cap: the configured one, but
// never so close to the process's file limit that the admin listener or
// upstream connections could not open.
func connectionCap(configured int) int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur > fdReserve*2 {
		if room := int(lim.Cur) - fdReserve; room < configured {
			return room
		}
	}
	return configured
}
