package console

import (
	"testing"
	"time"
)

// TestSessionBounds: a session ends after its idle time, at its absolute
// end, at its credential's expiry and on sign-out; the store keeps at most
// maxSessions, dropping the oldest.
func TestSessionBounds(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	s := NewSessions(func() time.Time { return now })
	idle, _ := s.start("apikey:a", "", "admin", time.Time{})
	busy, _ := s.start("apikey:b", "", "admin", time.Time{})
	jwt, _ := s.start("sub", "", "admin", now.Add(time.Hour))
	for step := range 40 {
		now = now.Add(20 * time.Minute)
		if step == 0 {
			// 30 minutes without use: idle ends; the others were just used.
			now = now.Add(10*time.Minute - time.Second)
			_, ok := s.lookup(busy)
			_, jwtOK := s.lookup(jwt)
			if !ok || !jwtOK {
				t.Fatal("a session used within its idle time ended")
			}
			now = now.Add(time.Second)
			if _, ok := s.lookup(idle); ok {
				t.Fatal("a session idle for 30 minutes lives")
			}
			now = now.Add(-10 * time.Minute)
		}
		_, live := s.lookup(busy)
		_, jwtLive := s.lookup(jwt)
		if elapsed := now.Sub(time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)); live != (elapsed < DefaultAbsolute) {
			t.Fatalf("after %v the busy session lives: %v", elapsed, live)
		} else if jwtLive != (elapsed < time.Hour) {
			t.Fatalf("after %v the JWT's session lives: %v", elapsed, jwtLive)
		}
	}
	out, _ := s.start("x", "", "admin", time.Time{})
	s.end(out)
	if _, ok := s.lookup(out); ok {
		t.Error("a signed-out session lives")
	}
	first, _ := s.start("first", "", "admin", time.Time{})
	for range maxSessions {
		now = now.Add(time.Millisecond)
		s.start("later", "", "admin", time.Time{})
	}
	if _, ok := s.lookup(first); ok || len(s.byID) != maxSessions {
		t.Errorf("%d sessions held, the oldest kept: %v", len(s.byID), ok)
	}
	if _, ok := s.lookup(""); ok {
		t.Error("an empty cookie opens a session")
	}
}
