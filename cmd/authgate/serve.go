package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/store/sqlite"
)

func serveCmd() *cobra.Command {
	var file, listen string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the gateway from a configuration file (SIGHUP reloads it, SIGTERM stops gracefully)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(file)
			if err != nil {
				return err
			}
			if listen != "" {
				cfg.Listen = listen
			}
			logger := newLogger(cfg.LogLevel)
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			var st store.Store
			if cfg.NeedsStore() {
				s, err := sqlite.Open(ctx, cfg.DataDir)
				if err != nil {
					return err
				}
				defer s.Close()
				st = s
			}
			cur, err := startGateway(ctx, cfg, st, logger)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", cfg.Listen)
			if err != nil {
				return err
			}
			sw := gateway.NewSwitch(cur.Handler())
			srv := gateway.NewServer(cfg, sw)
			logger.Info("authgate listening", "addr", ln.Addr().String(), "config", file, "tls", cfg.TLS != nil,
				"issuers", len(cfg.Issuers), "routes", len(cfg.Routes))
			errc := make(chan error, 2)
			adminSw := gateway.NewSwitch(cur.AdminHandler())
			if cfg.Admin.Listen != "" {
				aln, err := net.Listen("tcp", cfg.Admin.Listen)
				if err != nil {
					return fmt.Errorf("admin listener: %w", err)
				}
				admin := gateway.NewServer(cfg, adminSw)
				defer admin.Close()
				logger.Info("admin listening", "addr", aln.Addr().String())
				go func() { errc <- admin.Serve(aln) }()
			}
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
			for {
				select {
				case err := <-errc:
					return err
				case <-hup:
					if next, err := reload(ctx, file, cfg, st, logger); err != nil {
						logger.Error("reload refused; the running configuration stays in force", "config", file, "error", err.Error())
					} else {
						sw.Swap(next.Handler())
						adminSw.Swap(next.AdminHandler())
						cur.stop()
						cur = next
						logger.Info("configuration reloaded", "config", file)
					}
				case <-ctx.Done():
					logger.Info("shutting down: finishing requests in flight", "grace", cfg.Server.ShutdownTimeout.String())
					shut, cancel := context.WithTimeout(context.Background(), cfg.Server.ShutdownTimeout)
					defer cancel()
					err := srv.Shutdown(shut)
					cur.stop()
					if err != nil && !errors.Is(err, http.ErrServerClosed) {
						return fmt.Errorf("shutdown: %w", err)
					}
					return nil
				}
			}
		},
	}
	cmd.Flags().StringVarP(&file, "config", "c", "authgate.yaml", "configuration file")
	cmd.Flags().StringVar(&listen, "listen", "", "override the configuration's listen address")
	return cmd
}

// runningGateway is a started gateway and how to stop its background work.
type runningGateway struct {
	*gateway.Gateway
	stop context.CancelFunc
}

func startGateway(ctx context.Context, cfg *config.Config, st store.Store, logger *slog.Logger) (*runningGateway, error) {
	g, err := gateway.New(cfg, gateway.Options{Logger: logger, Store: st})
	if err != nil {
		return nil, err
	}
	gctx, cancel := context.WithCancel(ctx)
	g.Start(gctx)
	return &runningGateway{Gateway: g, stop: cancel}, nil
}

// reload reads the file again and builds a new gateway from it. What only
// a restart can change (listener, TLS, data folder, timeouts) is refused.
func reload(ctx context.Context, file string, running *config.Config, st store.Store, logger *slog.Logger) (*runningGateway, error) {
	cfg, err := config.Load(file)
	if err != nil {
		return nil, err
	}
	cfg.Listen = running.Listen
	switch {
	case cfg.DataDir != running.DataDir:
		return nil, errors.New("data_dir changed: restart to use another store")
	case (cfg.TLS == nil) != (running.TLS == nil) || cfg.TLS != nil && *cfg.TLS != *running.TLS:
		return nil, errors.New("tls changed: restart to change the listener")
	case cfg.NeedsStore() && st == nil:
		return nil, errors.New("routes now need the store (apikey, basic): restart to open it")
	}
	return startGateway(ctx, cfg, st, logger)
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}
