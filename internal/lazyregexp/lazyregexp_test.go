package lazyregexp

import "testing"

func TestCompiledOnFirstUse(t *testing.T) {
	r := New(`^a+$`)
	if r.re != nil {
		t.Fatal("compiled when made")
	}
	if !r.MatchString("aaa") || r.MatchString("ab") || r.re == nil {
		t.Fatal("not compiled, or wrong, at first use")
	}
	bad := New(`(`)
	defer func() {
		if recover() == nil {
			t.Error("a bad expression did not panic at first use")
		}
	}()
	bad.MatchString("x")
}
