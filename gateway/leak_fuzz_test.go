package gateway

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/authgate/authgate/api"
)

// FuzzNoCredentialEcho: whatever a credential looks like and wherever it
// arrives, no piece of it (12 characters) appears in the answer (headers
// and body), the access log line or the failure feed.
func FuzzNoCredentialEcho(f *testing.F) {
	e := newEnv(f, api.DetailFull, "echo: true")
	h := e.g.Handler()
	for i := range 12 {
		f.Add([]byte("seed"), uint8(i), "")
	}
	f.Add([]byte("x"), uint8(5), "ag_live_")
	f.Add([]byte("y"), uint8(1), "eyJhbGciOiJub25lIn0.")
	f.Fuzz(func(t *testing.T, seed []byte, position uint8, prefix string) {
		sum := sha256.Sum256(seed)
		secret := base64.RawURLEncoding.EncodeToString(sum[:]) // the random part, 43 characters
		if len(prefix) > 64 {
			prefix = prefix[:64]
		}
		cred := prefix + secret
		path, headers := "/v1/data", http.Header{}
		switch position % 12 {
		case 0:
			headers.Set("Authorization", "Bearer "+cred)
		case 1:
			headers.Set("Authorization", cred)
		case 2:
			headers.Set("Authorization", "Basic "+cred)
		case 3:
			headers.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("alice:"+cred)))
			path = "/keyed/a"
		case 4:
			headers.Set("Authorization", cred+" "+cred)
		case 5:
			headers.Set("X-API-Key", cred)
			path = "/keyed/a"
		case 6:
			path = "/keyq?api_key=" + url.QueryEscape(cred)
		case 7:
			path = "/v1/data?access_token=" + url.QueryEscape(cred)
		case 8:
			headers.Set("Authorization", "Bearer Bearer "+cred)
		case 9:
			headers.Set("Authorization", `bearer "`+cred+`"`)
		case 10:
			headers.Set("Authorization", cred)
			path = "/v1/data" + api.EchoPath
		case 11:
			headers.Add("Authorization", "Bearer "+cred)
			headers.Add("Authorization", cred)
		}
		before := len(e.logs.String())
		req := httptest.NewRequest("GET", "http://gw"+path, nil)
		req.Header = headers
		req.RemoteAddr = "192.0.2.9:1234"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var seen strings.Builder
		for name, vs := range rec.Header() {
			seen.WriteString(name + ": " + strings.Join(vs, ", ") + "\n")
		}
		seen.WriteString(rec.Body.String())
		seen.WriteString(e.logs.String()[before:])
		feed, _ := json.Marshal(e.g.state.Failures.List(func(api.Failure) bool { return true })[:1])
		seen.Write(feed)
		out := seen.String()
		for i := 0; i+12 <= len(secret); i++ {
			if strings.Contains(out, secret[i:i+12]) {
				t.Fatalf("position %d: a piece of the credential (%q) came out:\n%s", position%12, secret[i:i+12], out)
			}
		}
	})
}
