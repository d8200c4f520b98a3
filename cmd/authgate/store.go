package main

import (
	"context"
	"fmt"
	"os/user"

	"github.com/spf13/cobra"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/internal/app"
	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/store/sqlite"
)

// storeFlags find where keys and users live: a running gateway's admin
// API (--admin), else the store: --data-dir, else the configuration's.
type storeFlags struct {
	configFile, dataDir string
	environment         string
	admin, adminKeyEnv  string
	adminKeyFile        string
}

func (f *storeFlags) add(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVarP(&f.configFile, "config", "c", "authgate.yaml", "configuration file (for data_dir and environment)")
	cmd.PersistentFlags().StringVar(&f.dataDir, "data-dir", "", "data folder (overrides the configuration)")
	cmd.PersistentFlags().StringVar(&f.admin, "admin", "", "act through a running gateway's admin API at this URL instead of the store")
	cmd.PersistentFlags().StringVar(&f.adminKeyEnv, "admin-key-env", "AUTHGATE_ADMIN_KEY", "environment variable holding the admin API key")
	cmd.PersistentFlags().StringVar(&f.adminKeyFile, "admin-key-file", "", "file holding the admin API key (instead of the environment variable)")
}

// withBackend runs fn against the admin API or the store.
func withBackend(f *storeFlags, fn func(ctx context.Context, b backend) error) error {
	if f.admin != "" {
		b, err := newAdminBackend(f.admin, f.adminKeyEnv, f.adminKeyFile)
		if err != nil {
			return err
		}
		return fn(context.Background(), b)
	}
	return withStore(f, func(ctx context.Context, s store.Store) error { return fn(ctx, storeBackend{s}) })
}

// open opens the store: SQLite in --data-dir, else the configuration's
// store (SQLite or PostgreSQL).
func (f *storeFlags) open(ctx context.Context) (store.Store, error) {
	if f.dataDir != "" {
		return sqlite.Open(ctx, f.dataDir)
	}
	cfg, err := config.Load(f.configFile)
	if err != nil {
		return nil, fmt.Errorf("%w (or give --data-dir)", err)
	}
	f.environment = cfg.Environment
	return app.OpenStore(ctx, cfg)
}

func actor() string {
	if u, err := user.Current(); err == nil {
		return "cli:" + u.Username
	}
	return "cli"
}

// withStore runs fn with the store open.
func withStore(f *storeFlags, fn func(ctx context.Context, s store.Store) error) error {
	ctx := context.Background()
	s, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	return fn(ctx, s)
}
