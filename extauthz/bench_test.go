package extauthz_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"

	"google.golang.org/grpc/peer"
)

// BenchmarkCheck puts Check beside the HTTP decision endpoint for the same
// requests (a JWT from the token cache, allowed; an expired one,
// refused): over loopback with a real client each (net/http, grpc-go),
// and in-process without a socket (the gateway's handler, Server.Check),
// where the difference is the adapter's own cost.
//
//	go test ./extauthz -run '^$' -bench Check -benchmem
func BenchmarkCheck(b *testing.B) {
	s := startStack(b, "envoy", "")
	for _, c := range []struct {
		name, token string
		want        int
	}{{"allowed", "valid", 200}, {"refused", "expired", 401}} {
		auth := "Bearer " + s.file.Tokens[c.token]
		b.Run(c.name+"/http-decision", func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			req, _ := http.NewRequest("GET", s.httpURL+"/.authgate/decide/v1/data", nil)
			req.Host = s.host
			req.Header.Set("Authorization", auth)
			for b.Loop() {
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != c.want {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
		b.Run(c.name+"/grpc-check", func(b *testing.B) {
			req := s.envoyRequest("GET", "/v1/data", "Authorization", auth)
			for b.Loop() {
				resp, err := s.client.Check(context.Background(), req)
				if err != nil {
					b.Fatal(err)
				}
				if (resp.GetOkResponse() != nil) != (c.want == 200) {
					b.Fatalf("answer %v", resp)
				}
			}
		})
		b.Run(c.name+"/handler-inprocess", func(b *testing.B) {
			h := s.app.Handler()
			for b.Loop() {
				req, _ := http.NewRequest("GET", "/.authgate/decide/v1/data", nil)
				req.RequestURI, req.Host, req.RemoteAddr = "/.authgate/decide/v1/data", s.host, "127.0.0.1:40000"
				req.Header.Set("Authorization", auth)
				w := &statusOnly{header: http.Header{}}
				h.ServeHTTP(w, req)
				if w.status != c.want {
					b.Fatalf("status %d", w.status)
				}
			}
		})
		b.Run(c.name+"/check-inprocess", func(b *testing.B) {
			srv := s.app.ExtAuthz()
			ctx := peer.NewContext(context.Background(), &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}})
			req := s.envoyRequest("GET", "/v1/data", "Authorization", auth)
			for b.Loop() {
				resp, err := srv.Check(ctx, req)
				if err != nil || (resp.GetOkResponse() != nil) != (c.want == 200) {
					b.Fatalf("answer %v %v", resp, err)
				}
			}
		})
	}
}

// statusOnly keeps the status of an answer.
type statusOnly struct {
	header http.Header
	status int
}

func (w *statusOnly) Header() http.Header { return w.header }
func (w *statusOnly) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *statusOnly) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	return len(p), nil
}
