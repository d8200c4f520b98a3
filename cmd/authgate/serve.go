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
	"github.com/authgate/authgate/store/sqlite"
)

func serveCmd() *cobra.Command {
	var file, listen string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the gateway from a configuration file",
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
			opts := gateway.Options{Logger: logger}
			if cfg.NeedsStore() {
				st, err := sqlite.Open(ctx, cfg.DataDir)
				if err != nil {
					return err
				}
				defer st.Close()
				opts.Store = st
			}
			g, err := gateway.New(cfg, opts)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", cfg.Listen)
			if err != nil {
				return err
			}
			srv := gateway.NewServer(cfg, g.Handler())
			g.Start(ctx)
			logger.Info("authgate listening", "addr", ln.Addr().String(), "config", file,
				"issuers", len(cfg.Issuers), "routes", len(cfg.Routes))
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			select {
			case err := <-errc:
				return err
			case <-ctx.Done():
			}
			logger.Info("shutting down", "grace", cfg.Server.ShutdownTimeout.String())
			shut, cancel := context.WithTimeout(context.Background(), cfg.Server.ShutdownTimeout)
			defer cancel()
			if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("shutdown: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "config", "c", "authgate.yaml", "configuration file")
	cmd.Flags().StringVar(&listen, "listen", "", "override the configuration's listen address")
	return cmd
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}
