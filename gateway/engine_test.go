package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/internal/enginetest"
)

// testEngine is the HTTP engine the gateway's test environments serve
// with. TestMain runs the package's tests once per engine: the same
// table of cases, on net/http and on fasthttp.
var testEngine = config.EngineStandard

// TestMain runs every test once per engine (AUTHGATE_TEST_ENGINES=fast
// narrows it).
func TestMain(m *testing.M) {
	os.Exit(enginetest.Run(m, func(engine string) { testEngine = engine }))
}

// startGateway builds the gateway of the configuration doc (no store)
// and starts it until the test ends.
func startGateway(t testing.TB, doc string) (*Gateway, *config.Config) {
	t.Helper()
	return startGatewayWith(t, doc, Options{Logger: slog.New(slog.DiscardHandler)})
}

// startGatewayWith is startGateway with opts (a store, a logger).
func startGatewayWith(t testing.TB, doc string, opts Options) (*Gateway, *config.Config) {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(doc), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(cfg, opts)
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
	return &testServer{URL: "http://" + enginetest.Serve(t, NewFastServer(cfg, h, nil))}
}
