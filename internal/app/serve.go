package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/policy"
)

// Run serves the public and admin listeners until ctx ends, then drains
// requests in flight for server.shutdown_timeout. SIGHUP reloads file.
func (a *App) Run(ctx context.Context, file string) error {
	cfg := a.Config()
	raw, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w%s", cfg.Listen, err, busyHint(err, "--listen HOST:PORT or listen:"))
	}
	ln, err := a.CapGateway(raw, cfg, upstreamFDs)
	if err != nil {
		raw.Close()
		return err
	}
	srv := gateway.NewServer(cfg, a.Handler())
	a.log.Info("authgate listening", "addr", ln.Addr().String(), "config", file, "tls", cfg.TLS != nil,
		"issuers", len(cfg.Issuers), "routes", len(cfg.Routes))
	errc := make(chan error, 3)
	if cfg.Admin.Listen != "" {
		rawAdmin, err := net.Listen("tcp", cfg.Admin.Listen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("admin listener: %w%s", err, busyHint(err, "admin.listen, or \"\" to turn it off"))
		}
		aln := CapAdmin(rawAdmin)
		adminSrv := AdminServer(cfg, a.AdminHandler())
		defer adminSrv.Close()
		a.log.Info("admin listening", "addr", aln.Addr().String())
		go func() { errc <- adminSrv.Serve(aln) }()
	}
	stopExtAuthz, _, err := a.ServeExtAuthz(cfg, errc)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopExtAuthz(cfg.Server.ShutdownTimeout)
	go func() {
		if cfg.TLS != nil {
			errc <- srv.ServeTLS(ln, cfg.TLS.CertFile, cfg.TLS.KeyFile)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	sd, err := newNotifier(os.Getenv)
	if err != nil {
		a.log.Warn("systemd is not told how the service is", "error", err.Error())
	}
	defer sd.close()
	a.notify(sd, "READY=1", status("serving on %s", ln.Addr()))
	// The watchdog is pinged from this loop: a loop stuck (in a reload,
	// say) stops the pings, and systemd restarts the service.
	var watchdog <-chan time.Time
	if sd.watchdog > 0 {
		t := time.NewTicker(sd.watchdog)
		defer t.Stop()
		watchdog = t.C
	}
	for {
		select {
		case err := <-errc:
			return err
		case <-watchdog:
			a.notify(sd, "WATCHDOG=1")
		case <-hup:
			a.notify(sd, reloading()...)
			if err := a.reloadFile(file); err != nil {
				a.notify(sd, "READY=1", status("serving on %s; the latest reload was refused: %v", ln.Addr(), err))
			} else {
				a.notify(sd, "READY=1", status("serving on %s; reloaded", ln.Addr()))
			}
		case <-ctx.Done():
			a.notify(sd, "STOPPING=1", status("finishing requests in flight"))
			a.log.Info("shutting down: finishing requests in flight", "grace", cfg.Server.ShutdownTimeout.String())
			shut, cancel := context.WithTimeout(context.Background(), cfg.Server.ShutdownTimeout)
			defer cancel()
			if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("shutdown: %w", err)
			}
			return nil
		}
	}
}

// upstreamFDs is what one gateway connection may cost in file
// descriptors: its own and its upstream connection's.
const upstreamFDs = 2

// CapGateway wraps the gateway's listener ln in its caps: cfg's
// server.max_connections (lowered, with a WARN line, to what the file
// limit holds at perConn descriptors a connection: 2, or 3 with the
// upstream in this process) and server.max_connections_per_client, which
// trusted proxies are exempt from.
func (a *App) CapGateway(ln net.Listener, cfg *config.Config, perConn int) (net.Listener, error) {
	trusted, err := policy.ParseNetworks(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	limit := fileLimit()
	total := connectionCap(cfg.Server.MaxConnections, perConn, limit)
	if total < cfg.Server.MaxConnections {
		a.log.Warn("server.max_connections lowered to what the file limit holds (each connection may need an upstream one too)",
			"configured", cfg.Server.MaxConnections, "in_force", total, "file_limit", limit)
	}
	return newCapListener(ln, caps{total: total, perClient: cfg.Server.MaxConnectionsPerClient, exempt: trusted.Contains}), nil
}

// CapAdmin wraps the admin listener ln in its caps (adminCaps).
func CapAdmin(ln net.Listener) net.Listener { return newCapListener(ln, adminCaps()) }

// AdminServer is the admin listener's server: the gateway's limits, and
// idle keep-alives ended after adminIdleTimeout.
func AdminServer(cfg *config.Config, h http.Handler) *http.Server {
	srv := gateway.NewServer(cfg, h)
	srv.IdleTimeout = min(srv.IdleTimeout, adminIdleTimeout)
	return srv
}

// reloadFile reads file again and reloads; a bad file is logged (and
// returned) and the running configuration stays.
func (a *App) reloadFile(file string) error {
	next, err := config.Load(file)
	if err == nil {
		err = a.Reload(next)
	} else {
		a.state.Metrics.Reloaded(false, time.Now())
	}
	if err != nil {
		a.log.Error("reload refused; the running configuration stays in force", "config", file, "error", err.Error())
		return err
	}
	a.log.Info("configuration reloaded", "config", file)
	return nil
}

// notify tells systemd; a failure is logged, never fatal.
func (a *App) notify(sd *notifier, lines ...string) {
	if err := sd.send(lines...); err != nil {
		a.log.Warn("systemd notification not sent", "error", err.Error())
	}
}

// busyHint says what to do about an address in use.
func busyHint(err error, fix string) string {
	if errors.Is(err, syscall.EADDRINUSE) {
		return " (another process listens there: stop it, or choose another address with " + fix + ")"
	}
	return ""
}
