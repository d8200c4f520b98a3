package main

import (
	"testing"

	"github.com/authgate/authgate/internal/lazyregexp"
)

// TestExpressionsCompile compiles every regular expression the binary's
// packages compile on first use (lazyregexp), so that one that does not
// compile fails here, not in a user's command.
func TestExpressionsCompile(t *testing.T) {
	all := lazyregexp.All()
	if len(all) == 0 {
		t.Fatal("no lazy expression is registered: the binary's packages make theirs with lazyregexp.New")
	}
	for _, r := range all {
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%q does not compile: %v", r.String(), p)
				}
			}()
			r.Compiled()
		}()
	}
}
