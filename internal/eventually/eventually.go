// Package eventually waits in tests for an event that happens on another
// goroutine or in another process, by polling a condition under a generous
// bound, instead of sleeping for a guessed time and hoping it happened.
package eventually

import (
	"testing"
	"time"
)

// pollEvery is how often the condition is asked again; short, since the
// bound, not the interval, decides how long a test may take to fail.
const pollEvery = 5 * time.Millisecond

// True returns as soon as cond reports true; if it has not within the
// bound, the test fails with what (the event awaited) and how long it
// waited. cond runs on the test's goroutine.
func True(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not seen within %s", what, within)
		}
		time.Sleep(pollEvery)
	}
}

// Receive returns the value sent on ch, failing the test with what if none
// comes within the bound.
func Receive[T any](t testing.TB, within time.Duration, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(within):
		t.Fatalf("%s: not seen within %s", what, within)
		panic("unreachable")
	}
}
