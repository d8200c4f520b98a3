// Command authgate is an authentication gateway for HTTP APIs that always
// says why a request was refused. See README.md.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRoot().Execute(); err != nil {
		code, show := exitCode(err)
		if show {
			fmt.Fprintln(os.Stderr, "authgate:", err)
		}
		os.Exit(code)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "authgate",
		Short:         "Authentication gateway for HTTP APIs that always says why",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionString(),
	}
	root.SetVersionTemplate("authgate {{.Version}}\n")
	root.AddCommand(serveCmd(), demoCmd(), configCmd(), jwtCmd(), keysCmd(), usersCmd(), storeCmd(), doctorCmd(), healthCmd(), versionCmd())
	usageErrorsExit2(root)
	return root
}

// usageErrorsExit2 makes every usage error — an unknown flag, a wrong
// number of arguments — exit 2, as the doctor's do; other failures exit 1.
func usageErrorsExit2(cmd *cobra.Command) {
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return exitError{2, err} })
	if args := cmd.Args; args != nil {
		cmd.Args = func(c *cobra.Command, a []string) error {
			if err := args(c, a); err != nil {
				return exitError{2, err}
			}
			return nil
		}
	}
	for _, sub := range cmd.Commands() {
		usageErrorsExit2(sub)
	}
}
