package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/authgate/authgate/internal/buildinfo"
)

// versionString names this build (see internal/buildinfo).
func versionString() string { return buildinfo.Read().String() }

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, VCS revision, Go version and platform",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "authgate "+versionString())
		},
	}
}
