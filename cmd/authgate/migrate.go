package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/store/postgres"
)

// migrateCmd is `authgate store migrate`: PostgreSQL's schema migrated as
// a deploy step of its own (with store.migrate: never on the instances).
func migrateCmd() *cobra.Command {
	var file string
	var statusOnly bool
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the PostgreSQL schema migrations this authgate knows (--status: only say where the schema stands)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(file)
			if err != nil {
				return err
			}
			if cfg.Store.Driver != config.DriverPostgres {
				return errors.New("store.driver is sqlite, whose file is migrated whenever it is opened: store migrate is for postgres")
			}
			ctx := context.Background()
			latest := postgres.Latest()
			if statusOnly {
				v, err := postgres.SchemaVersion(ctx, cfg.Store.DSN, cfg.Instance)
				switch {
				case err != nil:
					return err
				case v > latest:
					return fmt.Errorf("schema version %d is newer than this authgate knows (%d): upgrade authgate", v, latest)
				case v < latest:
					plural := "s"
					if latest-v == 1 {
						plural = ""
					}
					fmt.Fprintf(cmd.OutOrStdout(), "schema version %d; this authgate knows %d: %d migration%s to apply (authgate store migrate)\n", v, latest, latest-v, plural)
				default:
					fmt.Fprintf(cmd.OutOrStdout(), "schema version %d; this authgate knows %d: up to date\n", v, latest)
				}
				return nil
			}
			from, to, err := postgres.Migrate(ctx, cfg.Store.DSN, cfg.Instance)
			if err != nil {
				return err
			}
			if from == to {
				fmt.Fprintf(cmd.OutOrStdout(), "schema version %d, the latest this authgate knows: nothing to do\n", to)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "migrated the schema from version %d to %d\n", from, to)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "config", "c", "authgate.yaml", "configuration file (its store section)")
	cmd.Flags().BoolVar(&statusOnly, "status", false, "say which schema version the database has and whether migrations are pending; change nothing")
	return cmd
}
