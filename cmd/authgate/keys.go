package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/apikey"
	"github.com/spf13/cobra"
)

func keysCmd() *cobra.Command {
	var f storeFlags
	cmd := &cobra.Command{Use: "keys", Short: "Create, list, revoke and rotate API keys"}
	f.add(cmd)
	cmd.AddCommand(keysCreateCmd(&f), keysListCmd(&f), keysRevokeCmd(&f), keysRotateCmd(&f))
	return cmd
}

// keysCreateCmd is "keys create": the new key is printed once.
func keysCreateCmd(f *storeFlags) *cobra.Command {
	var name, kind, env, scopes, expires, quota string
	var asJSON, quiet bool
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API key (the key is printed once, never stored)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			exp, err := parseExpiry(expires)
			if err != nil {
				return err
			}
			if asJSON && quiet {
				return exitError{2, errors.New("give --json or --quiet, not both")}
			}
			var q *credential.Quota
			if quota != "" {
				if q, err = apikey.ParseQuota(quota); err != nil {
					return fmt.Errorf("--quota %q: %w", quota, err)
				}
			}
			return withBackend(f, func(ctx context.Context, b backend) error {
				if env == "" {
					env = f.environment
				}
				if env == "" {
					env = "live"
				}
				v, err := b.createKey(ctx, apikey.Spec{Name: name, Kind: kind, Environment: env, Scopes: strings.Fields(scopes), Expires: exp, Quota: q})
				if err != nil {
					return err
				}
				switch {
				case asJSON:
					enc := json.NewEncoder(cmd.OutOrStdout())
					enc.SetIndent("", "  ")
					return enc.Encode(v)
				case quiet:
					// The key alone on stdout (for $(...)); what it is on stderr.
					fmt.Fprintln(cmd.OutOrStdout(), v.Key)
					v.Key = ""
					printNewKey(cmd.ErrOrStderr(), v)
					return nil
				}
				printNewKey(cmd.OutOrStdout(), v)
				return nil
			})
		},
	}
	create.Flags().StringVar(&name, "name", "", "what the key is for (required)")
	create.Flags().StringVar(&kind, "kind", "api", "api (opens the API's routes), admin (opens the admin API and console only) or viewer (the same, read-only)")
	create.Flags().StringVar(&env, "env", "", "environment (default: the configuration's, else live)")
	create.Flags().StringVar(&scopes, "scopes", "", "space-separated scopes")
	create.Flags().StringVar(&quota, "quota", "", "the key's own request budget on every route, requests/duration (1000/1m); none by default")
	create.Flags().StringVar(&expires, "expires", "", "expiry: a duration (720h) or a date (2027-01-31); default never")
	create.Flags().BoolVar(&asJSON, "json", false, "print the new key and its metadata as JSON")
	create.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the key on stdout (metadata on stderr)")
	create.MarkFlagRequired("name")
	return create
}

// keysListCmd is "keys list": metadata and state, never secrets.
func keysListCmd(f *storeFlags) *cobra.Command {
	list := &cobra.Command{
		Use:   "list",
		Short: "List API keys (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withBackend(f, func(ctx context.Context, b backend) error {
				keys, err := b.listKeys(ctx)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tKIND\tENV\tSCOPES\tSTATE\tCREATED\tEXPIRES\tLAST USED")
				for _, k := range keys {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Kind, k.Environment, strings.Join(k.Scopes, " "),
						keyState(k), day(k.Created), orNever(deref(k.Expires)), orNever(deref(k.LastUsed)))
				}
				return tw.Flush()
			})
		},
	}
	return list
}

// keysRevokeCmd is "keys revoke ID".
func keysRevokeCmd(f *storeFlags) *cobra.Command {
	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API key; it is refused from the next request on",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withBackend(f, func(ctx context.Context, b backend) error {
				if err := b.revokeKey(ctx, args[0]); err != nil {
					return fmt.Errorf("revoke %s: %w", args[0], err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "revoked %s\n", args[0])
				return nil
			})
		},
	}
	return revoke
}

// keysRotateCmd is "keys rotate ID": a replacement, the old key kept for --grace.
func keysRotateCmd(f *storeFlags) *cobra.Command {
	var grace time.Duration
	rotate := &cobra.Command{
		Use:   "rotate ID",
		Short: "Create a replacement key; the old one stays valid for --grace",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withBackend(f, func(ctx context.Context, b backend) error {
				v, err := b.rotateKey(ctx, args[0], grace)
				if err != nil {
					return fmt.Errorf("rotate %s: %w", args[0], err)
				}
				printNewKey(cmd.OutOrStdout(), v)
				fmt.Fprintf(cmd.OutOrStdout(), "old key %s stays valid until %s\n", args[0], time.Now().Add(grace).UTC().Format(time.RFC3339))
				return nil
			})
		},
	}
	rotate.Flags().DurationVar(&grace, "grace", 24*time.Hour, "how long the old key keeps working")
	return rotate
}

func printNewKey(w io.Writer, k api.KeyView) {
	fmt.Fprintf(w, "id:      %s\nname:    %s\nkind:    %s\nenv:     %s\nscopes:  %s\nexpires: %s\nkey:     %s\n", k.ID, k.Name, k.Kind, k.Environment,
		strings.Join(k.Scopes, " "), orNever(deref(k.Expires)), k.Key)
	fmt.Fprintln(w, "The key is shown only now; authgate keeps only its hash.")
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

func parseExpiry(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return time.Now().Add(d), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--expires %q: give a positive duration (720h) or a date (2027-01-31)", s)
}

// keyState is k's state as credential/apikey says it (api.KeyView.State),
// naming the replacement of a rotated key ("rotating->ID").
func keyState(k api.KeyView) string {
	if k.ReplacedBy != "" {
		return k.State + "->" + k.ReplacedBy
	}
	return k.State
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

func orNever(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}
