package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/authgate/authgate/credential/basic"
	"github.com/authgate/authgate/store"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func usersCmd() *cobra.Command {
	var f storeFlags
	cmd := &cobra.Command{Use: "users", Short: "Manage Basic-auth users (passwords from a prompt or stdin, never argv)"}
	f.add(cmd)
	cmd.AddCommand(usersAddCmd(&f), usersPasswdCmd(&f), usersRemoveCmd(&f), usersListCmd(&f), usersImportCmd(&f))
	return cmd
}

// usersAddCmd is "users add NAME".
func usersAddCmd(f *storeFlags) *cobra.Command {
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
			return withBackend(f, func(ctx context.Context, b backend) error {
				if err := b.addUser(ctx, args[0], pw, strings.Fields(scopes)); err != nil {
					return fmt.Errorf("add %s: %w", args[0], err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "added %s\n", args[0])
				return nil
			})
		},
	}
	add.Flags().StringVar(&scopes, "scopes", "", "space-separated scopes")
	return add
}

// usersPasswdCmd is "users passwd NAME".
func usersPasswdCmd(f *storeFlags) *cobra.Command {
	passwd := &cobra.Command{
		Use:   "passwd NAME",
		Short: "Set a user's password (read from the terminal or stdin)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := readPassword(cmd)
			if err != nil {
				return err
			}
			return withBackend(f, func(ctx context.Context, b backend) error {
				if err := b.setPassword(ctx, args[0], pw); err != nil {
					return fmt.Errorf("passwd %s: %w", args[0], err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "password of %s changed\n", args[0])
				return nil
			})
		},
	}
	return passwd
}

// usersRemoveCmd is "users remove NAME".
func usersRemoveCmd(f *storeFlags) *cobra.Command {
	remove := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a user; refused from the next request on",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withBackend(f, func(ctx context.Context, b backend) error {
				if err := b.removeUser(ctx, args[0]); err != nil {
					return fmt.Errorf("remove %s: %w", args[0], err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "removed %s\n", args[0])
				return nil
			})
		},
	}
	return remove
}

// usersListCmd is "users list": names, scopes and hash kinds.
func usersListCmd(f *storeFlags) *cobra.Command {
	list := &cobra.Command{
		Use:   "list",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withBackend(f, func(ctx context.Context, b backend) error {
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
	return list
}

// usersImportCmd is "users import FILE" (Apache htpasswd, bcrypt entries).
func usersImportCmd(f *storeFlags) *cobra.Command {
	var scopes string
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
			return withStore(f, func(ctx context.Context, s store.Store) error {
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
	return imp
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
