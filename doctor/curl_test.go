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

// TestParseCurlShortClusters: curl reads a cluster of short options as
// getopt does — value-less letters first, then one letter that takes a
// value, from the rest of the word or from the next word — and -G moves
// the data into the query of a GET.
func TestParseCurlShortClusters(t *testing.T) {
	none := func(string) (string, bool) { return "", false }
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("u@x.org:pw"))
	for _, tt := range []struct {
		cmd, method, url, header, value string
		follow                          bool
	}{
		{`curl -sSX GET -G http://x/a -u u@x.org:pw`, "GET", "http://x/a", "Authorization", basic, false},
		{`curl -sXPOST http://x/a`, "POST", "http://x/a", "", "", false},
		{`curl -sH 'Authorization: Bearer t0k' http://x/a`, "GET", "http://x/a", "Authorization", "Bearer t0k", false},
		{`curl -kLu u@x.org:pw http://x/a`, "GET", "http://x/a", "Authorization", basic, true},
		{`curl -sLH"X-API-Key: k1" http://x/a`, "GET", "http://x/a", "X-API-Key", "k1", true},
		{`curl -G -d q=1 -d r=2 http://x/a`, "GET", "http://x/a?q=1&r=2", "", "", false},
		{`curl --get --data-urlencode q=1 'http://x/a?p=0'`, "GET", "http://x/a?p=0&q=1", "", "", false},
	} {
		r, err := ParseCurl(tt.cmd, none)
		if err != nil {
			t.Errorf("%s: %v", tt.cmd, err)
			continue
		}
		if r.Method != tt.method || r.URL != tt.url || r.FollowRedirects != tt.follow || r.Body != "" && tt.method == "GET" || len(r.Notes) != 0 {
			t.Errorf("%s: %s %s follow=%v body=%q notes=%v", tt.cmd, r.Method, r.URL, r.FollowRedirects, r.Body, r.Notes)
		}
		if tt.header != "" {
			if got := r.Get(tt.header); len(got) != 1 || got[0].Value != tt.value {
				t.Errorf("%s: %s = %+v", tt.cmd, tt.header, got)
			}
		}
	}
}

// TestParseCurlValueOptions: the options of curl that take an argument —
// form fields, data, an uploaded file, a query part — never give the
// argument for the URL; form fields reach the body as name=value (where
// a credential in them is read), --url-query joins the URL's query and
// -T makes a PUT.
func TestParseCurlValueOptions(t *testing.T) {
	none := func(string) (string, bool) { return "", false }
	for _, tt := range []struct {
		cmd, method, url, body string
	}{
		{`curl --form-string "token=abc123" http://x/a`, "POST", "http://x/a", "token=abc123"},
		{`curl http://x/a --form-string token=abc123 --form-string 'text=hi there'`, "POST", "http://x/a", "token=abc123&text=hi there"},
		{`curl -F "file=@photo.jpg" -F api_key=k1 http://x/a`, "POST", "http://x/a", "file=@photo.jpg&api_key=k1"},
		{`curl --form api_key=k1 http://x/a`, "POST", "http://x/a", "api_key=k1"},
		{`curl -Fapi_key=k1 http://x/a`, "POST", "http://x/a", "api_key=k1"},
		{`curl --data-urlencode "q=a b" http://x/a`, "POST", "http://x/a", "q=a b"},
		{`curl --data-binary @data.bin http://x/a`, "POST", "http://x/a", "@data.bin"},
		{`curl --data-raw '{"k":1}' http://x/a`, "POST", "http://x/a", `{"k":1}`},
		{`curl -T report.csv http://x/a`, "PUT", "http://x/a", ""},
		{`curl --upload-file report.csv http://x/a`, "PUT", "http://x/a", ""},
		{`curl --url-query "api_key=k1" http://x/a`, "GET", "http://x/a?api_key=k1", ""},
		{`curl --url-query "api_key=k1" 'http://x/a?p=0'`, "GET", "http://x/a?p=0&api_key=k1", ""},
		{`curl -D headers.txt -c jar.txt --max-redirs 3 http://x/a`, "GET", "http://x/a", ""},
	} {
		r, err := ParseCurl(tt.cmd, none)
		if err != nil {
			t.Errorf("%s: %v", tt.cmd, err)
			continue
		}
		if r.Method != tt.method || r.URL != tt.url || r.Body != tt.body {
			t.Errorf("%s: %s %s body=%q, want %s %s body=%q", tt.cmd, r.Method, r.URL, r.Body, tt.method, tt.url, tt.body)
		}
	}
}
