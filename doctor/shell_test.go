package doctor

import (
	"reflect"
	"testing"
)

func TestSplitShell(t *testing.T) {
	env := map[string]string{"TOKEN": "abc", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		in    string
		want  []string
		unrun int
		unset int
	}{
		{`curl -H 'Authorization: Bearer $TOKEN' x`, []string{"curl", "-H", "Authorization: Bearer $TOKEN", "x"}, 0, 0},
		{`curl -H "Authorization: Bearer $TOKEN" x`, []string{"curl", "-H", "Authorization: Bearer abc", "x"}, 0, 0},
		{`curl -H "Authorization: Bearer ${TOKEN}"`, []string{"curl", "-H", "Authorization: Bearer abc"}, 0, 0},
		{`curl -H "A: ${NOPE:-dflt}"`, []string{"curl", "-H", "A: dflt"}, 0, 0},
		{`curl -H "A: $NOPE"`, []string{"curl", "-H", "A: "}, 0, 1},
		{`curl -H "A: $EMPTY"`, []string{"curl", "-H", "A: "}, 0, 1},
		{"curl -X GET \\\n  'https://api.example.com/data' \\\n  -H 'Content-Type: application/json'",
			[]string{"curl", "-X", "GET", "https://api.example.com/data", "-H", "Content-Type: application/json"}, 0, 0},
		{`curl -H 'Authorization: Basic $(echo -n "username:password" | base64)'`,
			[]string{"curl", "-H", `Authorization: Basic $(echo -n "username:password" | base64)`}, 0, 0},
		{`curl -H "Authorization: Basic $(echo -n 'u:p' | base64)"`,
			[]string{"curl", "-H", `Authorization: Basic $(echo -n 'u:p' | base64)`}, 1, 0},
		{"curl -H \"X: `cat f`\"", []string{"curl", "-H", "X: `cat f`"}, 1, 0},
		{`curl a\ b "c\"d" 'e'"f"`, []string{"curl", "a b", `c"d`, "ef"}, 0, 0},
		{`curl x | jq .`, []string{"curl", "x"}, 0, 0},
		{`curl x # comment`, []string{"curl", "x"}, 0, 0},
		{`curl ''`, []string{"curl", ""}, 0, 0},
	}
	for _, tt := range tests {
		words, err := SplitShell(tt.in, lookup)
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		var got []string
		unrun, unset := 0, 0
		for _, w := range words {
			got = append(got, w.Text)
			unrun += len(w.Unrun)
			unset += len(w.Unset)
		}
		if !reflect.DeepEqual(got, tt.want) || unrun != tt.unrun || unset != tt.unset {
			t.Errorf("%q:\n got %q unrun %d unset %d\nwant %q unrun %d unset %d", tt.in, got, unrun, unset, tt.want, tt.unrun, tt.unset)
		}
	}
	for _, bad := range []string{`curl 'open`, `curl "open`, `curl $(open`} {
		if _, err := SplitShell(bad, lookup); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func FuzzSplitShell(f *testing.F) {
	f.Add(`curl -H 'Authorization: Basic $(echo -n "u:p" | base64)' "https://x/$PATH"`)
	f.Fuzz(func(t *testing.T, s string) {
		SplitShell(s, func(string) (string, bool) { return "v", true })
	})
}

func FuzzParseCurl(f *testing.F) {
	f.Add(`curl -sSL -X POST -H 'Authorization: Bearer x' -u a:b --data-raw '{}' https://h/p`)
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseCurl(s, func(string) (string, bool) { return "", false })
		if err == nil && (r.URL == "" || r.Method == "") {
			t.Fatalf("parsed %q without URL or method", s)
		}
	})
}
