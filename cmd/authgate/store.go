package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/apikey"
	"github.com/authgate/authgate/credential/basic"
	"github.com/authgate/authgate/internal/app"
	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/store/sqlite"
)

// storeFlags find where keys and users live: a running gateway's admin
// API (--admin), else the store: --data-dir, else the configuration's.
type storeFlags struct {
	configFile, dataDir string
	environment         string
	admin, adminKeyEnv  string
	adminKeyFile        string
}

func (f *storeFlags) add(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVarP(&f.configFile, "config", "c", "authgate.yaml", "configuration file (for data_dir and environment)")
	cmd.PersistentFlags().StringVar(&f.dataDir, "data-dir", "", "data folder (overrides the configuration)")
	cmd.PersistentFlags().StringVar(&f.admin, "admin", "", "act through a running gateway's admin API at this URL instead of the store")
	cmd.PersistentFlags().StringVar(&f.adminKeyEnv, "admin-key-env", "AUTHGATE_ADMIN_KEY", "environment variable holding the admin API key")
	cmd.PersistentFlags().StringVar(&f.adminKeyFile, "admin-key-file", "", "file holding the admin API key (instead of the environment variable)")
}

// withBackend runs fn against the admin API or the store.
func withBackend(f *storeFlags, fn func(ctx context.Context, b backend) error) error {
	if f.admin != "" {
		b, err := newAdminBackend(f.admin, f.adminKeyEnv, f.adminKeyFile)
		if err != nil {
			return err
		}
		return fn(context.Background(), b)
	}
	return withStore(f, func(ctx context.Context, s store.Store) error { return fn(ctx, storeBackend{s}) })
}

// open opens the store: SQLite in --data-dir, else the configuration's
// store (SQLite or PostgreSQL).
func (f *storeFlags) open(ctx context.Context) (store.Store, error) {
	if f.dataDir != "" {
		return sqlite.Open(ctx, f.dataDir)
	}
	cfg, err := config.Load(f.configFile)
	if err != nil {
		return nil, fmt.Errorf("%w (or give --data-dir)", err)
	}
	f.environment = cfg.Environment
	return app.OpenStore(ctx, cfg)
}

func actor() string {
	if u, err := user.Current(); err == nil {
		return "cli:" + u.Username
	}
	return "cli"
}

// withStore runs fn with the store open.
func withStore(f *storeFlags, fn func(ctx context.Context, s store.Store) error) error {
	ctx := context.Background()
	s, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	return fn(ctx, s)
}

