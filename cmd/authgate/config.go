package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/configtest"
	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/internal/app"
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
			cfg.Admin.Listen = "" // nothing is served: the store opens only if routes need it
			a, err := app.New(cfg, app.Options{})
			if err != nil {
				return err
			}
			defer a.Close()
			results, err := configtest.Run(context.Background(), a.Gateway(), cases)
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
