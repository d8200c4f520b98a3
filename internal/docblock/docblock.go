// Package docblock keeps a generated block of a document in step with
// the data it is generated from (the reason catalogue, the doctor's
// provider table): a test checks it, and rewrites it with -update.
package docblock

import (
	"os"
	"strings"
	"testing"
)

// Check compares the text between the begin and end markers of the file
// at path with content; with update it rewrites the file instead.
func Check(t *testing.T, path, begin, end, content string, update bool, how string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	start, stop := strings.Index(doc, begin), strings.Index(doc, end)
	if start < 0 || stop < start {
		t.Fatalf("%s lacks the generated-block markers", path)
	}
	want := doc[:start+len(begin)] + "\n" + content + doc[stop:]
	if update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if doc != want {
		t.Fatalf("%s is out of date: run %s", path, how)
	}
}
