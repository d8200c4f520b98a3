package gateway

import (
	"errors"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// fasthttp reads a request head into the connection's read buffer and
// refuses one that does not fit (ErrSmallBuffer); with StreamRequestBody
// it keeps that buffer for as long as the connection is open. A buffer
// of max_header_bytes (32 KiB by default) for every connection is most
// of what the fast engine holds at a thousand connections, for heads
// that are almost all under 4 KiB. So connections read into buffers of
// fastHeadBuffer, and one whose head does not fit goes on with a second
// server whose buffers are max_header_bytes: the head's first bytes are
// those the connection read last (fasthttp fills its whole buffer before
// it gives up, and read nothing past it), which the connection keeps a
// copy of while it reads a request (lastBytes); the rest are still to be
// read. The limit holds to the byte, and a request line or header that is
// malformed within the first bytes is refused as before. That fasthttp gives up only with a
// full buffer is fasthttp 1.79's header.go (tryRead: bufio's Peek fills
// the buffer before ErrBufferFull); TestLargeHeads, whose large heads
// follow others on the same connection, fails if that ever changes.

// fastHeadBuffer is the read buffer of a fast-engine connection until a
// request head does not fit into it: fasthttp's default.
const fastHeadBuffer = 4 << 10

// largeHead is what a fastConn keeps to go on with the server of large
// heads.
type largeHead struct {
	// recent is the last bytes read (none kept on the server of large
	// heads).
	recent lastBytes
	// deadline is the read deadline in force.
	deadline time.Time
	// replay is what the connection read already, read again first;
	// headDeadline, the deadline of the head it begins, which the first
	// read deadline set cannot extend.
	replay       []byte
	headDeadline time.Time
	// handedOver: the server of large heads serves the connection; what
	// this one writes is dropped.
	handedOver bool
}

// serveLargeHead serves ctx's connection with the server of large heads
// when err says its request head did not fit the read buffer, and
// reports whether it did. It returns when that server is done with the
// connection (and has closed it); the connection is counted as open on
// this one until then.
func (s *FastServer) serveLargeHead(ctx *fasthttp.RequestCtx, err error) bool {
	var small *fasthttp.ErrSmallBuffer
	c, ok := ctx.Conn().(*fastConn)
	if !errors.As(err, &small) || !ok || c.pending != nil || !c.recent.full {
		return false
	}
	c.handedOver = true
	s.large.ServeConn(&fastConn{Conn: c.Conn, largeHead: largeHead{replay: c.recent.bytes(), headDeadline: c.deadline}})
	return true
}

// Read reads what is to be read again first, then from the connection,
// keeping a copy of the last bytes. fasthttp reads through a bufio.Reader
// of fastHeadBuffer bytes, which slides what it holds unread to the front
// of its buffer and asks for the rest of it (or, holding nothing, reads a
// large read straight into the caller's p): a p of fastHeadBuffer bytes or
// more means nothing read before is still unread, so a head that will not
// fit is all in what is read from here, and the copy so far is forgotten.
// So a connection that waits for its next request holds no copy.
func (c *fastConn) Read(p []byte) (int, error) {
	if len(c.replay) > 0 {
		n := copy(p, c.replay)
		c.replay = c.replay[n:]
		return n, nil
	}
	if len(p) >= fastHeadBuffer {
		c.recent.forget()
	}
	n, err := c.Conn.Read(p)
	c.recent.add(p[:n])
	return n, err
}

// SetReadDeadline sets the connection's read deadline, no later than the
// head's when it is the first on a connection handed over.
func (c *fastConn) SetReadDeadline(t time.Time) error {
	if c.handedOver {
		return nil
	}
	if !c.headDeadline.IsZero() {
		t, c.headDeadline = c.headDeadline, time.Time{}
	}
	c.deadline = t
	return c.Conn.SetReadDeadline(t)
}

// lastBytes keeps the last size bytes added to it (none when size is
// 0), in a buffer it takes when a byte is added and gives back when it
// forgets them.
type lastBytes struct {
	size int
	buf  []byte
	next int // where the next byte goes
	full bool
}

func (l *lastBytes) add(p []byte) {
	size := l.size
	if size == 0 || len(p) == 0 {
		return
	}
	if l.buf == nil {
		l.buf = takeHeadCopy(size)
	}
	if len(p) >= size {
		copy(l.buf, p[len(p)-size:])
		l.next, l.full = 0, true
		return
	}
	n := copy(l.buf[l.next:], p)
	copy(l.buf, p[n:])
	l.full = l.full || l.next+len(p) >= size
	l.next = (l.next + len(p)) % size
}

// forget drops what l keeps and gives its buffer back.
func (l *lastBytes) forget() {
	if len(l.buf) == fastHeadBuffer {
		headCopies.Put((*[fastHeadBuffer]byte)(l.buf))
	}
	l.buf, l.next, l.full = nil, 0, false
}

// bytes is a copy of what a full l keeps, oldest first.
func (l *lastBytes) bytes() []byte {
	return append(append(make([]byte, 0, len(l.buf)), l.buf[l.next:]...), l.buf[:l.next]...)
}

// headCopies are lastBytes' buffers: a connection holds one only while it
// reads a request, not while it waits for the next.
var headCopies = sync.Pool{New: func() any { return new([fastHeadBuffer]byte) }}

// takeHeadCopy is a buffer of size bytes for lastBytes.
func takeHeadCopy(size int) []byte {
	if size == fastHeadBuffer {
		return headCopies.Get().(*[fastHeadBuffer]byte)[:]
	}
	return make([]byte, size)
}
