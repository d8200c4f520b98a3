package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/gateway"
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
	cmd.AddCommand(check)
	return cmd
}
