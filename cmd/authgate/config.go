package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/configtest"
	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/store/sqlite"
)

func configCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Work with configuration files"}
	var file string
	check := &cobra.Command{
		Use:   "check",
		Short: "Validate a configuration file without starting anything",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(file)
			if err != nil {
				return err
			}
			if _, err := gateway.New(cfg, gateway.Options{CheckOnly: true}); err != nil {
				return fmt.Errorf("%s: %w", file, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%d issuers, %d routes)\n", file, len(cfg.Issuers), len(cfg.Routes))
			return nil
		},
	}
	check.Flags().StringVarP(&file, "config", "c", "authgate.yaml", "configuration file")
	cmd.AddCommand(check, configTestCmd())
	return cmd
}

func configTestCmd() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "test CASES.yaml",
		Short: "Check that requests get the decisions they must (exit 1 with a diff on any mismatch)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cases, err := configtest.Load(args[0])
			if err != nil {
				return err
			}
			cfg, err := config.Load(file)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			opts := gateway.Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
			if cfg.RoutesNeedStore() {
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
			g.Start(ctx)
			results, err := configtest.Run(ctx, g, cases)
			if err != nil {
				return err
			}
			failed := 0
			out := cmd.OutOrStdout()
			for _, r := range results {
				if len(r.Diff) == 0 {
					fmt.Fprintf(out, "PASS  %s\n", r.Name)
					continue
				}
				failed++
				fmt.Fprintf(out, "FAIL  %s\n", r.Name)
				for _, d := range r.Diff {
					fmt.Fprintf(out, "        %s\n", d)
				}
			}
			fmt.Fprintf(out, "%d passed, %d failed\n", len(results)-failed, failed)
			if failed > 0 {
				return exitError{1, nil}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "config", "c", "authgate.yaml", "configuration file")
	return cmd
}
