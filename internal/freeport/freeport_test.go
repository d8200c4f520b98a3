package freeport

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/authgate/authgate/internal/logtest"
)

// TestMain lets a test run this binary as a child that listens on the
// address in FREEPORT_LISTEN, says so, and waits to be killed — or says
// why it could not listen and ends.
func TestMain(m *testing.M) {
	if addr := os.Getenv("FREEPORT_LISTEN"); addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("listening on", ln.Addr())
		select {}
	}
	os.Exit(m.Run())
}

// listener is a Child that listens on the address pick chooses, counting
// its attempts and keeping the address of the latest.
type listener struct {
	pick  func(attempt int, free func() string) string
	tries int
	addr  string
	out   *logtest.Buffer
}

func (l *listener) child() Child {
	return Child{
		What: "listener",
		Command: func(free func() string) *exec.Cmd {
			l.tries++
			l.addr, l.out = l.pick(l.tries, free), &logtest.Buffer{}
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), "FREEPORT_LISTEN="+l.addr)
			cmd.Stdout, cmd.Stderr = l.out, l.out
			return cmd
		},
		Output: func() string { return l.out.String() },
		Ready:  func() bool { return strings.Contains(l.out.String(), "listening on "+l.addr) },
	}
}

// fatal records the message of Fatalf and ends the goroutine, as the
// testing package does.
type fatal struct {
	testing.TB
	msg string
}

func (f *fatal) Helper()                        {}
func (f *fatal) Logf(string, ...any)            {}
func (f *fatal) Cleanup(fn func())              { f.TB.Cleanup(fn) }
func (f *fatal) Fatalf(format string, a ...any) { f.msg = fmt.Sprintf(format, a...); runtime.Goexit() }
func (f *fatal) Fatal(a ...any)                 { f.msg = fmt.Sprint(a...); runtime.Goexit() }

// run calls fn with a fatal on its own goroutine and returns what it
// failed with ("" if it returned).
func run(t *testing.T, fn func(tb testing.TB)) string {
	f := &fatal{TB: t}
	done := make(chan struct{})
	go func() { defer close(done); fn(f) }()
	<-done
	return f.msg
}

// TestStart: a child that loses its port to another process starts again
// on a fresh one; one that ends for another reason, or loses every
// attempt, fails the test with its output.
func TestStart(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	busy := taken.Addr().String()
	tests := []struct {
		name  string
		pick  func(attempt int, free func() string) string
		tries int
		fails string // what the failure must say; "" for none
	}{
		{"a free port at once", func(_ int, free func() string) string { return free() }, 1, ""},
		{"the port taken twice, then free", func(n int, free func() string) string {
			if n <= 2 {
				return busy
			}
			return free()
		}, 3, ""},
		{"the port always taken", func(int, func() string) string { return busy }, attempts, "address already in use"},
		{"an address it cannot listen on", func(int, func() string) string { return "127.0.0.1:notaport" }, 1, "unknown port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &listener{pick: tt.pick}
			var p *Process
			msg := run(t, func(tb testing.TB) { p = Start(tb, l.child()) })
			if l.tries != tt.tries {
				t.Errorf("%d attempts, want %d", l.tries, tt.tries)
			}
			if tt.fails == "" {
				if msg != "" {
					t.Fatalf("failed: %s", msg)
				}
				if c, err := net.Dial("tcp", l.addr); err != nil {
					t.Errorf("the child does not listen on %s: %v", l.addr, err)
				} else {
					c.Close()
				}
				if l.addr == busy {
					t.Errorf("the child ready on the taken address")
				}
				select {
				case <-p.Exited():
					t.Error("the ready child has ended")
				default:
				}
				return
			}
			if !strings.Contains(msg, tt.fails) {
				t.Errorf("failure %q does not say %q", msg, tt.fails)
			}
		})
	}
}

// TestInUse: the words each child uses when its port is taken.
func TestInUse(t *testing.T) {
	for _, tt := range []struct {
		out  string
		want bool
	}{
		{"listen tcp :44727: bind: address already in use", true},                                                      // Go: Caddy, Hydra, authgate
		{`nginx: [emerg] bind() to 127.0.0.1:8080 failed (98: Address already in use)`, true},                          // nginx
		{"# Warning: Could not create server TCP listening socket 127.0.0.1:6379: bind: Address already in use", true}, // Redis
		{"open /etc/x: permission denied", false},
		{"", false},
	} {
		if got := InUse(tt.out); got != tt.want {
			t.Errorf("InUse(%q) = %v", tt.out, got)
		}
	}
}
