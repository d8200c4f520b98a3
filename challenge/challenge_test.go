package challenge

import (
	"errors"
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []Challenge
	}{
		{"bare scheme", []string{"Bearer"}, []Challenge{{Scheme: "Bearer"}}},
		{"params", []string{`Bearer realm="api", error="invalid_token"`},
			[]Challenge{{Scheme: "Bearer", Params: []Param{{"realm", "api"}, {"error", "invalid_token"}}}}},
		{"two in one line", []string{`Bearer realm="api", Basic realm="api", charset="UTF-8"`},
			[]Challenge{
				{Scheme: "Bearer", Params: []Param{{"realm", "api"}}},
				{Scheme: "Basic", Params: []Param{{"realm", "api"}, {"charset", "UTF-8"}}},
			}},
		{"two lines", []string{`Bearer realm="a"`, `Basic realm="b"`},
			[]Challenge{{Scheme: "Bearer", Params: []Param{{"realm", "a"}}}, {Scheme: "Basic", Params: []Param{{"realm", "b"}}}}},
		{"token68", []string{"Negotiate YII+/x==, Basic realm=x"},
			[]Challenge{{Scheme: "Negotiate", Token68: "YII+/x=="}, {Scheme: "Basic", Params: []Param{{"realm", "x"}}}}},
		{"escapes", []string{`Bearer error_description="a \"q\" \\ b"`},
			[]Challenge{{Scheme: "Bearer", Params: []Param{{"error_description", `a "q" \ b`}}}}},
		{"case-insensitive names, BWS", []string{`bearer Realm = "x" ,, , ERROR=invalid_token`},
			[]Challenge{{Scheme: "bearer", Params: []Param{{"realm", "x"}, {"error", "invalid_token"}}}}},
		{"bare schemes list", []string{"Basic, Bearer"}, []Challenge{{Scheme: "Basic"}, {Scheme: "Bearer"}}},
		{"empty", []string{""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in...)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		`Bearer realm="unterminated`,
		`Bearer realm="a", realm="b"`,
		`"quoted"`,
		"Bearer realm=\"a\x01\"",
		`Bearer realm="a" error="b"`,
	} {
		if _, err := Parse(in); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) error = %v, want ErrSyntax", in, err)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	c := Challenge{Scheme: "Bearer", Params: []Param{{"realm", `a"b\c`}, {"scope", "read write"}}}
	got, err := Parse(c.String())
	if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], c) {
		t.Fatalf("round trip of %s = %+v, %v", c, got, err)
	}
}

func TestToken68(t *testing.T) {
	for s, want := range map[string]bool{
		"abc": true, "a.b-c_d~e+f/g==": true, "=": false, "": false, "a=b": false, "a b": false, `"a"`: false,
	} {
		if IsToken68(s) != want {
			t.Errorf("IsToken68(%q) = %v", s, !want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(`Bearer realm="api", error="invalid_token", error_description="x \"y\""`)
	f.Add(`Basic realm="a", charset="UTF-8", Negotiate abc==`)
	f.Add(",,Bearer ,")
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := Parse(s)
		if err != nil {
			return
		}
		// What parses, rendered again, parses to the same challenges
		// (schemes with neither token68 nor params included).
		for _, c := range cs {
			if !IsToken(c.Scheme) {
				t.Fatalf("scheme %q is not a token", c.Scheme)
			}
			again, err := Parse(c.String())
			if err != nil || len(again) != 1 {
				t.Fatalf("re-parse of %q: %v %v", c.String(), again, err)
			}
			if !reflect.DeepEqual(again[0], c) {
				t.Fatalf("re-parse of %q = %+v, want %+v", c.String(), again[0], c)
			}
		}
	})
}
