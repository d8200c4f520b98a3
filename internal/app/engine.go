package app

import (
	"context"
	"net"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/gateway"
)

// gatewayServer is the gateway listener's server, on the engine that
// serves it (config.ServesFast): fasthttp for plain HTTP when
// server.engine is fast, net/http otherwise. Both serve a.Handler(), the
// switch that reloads swap.
type gatewayServer struct {
	engine   string
	serve    func(net.Listener) error
	shutdown func(context.Context) error
}

func (a *App) gatewayServer(cfg *config.Config) gatewayServer {
	if cfg.ServesFast() {
		srv := gateway.NewFastServer(cfg, a.Handler(), a.log)
		return gatewayServer{engine: config.EngineFast, serve: srv.Serve, shutdown: srv.ShutdownWithContext}
	}
	srv := gateway.NewServer(cfg, a.Handler())
	serve := srv.Serve
	if cfg.TLS != nil {
		serve = func(ln net.Listener) error { return srv.ServeTLS(ln, cfg.TLS.CertFile, cfg.TLS.KeyFile) }
	}
	return gatewayServer{engine: config.EngineStandard, serve: serve, shutdown: srv.Shutdown}
}
