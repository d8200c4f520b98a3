package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/store/postgres"
	"github.com/authgate/authgate/store/sqlite"
)

func storeCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "store", Short: "Work on stores as a whole"}
	var from, to string
	var merge bool
	copyCmd := &cobra.Command{
		Use:   "copy --from sqlite:DIR|postgres://… --to sqlite:DIR|postgres://…",
		Short: "Copy keys, users, revocations and the audit trail from one store to another, and verify the copy",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := context.Background()
			src, err := openLocation(ctx, from)
			if err != nil {
				return fmt.Errorf("--from: %w", err)
			}
			defer src.Close()
			dst, err := openLocation(ctx, to)
			if err != nil {
				return fmt.Errorf("--to: %w", err)
			}
			defer dst.Close()
			snap, err := src.Export(ctx)
			if err != nil {
				return fmt.Errorf("reading %s: %w", describeLocation(from), err)
			}
			if err := dst.Import(ctx, snap, merge); err != nil {
				if errors.Is(err, store.ErrExists) && !merge {
					return fmt.Errorf("%s is not empty; nothing was copied (give --merge to add to it): %w", describeLocation(to), err)
				}
				return fmt.Errorf("writing %s: %w; nothing was copied", describeLocation(to), err)
			}
			copied, err := dst.Export(ctx)
			if err != nil {
				return fmt.Errorf("verifying %s: %w", describeLocation(to), err)
			}
			if err := verifyCopy(snap, copied, merge); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "copied %s from %s to %s; verified (checksum %s)\n", snap.Counts(),
				describeLocation(from), describeLocation(to), snap.Checksum()[:16])
			return nil
		},
	}
	copyCmd.Flags().StringVar(&from, "from", "", "the source: sqlite:DATA_DIR or a postgres:// DSN")
	copyCmd.Flags().StringVar(&to, "to", "", "the target: sqlite:DATA_DIR or a postgres:// DSN")
	copyCmd.Flags().BoolVar(&merge, "merge", false, "add to a target that already holds keys or users (what exists there is kept)")
	copyCmd.MarkFlagRequired("from")
	copyCmd.MarkFlagRequired("to")
	cmd.AddCommand(copyCmd, migrateCmd())
	return cmd
}

// copyTimeout bounds each step of a copy into or out of PostgreSQL.
const copyTimeout = 10 * time.Minute

// openLocation opens sqlite:DIR or a postgres:// DSN.
func openLocation(ctx context.Context, loc string) (store.Store, error) {
	switch {
	case strings.HasPrefix(loc, "sqlite:"):
		return sqlite.Open(ctx, strings.TrimPrefix(loc, "sqlite:"))
	case strings.HasPrefix(loc, "postgres://"), strings.HasPrefix(loc, "postgresql://"):
		// A copy moves a whole store in one transaction: bound it, but
		// not by a request's query timeout.
		return postgres.Open(ctx, loc, postgres.Options{QueryTimeout: copyTimeout})
	}
	return nil, fmt.Errorf("give sqlite:DATA_DIR or a postgres:// DSN")
}

// describeLocation names a location without a DSN's password.
func describeLocation(loc string) string {
	if i := strings.Index(loc, "@"); i >= 0 && strings.HasPrefix(loc, "postgres") {
		scheme, _, _ := strings.Cut(loc, "://")
		return scheme + "://…" + loc[i:]
	}
	return loc
}

// verifyCopy checks the target against the source: the same content (the
// target's last audit event is the import's own), or with merge every
// key and user of the source there.
func verifyCopy(src, dst store.Snapshot, merge bool) error {
	if !merge {
		if len(dst.Audit) > 0 {
			dst.Audit = dst.Audit[:len(dst.Audit)-1]
		}
		if dst.Checksum() != src.Checksum() {
			return fmt.Errorf("the copy does not match the source: source %s, target %s", src.Counts(), dst.Counts())
		}
		return nil
	}
	keys, users := map[string]bool{}, map[string]bool{}
	for _, k := range dst.Keys {
		keys[k.ID] = true
	}
	for _, u := range dst.Users {
		users[u.Name] = true
	}
	for _, k := range src.Keys {
		if !keys[k.ID] {
			return fmt.Errorf("key %s is missing from the target", k.ID)
		}
	}
	for _, u := range src.Users {
		if !users[u.Name] {
			return fmt.Errorf("user %s is missing from the target", u.Name)
		}
	}
	return nil
}
