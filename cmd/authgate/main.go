// Command authgate is an authentication gateway for HTTP APIs that always
// says why a request was refused. See README.md.
package main

import (
	"fmt"
	"os"
	"strings"

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
	root.AddCommand(serveCmd(), demoCmd(), configCmd(), jwtCmd(), keysCmd(), usersCmd(), storeCmd(), doctorCmd(), versionCmd())
	return root
}

// selfName is how the user should invoke this binary in printed commands.
func selfName() string {
	if strings.Contains(os.Args[0], "go-build") {
		return "go run ./cmd/authgate"
	}
	return "authgate"
}
