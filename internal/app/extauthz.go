package app

import (
	"fmt"
	"net"
	"time"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/extauthz"
)

// ServeExtAuthz starts the ext_authz_grpc listener when it is configured:
// Envoy's gRPC Checks, judged by the current gateway, on connections
// capped like the gateway's (trusted proxies exempt from the per-client
// cap). Serving errors go to errc. stop ends it, letting Checks in flight
// finish for up to grace.
func (a *App) ServeExtAuthz(cfg *config.Config, errc chan<- error) (stop func(grace time.Duration), addr net.Addr, err error) {
	if a.extAuthz == nil {
		return func(time.Duration) {}, nil, nil
	}
	raw, err := net.Listen("tcp", cfg.ExtAuthzGRPC.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("ext_authz_grpc listener: %w%s", err, busyHint(err, "ext_authz_grpc.listen"))
	}
	ln, err := a.CapGateway(raw, cfg, 1)
	if err != nil {
		raw.Close()
		return nil, nil, err
	}
	srv, err := extauthz.NewGRPCServer(cfg, a.extAuthz)
	if err != nil {
		ln.Close()
		return nil, nil, err
	}
	a.log.Info("ext_authz gRPC listening", "addr", ln.Addr().String(), "tls", cfg.ExtAuthzGRPC.TLS != nil)
	go func() { errc <- srv.Serve(ln) }()
	stop = func(grace time.Duration) {
		done := make(chan struct{})
		go func() { srv.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-time.After(grace):
			srv.Stop()
		}
	}
	return stop, ln.Addr(), nil
}
