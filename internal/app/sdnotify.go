package app

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// notifier tells systemd how the service is (sd_notify(3), Type=notify):
// READY=1 once the listeners are open, RELOADING=1 and READY=1 around a
// reload, STOPPING=1 when the shutdown begins, and WATCHDOG=1 pings
// (WatchdogSec=). Without NOTIFY_SOCKET it does nothing.
type notifier struct {
	conn *net.UnixConn
	// watchdog is how often to ping: half of WATCHDOG_USEC; 0 when
	// systemd watches nothing (or watches another process).
	watchdog time.Duration
}

// maxStatus bounds the STATUS= text (an error message may be long).
const maxStatus = 200

// newNotifier connects to $NOTIFY_SOCKET (a path, or @name for the
// abstract namespace) when set.
func newNotifier(getenv func(string) string) (*notifier, error) {
	n := &notifier{}
	addr := getenv("NOTIFY_SOCKET")
	if addr == "" {
		return n, nil
	}
	if strings.HasPrefix(addr, "@") {
		addr = "\x00" + addr[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return n, fmt.Errorf("systemd notification socket: %w", err)
	}
	n.conn = conn
	usec, err := strconv.ParseInt(getenv("WATCHDOG_USEC"), 10, 64)
	pid := getenv("WATCHDOG_PID")
	if err == nil && usec > 0 && (pid == "" || pid == strconv.Itoa(os.Getpid())) {
		n.watchdog = time.Duration(usec) * time.Microsecond / 2
	}
	return n, nil
}

// send sends one notification of the given VAR=value lines.
func (n *notifier) send(lines ...string) error {
	if n.conn == nil {
		return nil
	}
	_, err := n.conn.Write([]byte(strings.Join(lines, "\n")))
	return err
}

// status is a STATUS= line, one line of at most maxStatus bytes.
func status(format string, args ...any) string {
	s := strings.Join(strings.Fields(fmt.Sprintf(format, args...)), " ")
	if len(s) > maxStatus {
		s = strings.ToValidUTF8(s[:maxStatus], "") + "…"
	}
	return "STATUS=" + s
}

// reloading is the notification that a reload begins: with the
// monotonic clock's time where the platform gives it (systemd asks for
// it).
func reloading() []string {
	if usec, ok := monotonicUsec(); ok {
		return []string{"RELOADING=1", "MONOTONIC_USEC=" + strconv.FormatInt(usec, 10)}
	}
	return []string{"RELOADING=1"}
}

func (n *notifier) close() {
	if n.conn != nil {
		n.conn.Close()
	}
}
