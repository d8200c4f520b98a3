package challenge

import (
	"reflect"
	"strings"
	"testing"
)

// TestParseLenient reads challenges real servers send that bend RFC 9110.
func TestParseLenient(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []Challenge
	}{
		{"no commas between parameters (Google Frontend)", []string{`Bearer error="invalid_token" error_description="The access token could not be verified"`},
			[]Challenge{{Scheme: "Bearer", Params: []Param{{"error", "invalid_token"}, {"error_description", "The access token could not be verified"}}}}},
		{"unquoted value with / and :", []string{`Bearer realm=https://auth.example.com/token,service=registry.example.com`},
			[]Challenge{{Scheme: "Bearer", Params: []Param{{"realm", "https://auth.example.com/token"}, {"service", "registry.example.com"}}}}},
		{"bare scheme among others", []string{`Negotiate, Basic realm="x", ApiKey`},
			[]Challenge{{Scheme: "Negotiate"}, {Scheme: "Basic", Params: []Param{{"realm", "x"}}}, {Scheme: "ApiKey"}}},
		{"token68", []string{`Newauth YWxhZGRpbjpvcGVuc2VzYW1l==`},
			[]Challenge{{Scheme: "Newauth", Token68: "YWxhZGRpbjpvcGVuc2VzYW1l=="}}},
		{"escaped quote and no closing quote", []string{`Basic realm="a \"b\" c`},
			[]Challenge{{Scheme: "Basic", Params: []Param{{"realm", `a "b" c`}}}}},
		{"stray commas", []string{`, Bearer ,, realm="api",`},
			[]Challenge{{Scheme: "Bearer", Params: []Param{{"realm", "api"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseLenient(tt.in...); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	// What the strict parser reads, the lenient one reads the same.
	for _, v := range []string{`Bearer realm="api", error="invalid_token", error_description="expired"`, `Basic realm="x", charset="UTF-8"`} {
		strict, err := Parse(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := ParseLenient(v); !reflect.DeepEqual(got, strict) {
			t.Errorf("%s: lenient %+v, strict %+v", v, got, strict)
		}
	}
}

// FuzzParseLenient: any header value reads without panic, within bounds.
func FuzzParseLenient(f *testing.F) {
	f.Add(`Bearer error="invalid_token" error_description="x"`)
	f.Add(`Basic realm="a \"b\"`)
	f.Add(strings.Repeat("a=b ", 100))
	f.Fuzz(func(t *testing.T, v string) {
		cs := ParseLenient(v)
		if len(cs) > 32 {
			t.Fatalf("%d challenges", len(cs))
		}
		for _, c := range cs {
			if len(c.Params) > 32 {
				t.Fatalf("%d params", len(c.Params))
			}
		}
	})
}
