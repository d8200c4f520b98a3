package rawjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzObject holds Object to encoding/json.
func FuzzObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, ` { "a" : [1,{"b":"}"}] , "c\"d":"x\\"y" , "a":null } `,
		`{"exp":1e30,"aud":["a","b"],"n":{"x":{"y":[]}}}`, `[1]`, `{"a":}`, `{"\u0061":true}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Object(data)
		var want map[string]json.RawMessage
		werr := json.Unmarshal(data, &want)
		if werr != nil || want == nil {
			if err == nil {
				t.Fatalf("Object accepted %q, encoding/json did not (%v)", data, werr)
			}
			return
		}
		if err != nil {
			t.Fatalf("Object refused %q: %v", data, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d members, want %d", data, len(got), len(want))
		}
		for k, v := range want {
			if !bytes.Equal(bytes.TrimSpace(got[k]), bytes.TrimSpace(v)) {
				t.Fatalf("%q: member %q = %q, want %q", data, k, got[k], v)
			}
		}
	})
}

// FuzzElements holds Elements to encoding/json.
func FuzzElements(f *testing.F) {
	for _, s := range []string{`[]`, `[1]`, ` [ "a" , {"b":"]"} , [1,[2]] , null ] `, `["\u0061","x\"y"]`, `{}`, `[1,]`, `[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Elements(data)
		var want []json.RawMessage
		werr := json.Unmarshal(data, &want)
		if werr != nil || want == nil {
			if err == nil {
				t.Fatalf("Elements accepted %q, encoding/json did not (%v)", data, werr)
			}
			return
		}
		if err != nil {
			t.Fatalf("Elements refused %q: %v", data, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d elements, want %d", data, len(got), len(want))
		}
		for i := range want {
			if !bytes.Equal(bytes.TrimSpace(got[i]), bytes.TrimSpace(want[i])) {
				t.Fatalf("%q: element %d = %q, want %q", data, i, got[i], want[i])
			}
		}
	})
}

// FuzzString holds String to encoding/json.
func FuzzString(f *testing.F) {
	for _, s := range []string{`"a"`, `"\u00e9"`, `"x\"y"`, `1`, `"\ud800"`, "\"\xff\"", ` "a" `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := String(data)
		var want string
		werr := json.Unmarshal(data, &want)
		if ok != (werr == nil) || ok && got != want {
			t.Fatalf("String(%q) = %q, %v; encoding/json %q, %v", data, got, ok, want, werr)
		}
		if ok && (!StringIs(data, want) || StringIs(data, want+"x")) {
			t.Fatalf("StringIs(%q, %q) disagrees with String", data, want)
		}
	})
}

// TestUniqueObject: a member named twice, in any escaping, is refused
// and named; nested objects may reuse their parent's names.
func TestUniqueObject(t *testing.T) {
	for _, tt := range []struct {
		in, dup string
	}{
		{`{"a":1,"b":2}`, ""},
		{`{"a":{"a":1},"b":{"a":2}}`, ""},
		{`{"A":1,"a":2}`, ""},
		{`{"a":1,"a":2}`, "a"},
		{`{"active":true,"act\u0069ve":false}`, "active"},
	} {
		m, err := UniqueObject([]byte(tt.in))
		var dup *DuplicateError
		switch {
		case tt.dup == "" && (err != nil || m == nil):
			t.Errorf("%s: %v", tt.in, err)
		case tt.dup != "" && (!errors.As(err, &dup) || dup.Name != tt.dup || !errors.Is(err, ErrDuplicate)):
			t.Errorf("%s: %v, want the duplicate %q named", tt.in, err, tt.dup)
		}
	}
}
