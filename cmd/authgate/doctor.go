package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/authgate/authgate/doctor"
)

// exitError makes main exit with a given code.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

func doctorCmd() *cobra.Command {
	var (
		method, user, data, curl  string
		headers                   []string
		opts                      doctor.Options
		asJSON, verbose, location bool
		adminKeyEnv               string
	)
	cmd := &cobra.Command{
		Use:   "doctor [flags] URL",
		Short: "Diagnose a failing authenticated request (exit 0 ok, 1 problem found, 2 usage or network error)",
		Long: `doctor sends the request you describe (curl-like flags, or --curl with a pasted
curl command, quoted exactly as your shell would) and runs the whole 401
checklist: what is sent, each redirect, the answer with and without the
credentials, the challenges, the server's clock, an authgate echo, a CORS
preflight (--origin) and the issuer's keys. When the call fails it also reads
the API's own OpenAPI or Swagger description — the one --openapi names (a file
or URL), else one the answer links to (Link rel service-desc or describedby),
else one at a well-known address on the same origin (openapi.json,
swagger.json, v3/api-docs, openapi.yaml, api-docs; at most 8 GETs of 1 MiB
within 6s, never with your credentials; --no-discover turns this off) — and
checks where and how the credential is sent against what it documents for
the operation. Secrets are shown only as their first 4 characters, length
and a fingerprint.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Lookup = os.LookupEnv
			if opts.ExplainVia != "" {
				opts.AdminKey = os.Getenv(adminKeyEnv)
				if opts.AdminKey == "" {
					return exitError{2, fmt.Errorf("--explain-via needs the admin key in $%s", adminKeyEnv)}
				}
			}
			var req *doctor.Request
			switch {
			case curl != "" && len(args) > 0:
				return exitError{2, errors.New("give a URL or --curl, not both")}
			case curl != "":
				r, err := doctor.ParseCurl(curl, os.LookupEnv)
				if err != nil {
					return exitError{2, err}
				}
				req = r
				req.FollowRedirects = req.FollowRedirects || location
			case len(args) == 1:
				req = &doctor.Request{Method: strings.ToUpper(method), URL: args[0], Body: data}
				if req.Method == "" {
					req.Method = map[bool]string{true: "POST", false: "GET"}[data != ""]
				}
				for _, h := range headers {
					if err := req.AddHeader(h, doctor.Word{Text: h}); err != nil {
						return exitError{2, err}
					}
				}
				if user != "" {
					req.SetBasic(user, doctor.Word{Text: user})
				}
				req.FollowRedirects = location
			default:
				return exitError{2, errors.New("give the URL to diagnose, or --curl '<curl command>'")}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 4*opts.Timeout+5*time.Second)
			defer cancel()
			rep, err := doctor.Run(ctx, req, opts)
			if err != nil {
				return exitError{2, err}
			}
			if asJSON {
				rep.WriteJSON(cmd.OutOrStdout())
			} else {
				rep.WriteText(cmd.OutOrStdout(), verbose)
			}
			if rep.ExitCode != 0 {
				return exitError{rep.ExitCode, nil}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&method, "request", "X", "", "method (default GET, or POST with -d)")
	f.StringArrayVarP(&headers, "header", "H", nil, "header 'Name: value' (repeatable)")
	f.StringVarP(&user, "user", "u", "", "Basic credentials user:password (prefer --curl or a variable: argv is visible to other users)")
	f.StringVarP(&data, "data", "d", "", "request body")
	f.StringVar(&curl, "curl", "", "a whole curl command, as you would paste it in a shell")
	f.StringVar(&opts.Origin, "origin", "", "also run a CORS preflight from this origin")
	f.StringVar(&opts.TokenEnv, "token-env", "", "environment variable holding the Bearer token")
	f.StringVar(&opts.EnvFile, "env-file", "", ".env file to check")
	f.StringVar(&opts.ExpectEnv, "expect-env", "", "environment you mean to call (live, test, ...)")
	f.StringVar(&opts.JWKS, "jwks", "", "JWK Set URL to verify the token's signature")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON (docs/doctor.md)")
	f.BoolVarP(&verbose, "verbose", "v", false, "also show passing checks, the decoded token and the provider's notes")
	f.BoolVarP(&location, "location", "L", false, "follow redirects, as curl -L does (without it, a redirect is what you get)")
	f.StringVar(&opts.ExplainVia, "explain-via", "", "authgate admin URL: show the gateway's own view of the request beside the findings")
	f.StringVar(&adminKeyEnv, "admin-key-env", "AUTHGATE_ADMIN_KEY", "environment variable holding the admin key for --explain-via")
	f.StringVar(&opts.OpenAPI, "openapi", "", "the API's OpenAPI or Swagger description (a file or an http(s) URL), JSON or YAML")
	f.BoolVar(&opts.NoDiscover, "no-discover", false, "do not look for the API's description (Link header, well-known addresses)")
	f.DurationVar(&opts.Timeout, "timeout", 10*time.Second, "timeout of each request")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return exitError{2, err} })
	return cmd
}

// exitCode is how main ends for err.
func exitCode(err error) (int, bool) {
	if err == nil {
		return 0, false
	}
	var ee exitError
	if errors.As(err, &ee) {
		if ee.err == nil {
			return ee.code, false
		}
		return ee.code, true
	}
	// Cobra's own usage errors, which it returns as plain text.
	if msg := err.Error(); strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "required flag") {
		return 2, true
	}
	return 1, true
}