func keysCmd() *cobra.Command {
	var f storeFlags
	cmd := &cobra.Command{Use: "keys", Short: "Create, list, revoke and rotate API keys"}
	f.add(cmd)

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
			return withBackend(&f, func(ctx context.Context, b backend) error {
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
	create.Flags().StringVar(&kind, "kind", "api", "api (opens the API's routes) or admin (opens the admin API only)")
	create.Flags().StringVar(&env, "env", "", "environment (default: the configuration's, else live)")
	create.Flags().StringVar(&scopes, "scopes", "", "space-separated scopes")
	create.Flags().StringVar(&quota, "quota", "", "the key's own request budget on every route, requests/duration (1000/1m); none by default")
	create.Flags().StringVar(&expires, "expires", "", "expiry: a duration (720h) or a date (2027-01-31); default never")
	create.Flags().BoolVar(&asJSON, "json", false, "print the new key and its metadata as JSON")
	create.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the key on stdout (metadata on stderr)")
	create.MarkFlagRequired("name")

	list := &cobra.Command{
		Use:   "list",
		Short: "List API keys (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withBackend(&f, func(ctx context.Context, b backend) error {
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

	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API key; it is refused from the next request on",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withBackend(&f, func(ctx context.Context, b backend) error {
				if err := b.revokeKey(ctx, args[0]); err != nil {
					return fmt.Errorf("revoke %s: %w", args[0], err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "revoked %s\n", args[0])
				return nil
			})
		},
	}

	var grace time.Duration
	rotate := &cobra.Command{
		Use:   "rotate ID",
		Short: "Create a replacement key; the old one stays valid for --grace",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withBackend(&f, func(ctx context.Context, b backend) error {
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

	cmd.AddCommand(create, list, revoke, rotate)
	return cmd
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

func usersCmd() *cobra.Command {
	var f storeFlags
	cmd := &cobra.Command{Use: "users", Short: "Manage Basic-auth users (passwords from a prompt or stdin, never argv)"}
	f.add(cmd)
	var scopes string
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "Add a user; the password is read from the terminal or stdin",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := readPassword(cmd)
			if err != nil {
				return err
			}
			return withBackend(&f, func(ctx context.Context, b backend) error {
				if err := b.addUser(ctx, args[0], pw, strings.Fields(scopes)); err != nil {
					return fmt.Errorf("add %s: %w", args[0], err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "added %s\n", args[0])
				return nil
			})
		},
	}
	add.Flags().StringVar(&scopes, "scopes", "", "space-separated scopes")
	passwd := &cobra.Command{
		Use:   "passwd NAME",
		Short: "Set a user's password (read from the terminal or stdin)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := readPassword(cmd)
			if err != nil {
				return err
			}
			return withBackend(&f, func(ctx context.Context, b backend) error {
				if err := b.setPassword(ctx, args[0], pw); err != nil {
					return fmt.Errorf("passwd %s: %w", args[0], err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "password of %s changed\n", args[0])
				return nil
			})
		},
	}
	remove := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a user; refused from the next request on",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withBackend(&f, func(ctx context.Context, b backend) error {
				if err := b.removeUser(ctx, args[0]); err != nil {
					return fmt.Errorf("remove %s: %w", args[0], err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "removed %s\n", args[0])
				return nil
			})
		},
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withBackend(&f, func(ctx context.Context, b backend) error {
				users, err := b.listUsers(ctx)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tSCOPES\tHASH\tUPDATED")
				for _, u := range users {
					kind := u.Hash
					if kind == "bcrypt" {
						kind = "bcrypt (re-hashed at next login)"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, strings.Join(u.Scopes, " "), kind, orNever(u.Updated))
				}
				return tw.Flush()
			})
		},
	}
	imp := &cobra.Command{
		Use:   "import FILE",
		Short: "Import users from an Apache htpasswd file (bcrypt entries)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.admin != "" {
				return errImportNeedsStore
			}
			file, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer file.Close()
			entries, problems, err := basic.ParseHtpasswd(file)
			if err != nil {
				return err
			}
			return withStore(&f, func(ctx context.Context, s store.Store) error {
				imported := 0
				for _, e := range entries {
					if err := basic.ValidateName(e.User); err != nil {
						problems = append(problems, fmt.Sprintf("line %d: %v", e.Line, err))
						continue
					}
					err := s.AddUser(ctx, store.User{Name: e.User, Hash: e.Hash, Scopes: strings.Fields(scopes)}, actor()+" import "+args[0])
					if err != nil {
						problems = append(problems, fmt.Sprintf("line %d: user %q: %v", e.Line, e.User, err))
						continue
					}
					imported++
				}
				fmt.Fprintf(cmd.OutOrStdout(), "imported %d users from %s\n", imported, args[0])
				for _, p := range problems {
					fmt.Fprintln(cmd.ErrOrStderr(), "skipped:", p)
				}
				if len(problems) > 0 {
					return fmt.Errorf("%d entries skipped", len(problems))
				}
				return nil
			})
		},
	}
	imp.Flags().StringVar(&scopes, "scopes", "", "scopes given to every imported user")
	cmd.AddCommand(add, passwd, remove, list, imp)
	return cmd
}

// readPassword prompts twice on a terminal, or reads one line of stdin.
func readPassword(cmd *cobra.Command) (string, error) {
	in := cmd.InOrStdin()
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(cmd.ErrOrStderr(), "password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", err
		}
		fmt.Fprint(cmd.ErrOrStderr(), "again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the passwords differ")
		}
		return string(a), basic.ValidatePassword(string(a))
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	return pw, basic.ValidatePassword(pw)
}
