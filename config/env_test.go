package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/authgate/authgate/internal/strictyaml"
)

// typedKey is one bool, number, duration or list key of the
// configuration, found by reflection: segments are yaml names, "[0]" for
// an element of a list of mappings.
type typedKey struct {
	segments []string
	t        reflect.Type
}

func (k typedKey) path() string { return strings.ReplaceAll(strings.Join(k.segments, "."), ".[", "[") }

// typedKeys walks t and returns every key whose value is a bool, a
// number, a duration or a list of such or of strings.
func typedKeys(t reflect.Type, prefix []string) []typedKey {
	var out []typedKey
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for name, f := range strictyaml.Fields(t) {
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		segs := append(append([]string{}, prefix...), name)
		switch {
		case ft.Kind() == reflect.Struct && ft.PkgPath() != "time":
			out = append(out, typedKeys(ft, segs)...)
		case ft.Kind() == reflect.Slice && !scalarElem(ft.Elem()):
			if ft.Elem().Kind() != reflect.Interface {
				out = append(out, typedKeys(ft.Elem(), append(segs, "[0]"))...)
			}
		case ft.Kind() == reflect.Slice:
			out = append(out, typedKey{segs, ft})
		case ft.Kind() == reflect.Bool, ft.Kind() >= reflect.Int && ft.Kind() <= reflect.Uint64,
			ft.Kind() == reflect.Float32, ft.Kind() == reflect.Float64:
			out = append(out, typedKey{segs, ft})
		}
	}
	return out
}

func scalarElem(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	k := t.Kind()
	return k == reflect.String || k == reflect.Bool || k >= reflect.Int && k <= reflect.Float64
}

// document is a configuration that sets k to value, and nothing else.
func (k typedKey) document(value string) string {
	var v any = value
	for i := len(k.segments) - 1; i >= 0; i-- {
		if k.segments[i] == "[0]" {
			v = []any{v}
		} else {
			v = map[string]any{k.segments[i]: v}
		}
	}
	out, err := yaml.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(out)
}

// field is k's value in cfg.
func (k typedKey) field(cfg *Config) reflect.Value {
	v := reflect.ValueOf(cfg).Elem()
	for _, seg := range k.segments {
		for v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		if seg == "[0]" {
			v = v.Index(0)
			continue
		}
		v = v.FieldByIndex(strictyaml.Fields(v.Type())[seg].Index)
	}
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	return v
}

// samples are good environment values of a scalar type and what they
// decode to, and one that does not fit (nil for strings).
func samples(t reflect.Type) (good map[string]any, bad *string) {
	bogus := "s3cr3t-Value"
	switch {
	case t == reflect.TypeOf(time.Duration(0)):
		return map[string]any{"90s": 90 * time.Second, "1h30m": 90 * time.Minute}, &bogus
	case t.Kind() == reflect.Bool:
		return map[string]any{"true": true, "false": false}, &bogus
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return map[string]any{"37": 37, "0": 0}, &bogus
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return map[string]any{"0.25": 0.25, "1": 1.0}, &bogus
	case t.Kind() == reflect.String:
		return map[string]any{"0": "0", "true": "true"}, nil
	}
	panic("no samples for " + t.String())
}

// same reports whether got holds want (numbers compared as numbers).
func same(got reflect.Value, want any) bool {
	switch w := want.(type) {
	case int:
		if got.CanInt() {
			return got.Int() == int64(w)
		}
		return got.CanUint() && got.Uint() == uint64(w)
	case float64:
		return got.CanFloat() && got.Float() == w
	}
	return got.Interface() == want
}

// TestTypedEnvironmentValues: every bool, number, duration and list key
// of the configuration (found by reflection, so a new key cannot be left
// out) takes its value from ${V}, typed by the key; a value that does not
// fit is an error at the key's file, line and path that names the
// variable and never shows its value.
func TestTypedEnvironmentValues(t *testing.T) {
	keys := typedKeys(reflect.TypeOf(Config{}), nil)
	if len(keys) < 60 {
		t.Fatalf("found only %d typed keys: the walk misses some", len(keys))
	}
	for _, k := range keys {
		t.Run(k.path(), func(t *testing.T) {
			elem, list := k.t, k.t.Kind() == reflect.Slice
			if list {
				elem = k.t.Elem()
				for elem.Kind() == reflect.Pointer {
					elem = elem.Elem()
				}
			}
			good, bad := samples(elem)
			for text, want := range good {
				value := text
				if list {
					value = text + " , " + text
				}
				doc := k.document("${V}")
				cfg := Default()
				if _, err := strictyaml.Decode("env.yaml", []byte(doc), env(map[string]string{"V": value}), cfg); err != nil {
					t.Fatalf("V=%q:\n%s\n%v", value, doc, err)
				}
				got := k.field(cfg)
				if list {
					if got.Len() != 2 || !same(reflect.Indirect(got.Index(0)), want) || !same(reflect.Indirect(got.Index(1)), want) {
						t.Fatalf("V=%q: got %v, want two of %v", value, got, want)
					}
				} else if !same(got, want) {
					t.Fatalf("V=%q: got %v, want %v", value, got, want)
				}
			}
			if bad == nil {
				return
			}
			value := *bad
			if list {
				value = "x, " + value
			}
			doc := "# leading comment\n" + k.document("${V:-unused}")
			_, err := strictyaml.Decode("env.yaml", []byte(doc), env(map[string]string{"V": value}), Default())
			var se *strictyaml.Error
			if !errors.As(err, &se) {
				t.Fatalf("V=%q: err = %v, want a located error", value, err)
			}
			line := 1 + strings.Count(doc[:strings.Index(doc, "${V")], "\n")
			key := k.path()
			if list {
				key += "[0]" // "x" fits no typed element
			}
			if se.File != "env.yaml" || se.Line != line || se.Key != key || !strings.Contains(se.Msg, "${V}") || strings.Contains(se.Error(), *bad) {
				t.Fatalf("V=%q: got %q (line %d key %q), want line %d key %q naming ${V}, never the value", value, se, se.Line, se.Key, line, key)
			}
		})
	}
}

