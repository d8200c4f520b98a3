// Package gatewaytest starts authgate for tests in other packages: a
// gateway from a YAML configuration, or the whole demo, on loopback ports,
// stopped at the end of the test.
package gatewaytest

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"testing"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/internal/app"
	"github.com/authgate/authgate/internal/demo"
	"github.com/authgate/authgate/internal/enginetest"
)

// Start builds authgate from doc (YAML) through the composition root,
// with its data in a temporary folder and no admin listener unless doc
// names one, and serves the gateway on a loopback port; it returns the
// gateway's address (host:port).
func Start(t testing.TB, doc string) string {
	addr, _ := StartApp(t, doc)
	return addr
}

// StartApp is Start that also returns the app (for its store).
func StartApp(t testing.TB, doc string) (string, *app.App) {
	t.Helper()
	a, cfg := NewApp(t, "admin: {listen: \"\"}\ndata_dir: "+t.TempDir()+"\n"+doc)
	asked := *cfg
	if Engine != "" {
		asked.Server.Engine = Engine
	}
	if asked.ServesFast() {
		return enginetest.Serve(t, gateway.NewFastServer(cfg, a.Handler(), nil)), a
	}
	return Serve(t, gateway.NewServer(cfg, a.Handler()).Handler), a
}

// Engine, when set, is the HTTP engine StartApp serves with in place of
// the configuration's server.engine (config.EngineFast serves where the
// configuration allows it: plain HTTP, no WebSocket or h2c routes); a
// package's TestMain may run its tests once per engine (enginetest.Run).
var Engine string

// NewApp builds authgate from doc (YAML, as written: give data_dir)
// through the composition root, closed when the test ends; nothing is
// served.
func NewApp(t testing.TB, doc string) (*app.App, *config.Config) {
	t.Helper()
	return NewAppWith(t, doc, app.Options{})
}

// NewAppWith is NewApp with options (a clock, a logger).
func NewAppWith(t testing.TB, doc string, opts app.Options) (*app.App, *config.Config) {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(doc), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, cfg
}

// Serve serves h on a loopback port until the test ends; it returns the
// address (host:port).
func Serve(t testing.TB, h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// Demo runs the demo on loopback ports (with its admin listener when admin
// is set) in a temporary state folder.
func Demo(t testing.TB, admin bool) *demo.Demo { return DemoLogging(t, admin, nil) }

// DemoLogging is Demo with its log going to log (nil: nowhere).
func DemoLogging(t testing.TB, admin bool, log *slog.Logger) *demo.Demo {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	opts := demo.Options{Listen: "127.0.0.1:0", StateDir: t.TempDir(), Logger: log}
	if admin {
		opts.AdminListen = "127.0.0.1:0"
	}
	d, err := demo.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
