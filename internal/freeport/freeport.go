// Package freeport runs a test's child process (nginx, Caddy, Redis,
// Hydra, `authgate serve`) on loopback ports it has not yet bound. A port
// is known to be free only while nobody listens on it: between the moment
// the test picks it and the moment the child binds it, another test may
// take it. Start therefore starts the child again on fresh ports when it
// ends saying its address was in use, a bounded number of times.
package freeport

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// attempts bounds how often Start tries fresh ports: losing the race five
// times in a row means something else is wrong.
const attempts = 5

// readyBound is how long a child may take to be ready by default:
// generous, for a loaded machine running tests under -race.
const readyBound = 60 * time.Second

// stopBound is how long a child stopped by a signal other than SIGKILL
// may take to end before it is killed.
const stopBound = 10 * time.Second

// Addr returns a loopback address nothing listens on now. For an address
// an in-process listener binds at once; a child process must go through
// Start.
func Addr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// InUse reports whether a process's output says it could not bind an
// address because something else listens there, as Go programs (Caddy,
// Hydra, authgate), nginx and Redis all say it.
func InUse(output string) bool {
	return strings.Contains(strings.ToLower(output), "address already in use")
}

// Child is a process to run on fresh loopback addresses.
type Child struct {
	// What names the child in failures ("nginx").
	What string
	// Command builds the child for the addresses it takes from free (each
	// call a fresh one): it writes the configuration that names them and
	// returns the command, not yet started. It is called once per attempt.
	Command func(free func() string) *exec.Cmd
	// Output is what the child of the latest attempt has said so far (its
	// log), read when it ends.
	Output func() string
	// Ready reports whether the child serves on its addresses. It must
	// not be fooled by another process that took one of them first: check
	// something only this child says (its log, its pid file) as well.
	Ready func() bool
	// Within bounds the wait for Ready; 0 means a generous minute.
	Within time.Duration
	// Stop is the signal that ends the child at the test's end; nil means
	// SIGKILL. (nginx needs SIGTERM: its master stops the workers.)
	Stop os.Signal
}

// Process is a child Start has running.
type Process struct {
	// Cmd is the started command; do not call its Wait (use Process.Wait).
	Cmd    *exec.Cmd
	exited chan struct{}
	err    error
}

// Exited is closed once the process has ended.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Wait waits for the process to end and says how it ended, as
// exec.Cmd.Wait does.
func (p *Process) Wait() error {
	<-p.exited
	return p.err
}

// Retry calls start with a function giving fresh loopback addresses
// until it returns nil. When it returns an error that says an address was
// in use (InUse), start is called again on fresh addresses, at most
// attempts times in all; any other error fails the test. start undoes
// what it began before it returns an error.
func Retry(t testing.TB, what string, start func(free func() string) error) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		err := start(func() string { return Addr(t) })
		if err == nil {
			return
		}
		if !InUse(err.Error()) || attempt == attempts {
			t.Fatalf("%s (attempt %d of %d): %v", what, attempt, attempts, err)
		}
		t.Logf("%s lost a port to another process (attempt %d of %d); again on fresh ports", what, attempt, attempts)
	}
}

// Start runs c until it is Ready, and stops it at the test's end. A child
// that ends before it is ready fails the test with its output — unless
// the output says an address was in use: then c runs again on fresh
// addresses (Retry).
func Start(t testing.TB, c Child) *Process {
	t.Helper()
	within := c.Within
	if within == 0 {
		within = readyBound
	}
	var p *Process
	Retry(t, c.What, func(free func() string) error {
		p = &Process{Cmd: c.Command(free), exited: make(chan struct{})}
		// A child's own children (nginx's workers) may hold its output
		// open after it ended: Wait stops copying it after a while.
		p.Cmd.WaitDelay = stopBound
		if err := p.Cmd.Start(); err != nil {
			t.Fatalf("%s: %v", c.What, err)
		}
		go func() { p.err = p.Cmd.Wait(); close(p.exited) }()
		if p.waitReady(c, within) {
			t.Cleanup(func() { p.stop(c.Stop) })
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("ended before it was ready: %v\n%s", p.err, c.Output())
		default:
			p.stop(nil)
			t.Fatalf("%s not ready within %s:\n%s", c.What, within, c.Output())
			return nil
		}
	})
	return p
}

// pollEvery is how often waitReady asks the child whether it is ready.
const pollEvery = 5 * time.Millisecond

// waitReady reports whether the process became ready within the bound:
// false once it has ended, or when the bound has passed.
func (p *Process) waitReady(c Child, within time.Duration) bool {
	deadline := time.After(within)
	for {
		if c.Ready() {
			return true
		}
		select {
		case <-p.exited:
			return false
		case <-deadline:
			return false
		case <-time.After(pollEvery):
		}
	}
}

// stop ends the process with sig (SIGKILL when nil or when it outlives
// stopBound).
func (p *Process) stop(sig os.Signal) {
	if sig == nil {
		sig = os.Kill
	}
	p.Cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(stopBound):
		p.Cmd.Process.Kill()
		<-p.exited
	}
}