// TestTypedEnvironmentThroughLoad: the cases through the whole
// load, validation included; an empty value for a typed key is an error
// naming the variable.
func TestTypedEnvironmentThroughLoad(t *testing.T) {
	doc := base + `
tracing: {enabled: "${TRACING:-false}", sample_ratio: "${RATIO:-0.5}"}
server: {max_connections: "${MAXC:-512}", shutdown_timeout: "${GRACE:-20s}"}
trusted_proxies: ${PROXIES:-10.0.0.0/8, 192.168.0.0/16}
realm: ${REALM:-1234}
admin: {console: "${CONSOLE:-true}"}
`
	cfg, err := Parse("gw.yaml", []byte(doc), env(map[string]string{"TRACING": "true", "MAXC": "4096"}))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Tracing.Enabled || cfg.Tracing.SampleRatio != 0.5 || cfg.Server.MaxConnections != 4096 || cfg.Server.ShutdownTimeout != 20*time.Second ||
		fmt.Sprint(cfg.TrustedProxies) != "[10.0.0.0/8 192.168.0.0/16]" || cfg.Realm != "1234" || !cfg.Admin.ConsoleOn() {
		t.Fatalf("typed values: %+v %+v %v %q", cfg.Tracing, cfg.Server, cfg.TrustedProxies, cfg.Realm)
	}
	for _, tt := range []struct {
		vars map[string]string
		key  string
		line int
	}{
		{map[string]string{"TRACING": "False1"}, "tracing.enabled", 15},
		{map[string]string{"MAXC": "4k"}, "server.max_connections", 16},
		{map[string]string{"MAXC": "8"}, "server", 16}, // fits the type, not the rule
		{map[string]string{"PROXIES": "10.0.0.0/8,nope"}, "trusted_proxies[1]", 17},
	} {
		_, err := Parse("gw.yaml", []byte(doc), env(tt.vars))
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != tt.key || ce.Line != tt.line {
			t.Errorf("%v: got %v, want key %s at line %d", tt.vars, err, tt.key, tt.line)
		}
	}
	_, err = Parse("gw.yaml", []byte(base+"echo: ${ECHO:-}\n"), env(nil))
	var ce *Error
	if !errors.As(err, &ce) || ce.Key != "echo" || !strings.Contains(ce.Msg, "${ECHO} is empty") {
		t.Fatalf("an empty value for a bool: %v", err)
	}
}

// FuzzTypedEnvironment: whatever the environment holds, a typed key either
// takes it or refuses it at its line and key, without the value in the
// message.
func FuzzTypedEnvironment(f *testing.F) {
	for _, s := range []string{"true", "4", "0x10", "1h", "", "~", "null", "a,b", " , ", "[1, 2]", "{a: b}", "${X}", "$$", "\n"} {
		f.Add(s)
	}
	doc := `
echo: ${V}
max_header_count: "${V}"
server: {shutdown_timeout: "${V:-1s}"}
tracing: {sample_ratio: "${V}"}
trusted_proxies: ${V}
api_key_headers: "${V}"
admin: {console: "${V}"}
`
	// marked starts the value with text no message holds of its own, so
	// that a message showing the value, or its start, is told apart from
	// one that merely shares words with it ("${V}" names the variable).
	const marker = "Qz7w"
	f.Fuzz(func(t *testing.T, v string) {
		for _, value := range []string{v, marker + v} {
			_, err := strictyaml.Decode("f.yaml", []byte(doc), env(map[string]string{"V": value}), Default())
			if err == nil {
				continue
			}
			var se *strictyaml.Error
			if !errors.As(err, &se) || se.Line < 2 || se.Key == "" {
				t.Fatalf("V=%q: %v is not located", value, err)
			}
			if strings.Contains(se.Error(), marker) {
				t.Fatalf("V=%q: the message shows the value: %s", value, se)
			}
		}
	})
}
