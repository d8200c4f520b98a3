package gateway

import (
	"net/url"
	"reflect"
	"testing"
)

// requestTargets are request-targets of every shape requestURL parses
// itself or hands to net/url.
var requestTargets = []string{
	"/", "/pub/x", "/a/b?x=1&y=2", "/a?", "/a??", "/a?b?c", "/a%20b", "/a%2Fb?x", "/a b", "/a\"b",
	"/a#frag", "/a?q#frag", "//double/slash", "///triple", "/a:b@c;d=e,f$g&h+i~j", "/a!b", "/a*b(c)", "/a'b",
	"/a\x7fb", "/a?\x01", "/a?x\x7f", "/ä", "/a?ä=ö", "*", "", "a/b", "http://h/p?q", "https://h:8443/p",
	"/a?%zz", "/%zz", "/.authgate/decide", "/{id}", "/a|b", "/a\\b", "/a^b", "/a`b", "/a[b]",
}

// TestRequestURL: requestURL gives what url.ParseRequestURI gives, for
// every target shape, error or not.
func TestRequestURL(t *testing.T) {
	for _, target := range requestTargets {
		sameAsNetURL(t, target)
	}
}

// FuzzRequestURL: requestURL and url.ParseRequestURI agree on any target.
func FuzzRequestURL(f *testing.F) {
	for _, target := range requestTargets {
		f.Add(target)
	}
	f.Fuzz(sameAsNetURL)
}

func sameAsNetURL(t *testing.T, target string) {
	got, gotErr := requestURL(target)
	want, wantErr := url.ParseRequestURI(target)
	if (gotErr != nil) != (wantErr != nil) {
		t.Fatalf("%q: error %v, net/url's %v", target, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: %#v, net/url's %#v", target, got, want)
	}
}
