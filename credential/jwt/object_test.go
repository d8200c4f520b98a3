package jwt

import (
	"bytes"
	"encoding/json"
	"testing"
)

func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, ` { "a" : [1,{"b":"}"}] , "c\"d":"x\\"y" , "a":null } `,
		`{"exp":1e30,"aud":["a","b"],"n":{"x":{"y":[]}}}`, `[1]`, `{"a":}`, `{"\u0061":true}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeObject(data)
		var want map[string]json.RawMessage
		werr := json.Unmarshal(data, &want)
		if werr != nil || want == nil {
			if err == nil {
				t.Fatalf("decodeObject accepted %q, encoding/json did not (%v)", data, werr)
			}
			return
		}
		if err != nil {
			t.Fatalf("decodeObject refused %q: %v", data, err)
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
