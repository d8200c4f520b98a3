package doctor

import (
	"encoding/base64"
	"testing"
)

func TestParseCurl(t *testing.T) {
	none := func(string) (string, bool) { return "", false }
	r, err := ParseCurl("curl -X GET \\\n  'https://api.example.com/secure-resource' \\\n  -H 'Authorization: Basic $(echo -n \"username:password\" | base64)'", none)
	if err != nil {
		t.Fatal(err)
	}
	if r.Method != "GET" || r.URL != "https://api.example.com/secure-resource" {
		t.Fatalf("%+v", r)
	}
	if a := r.Get("authorization"); len(a) != 1 || a[0].Value != `Basic $(echo -n "username:password" | base64)` {
		t.Fatalf("Authorization sent literally, as the shell would: %+v", a)
	}
	r, _ = ParseCurl(`curl -u alice:s3cret -d 'a=1' http://x/y`, none)
	if r.Method != "POST" || r.Get("Authorization")[0].Value != "Basic "+base64.StdEncoding.EncodeToString([]byte("alice:s3cret")) {
		t.Fatalf("%+v", r)
	}
	r, _ = ParseCurl(`curl -sSL -H"X-API-Key: k" --url=https://x/ --frobnicate`, none)
	if !r.FollowRedirects || r.Get("x-api-key")[0].Value != "k" || r.URL != "https://x/" || len(r.Notes) != 1 {
		t.Fatalf("%+v", r)
	}
	for _, bad := range []string{"wget http://x", "curl -H", "curl -X GET", "curl 'x"} {
		if _, err := ParseCurl(bad, none); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
