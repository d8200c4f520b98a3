package gateway

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/authgate/authgate/config"
)

// testEngine is the HTTP engine the gateway's test environments serve
// with. TestMain runs the package's tests once per engine: the same
// table of cases, on net/http and on fasthttp.
var testEngine = config.EngineStandard

// TestMain runs every test once per engine (AUTHGATE_TEST_ENGINES, a
// comma-separated list, narrows it: "fast"). A fuzzing or benchmarking
// run serves with one engine.
func TestMain(m *testing.M) {
	flag.Parse()
	engines := []string{config.EngineStandard, config.EngineFast}
	if v := os.Getenv("AUTHGATE_TEST_ENGINES"); v != "" {
		engines = strings.Split(v, ",")
	}
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		engines = engines[:1]
	}
	if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" {
		engines = engines[:1]
	}
	code := 0
	for _, engine := range engines {
		testEngine = engine
		fmt.Printf("=== engine: %s\n", engine)
		if c := m.Run(); c != 0 {
			fmt.Printf("--- FAIL on engine %s\n", engine)
			code = c
		}
	}
	os.Exit(code)
}

// startGateway builds the gateway of the configuration doc (no store)
// and starts it until the test ends.
func startGateway(t testing.TB, doc string) (*Gateway, *config.Config) {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(doc), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	g.Start(ctx)
	return g, cfg
}

// testServer is a gateway served on loopback by one engine.
type testServer struct {
	URL string
}

// serveEngine serves h on loopback with engine and cfg's limits, until
// the test ends.
func serveEngine(t testing.TB, engine string, cfg *config.Config, h http.Handler) *testServer {
	t.Helper()
	asked := *cfg
	asked.Server.Engine = engine
	if !asked.ServesFast() {
		srv := httptest.NewUnstartedServer(nil)
		srv.Config = NewServer(cfg, h)
		srv.Start()
		t.Cleanup(srv.Close)
		return &testServer{URL: srv.URL}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewFastServer(cfg, h, nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Shutdown()
		<-done
	})
	return &testServer{URL: "http://" + ln.Addr().String()}
}
