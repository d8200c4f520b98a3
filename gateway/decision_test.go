package gateway

import (
	"strings"
	"testing"
)

// FuzzSplitOriginalURL: an original URL is taken only as nginx's
// $scheme://$http_host$request_uri spells one, and what is taken puts
// back together to exactly the header's value.
func FuzzSplitOriginalURL(f *testing.F) {
	for _, s := range []string{"https://h:8443/a?b=1,2", "http:///a", "http://u@h/a", "HTTP://h/a", "http://h", "http://h/a, http://h/b", "/a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		scheme, host, uri, ok := splitOriginalURL(v)
		if !ok {
			return
		}
		if scheme+"://"+host+uri != v || scheme != "http" && scheme != "https" || !strings.HasPrefix(uri, "/") ||
			strings.ContainsAny(host, "/@?#\\") || strings.ContainsAny(v, " \t\r\n#") {
			t.Fatalf("%q split into %q %q %q", v, scheme, host, uri)
		}
	})
}
