package doctor

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestSignedRequest: a request that carries its own signature (a sign or
// signature parameter or header beside a key) and is refused with no
// reason most likely fails on that signature; one whose timestamp is
// days away from now fails on the time it carries, whatever the
// signature.
func TestSignedRequest(t *testing.T) {
	now := time.Now()
	fresh, stale := strconv.FormatInt(now.UnixMilli(), 10), strconv.FormatInt(now.Add(-400*24*time.Hour).UnixMilli(), 10)
	sig := "9f2c4e6a8b0d1f3e5a7c9e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f1a3c5e7b9d1f"
	url := serve(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		fmt.Fprint(w, `{"code":401,"msg":"Unauthorized"}`)
	})
	tests := []struct {
		name string
		req  *Request
		want Code
	}{
		{"a signed query refused bare", get(url+"/api/v3/account?timestamp="+fresh+"&signature="+sig, "X-MBX-APIKEY", "vT7qR2mK9xL4pW8nB3cZ6yD1fH5jA0sE"), RequestSignatureInvalid},
		{"signature headers refused bare", get(url+"/v1/orders", "ACCESS-KEY", "15f2c9a7e3b8d1046a5c", "ACCESS-TIMESTAMP", fresh, "ACCESS-SIGN", sig), RequestSignatureInvalid},
		{"a signed query with a timestamp a year old", get(url+"/api/v3/account?timestamp="+stale+"&signature="+sig, "X-MBX-APIKEY", "vT7qR2mK9xL4pW8nB3cZ6yD1fH5jA0sE"), ClockSkew},
		{"an unsigned key refused bare", get(url+"/v1/orders", "X-API-Key", "15f2c9a7e3b8d1046a5c"), CredentialsRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if rep := run(t, tt.req, Options{}); rep.Top == nil || rep.Top.Code != tt.want {
				t.Errorf("top %v, want %s", rep.Top, tt.want)
			}
		})
	}
}
