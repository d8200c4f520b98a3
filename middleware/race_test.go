//go:build race

package middleware_test

// raceEnabled: built with the race detector, which changes allocation counts.
const raceEnabled = true
