package eventually

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// fatal records the message of Fatalf and ends the goroutine, as the
// testing package does.
type fatal struct {
	testing.TB
	msg string
}

func (f *fatal) Helper() {}
func (f *fatal) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls fn with a fatal on its own goroutine and returns what it
// failed with ("" if it returned).
func run(fn func(t testing.TB)) string {
	f := &fatal{}
	done := make(chan struct{})
	go func() { defer close(done); fn(f) }()
	<-done
	return f.msg
}

// TestTrue: True returns once the condition holds, and fails naming the
// event and the bound when it never does.
func TestTrue(t *testing.T) {
	calls := 0
	if msg := run(func(tb testing.TB) { True(tb, time.Minute, "third call", func() bool { calls++; return calls == 3 }) }); msg != "" || calls != 3 {
		t.Errorf("a condition true at the third call: %q after %d calls", msg, calls)
	}
	msg := run(func(tb testing.TB) { True(tb, 20*time.Millisecond, "the impossible", func() bool { return false }) })
	if !strings.Contains(msg, "the impossible") || !strings.Contains(msg, "20ms") {
		t.Errorf("a condition never true: %q", msg)
	}
}

// TestReceive: Receive returns what is sent, and fails naming the event
// and the bound when nothing is.
func TestReceive(t *testing.T) {
	ch := make(chan int, 1)
	ch <- 7
	var got int
	if msg := run(func(tb testing.TB) { got = Receive(tb, time.Minute, "seven", ch) }); msg != "" || got != 7 {
		t.Errorf("a value sent: %d %q", got, msg)
	}
	msg := run(func(tb testing.TB) { Receive(tb, 20*time.Millisecond, "silence", ch) })
	if !strings.Contains(msg, "silence") || !strings.Contains(msg, "20ms") {
		t.Errorf("nothing sent: %q", msg)
	}
}
