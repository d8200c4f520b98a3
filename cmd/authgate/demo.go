package main

import (
	"context"
	"fmt"
	"github.com/authgate/authgate/reason"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/authgate/authgate/admin/console"
	"github.com/authgate/authgate/internal/demo"
)

func demoCmd() *cobra.Command {
	var opts demo.Options
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a gateway, a demo API and a demo issuer on embedded defaults",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			opts.Logger = newLogger("info", "json")
			d, err := demo.Start(ctx, opts)
			if err != nil {
				return err
			}
			printDemo(cmd.OutOrStdout(), d, demoBinary(d.StateDir))
			<-ctx.Done()
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.Listen, "listen", "127.0.0.1:8080", "gateway address")
	cmd.Flags().StringVar(&opts.StateDir, "state", ".authgate-demo", "folder for demo.json, tokens and the signing key")
	cmd.Flags().StringVar(&opts.AdminListen, "admin-listen", "127.0.0.1:9090", "admin listener (metrics, admin API); empty turns it off")
	return cmd
}

// demoBinary is how the printed commands should call authgate: "authgate"
// when that is this binary on PATH, else this binary's path. Under `go
// run` the binary lives in a temporary folder that is deleted with it, and
// `go run` adds "exit status 1" to every failing command, so the binary is
// copied into the demo's state folder and that copy is printed.
func demoBinary(stateDir string) string {
	exe, err := os.Executable()
	if err != nil {
		return "authgate"
	}
	if strings.Contains(exe, "go-build") {
		copyTo := filepath.Join(stateDir, "authgate")
		if err := copyFile(exe, copyTo, 0o755); err == nil {
			if abs, err := filepath.Abs(copyTo); err == nil {
				return abs
			}
		}
		return "go run ./cmd/authgate"
	}
	if onPath, err := exec.LookPath("authgate"); err == nil && sameFile(onPath, exe) {
		return "authgate"
	}
	return exe
}

// copyFile copies src to dst (replaced whole, never half-written).
func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".authgate-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

func sameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

func printDemo(w io.Writer, d *demo.Demo, self string) {
	f := d.File
	tokens := filepath.Join(d.StateDir, "tokens")
	fmt.Fprintf(w, `authgate demo is running
  gateway    %s   (issuer %s, audience %s)
  jwks       %s
  demo.json  %s
  config     %s
Access log lines (JSON) go to stderr. Ctrl-C stops the demo.

Paste any of these; the comment says what you will get:

`, f.URL, f.Issuer, f.Audience, f.JWKSURL, filepath.Join(d.StateDir, "demo.json"), f.ConfigFile)
	for _, c := range demo.Cases {
		outcome := fmt.Sprintf("%d", c.Status)
		if c.Reason != "" {
			outcome += " " + string(c.Reason)
		}
		who := "no credentials"
		var parts []string
		parts = append(parts, "curl -i")
		if c.Method != "GET" {
			parts = append(parts, "-X "+c.Method)
		}
		switch {
		case c.Token != "":
			who = "token " + c.Token
			parts = append(parts, fmt.Sprintf(`-H "Authorization: Bearer $(cat %s)"`, filepath.Join(tokens, c.Token)))
		case c.APIKey != "":
			who = "API key " + c.APIKey
			parts = append(parts, fmt.Sprintf(`-H "X-API-Key: $(cat %s)"`, filepath.Join(d.StateDir, "keys", c.APIKey)))
		case c.Basic == "good":
			who = "Basic user " + f.Basic.User
			parts = append(parts, fmt.Sprintf(`-u "%s:$(cat %s)"`, f.Basic.User, filepath.Join(d.StateDir, "basic-password")))
		case c.Basic == "wrong":
			who = "Basic user " + f.Basic.User + " and a wrong password"
			parts = append(parts, fmt.Sprintf(`-u "%s:%s"`, f.Basic.User, demo.WrongPassword))
		}
		fmt.Fprintf(w, "# %s %s with %s -> %s\n", c.Method, c.Path, who, outcome)
		parts = append(parts, f.URL+c.Path)
		fmt.Fprintln(w, strings.Join(parts, " "))
	}
	printDPoP(w, d, self)
	fmt.Fprintf(w, "\n# Decode a token (nothing is verified, nothing leaves this machine):\n%s jwt inspect \"$(cat %s)\"\n",
		self, filepath.Join(tokens, "expired"))
	if f.AdminURL != "" {
		fmt.Fprintf(w, "\n# The gateway's own view of a request, every check, no side effects (admin key in demo.json):\n")
		fmt.Fprintf(w, "curl -s -X POST -H \"X-API-Key: $(cat %s)\" %s/admin/v1/explain -d \"{\\\"method\\\":\\\"GET\\\",\\\"path\\\":\\\"/v1/data\\\",\\\"token\\\":\\\"$(cat %s)\\\"}\"\n",
			filepath.Join(d.StateDir, "admin-key"), f.AdminURL, filepath.Join(tokens, "expired"))
		fmt.Fprintf(w, "curl -s %s/metrics | grep authgate_requests_total\n", f.AdminURL)
		fmt.Fprintf(w, "\n# The web console: open it in a browser and sign in with the admin key\n#   %s%s\n#   admin key: %s (also in %s)\n",
			f.AdminURL, console.Prefix, f.AdminKey, filepath.Join(d.StateDir, "admin-key"))
	}
	fmt.Fprintf(w, "\n# Ask the doctor why a call fails (exit 0 ok, 1 problem found):\n")
	fmt.Fprintf(w, "%s doctor -H \"Authorization: Bearer $(cat %s)\" %s/v1/data\n", self, filepath.Join(tokens, "wrong_issuer"), f.URL)
	fmt.Fprintf(w, "%s doctor --expect-env live -H \"X-API-Key: $(cat %s)\" %s/v1/data\n", self, filepath.Join(d.StateDir, "keys", "test"), f.URL)
	fmt.Fprintf(w, "%s doctor --curl \"curl %s/v1/data -H 'Authorization: Basic \\$(echo -n \\\"demo:password\\\" | base64)'\"\n", self, f.URL)
}

// printDPoP prints the DPoP cases: token dpop_bound with a proof made by
// `authgate jwt dpop` for the very request (200), and sent as Bearer (401).
func printDPoP(w io.Writer, d *demo.Demo, self string) {
	f := d.File
	tok := filepath.Join(d.StateDir, "tokens", demo.DPoPBound)
	fmt.Fprintf(w, "\n# DPoP (RFC 9449): token %s is bound to the key in %s; each request carries a new proof signed with it.\n", demo.DPoPBound, f.DPoPKeyFile)
	fmt.Fprintf(w, "# GET /v1/data with token %s and a proof -> 200\n", demo.DPoPBound)
	fmt.Fprintf(w, "curl -i -H \"Authorization: DPoP $(cat %[1]s)\" -H \"DPoP: $(%[2]s jwt dpop --key %[3]s --method GET --url %[4]s/v1/data --token \"$(cat %[1]s)\")\" %[4]s/v1/data\n",
		tok, self, f.DPoPKeyFile, f.URL)
	fmt.Fprintf(w, "# GET /v1/data with token %s sent as Bearer -> 401 %s\n", demo.DPoPBound, reason.DPoPBoundTokenAsBearer)
	fmt.Fprintf(w, "curl -i -H \"Authorization: Bearer $(cat %s)\" %s/v1/data\n", tok, f.URL)
}
