package main

import (
	"context"
	"time"

	"github.com/authgate/authgate/credential/apikey"
	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/store/sqlite"
)

// fillKeys writes n API keys (environment live, scope read) into a new
// SQLite store in dir, in one transaction, and returns the first keep of
// them in the clear for the load.
func fillKeys(dir string, n, keep int) ([]string, error) {
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var snap store.Snapshot
	var plain []string
	now := time.Now()
	for i := 0; i < n; i++ {
		k, key, err := apikey.New(apikey.Spec{Name: "bench", Environment: "live", Scopes: []string{"read"}}, now)
		if err != nil {
			return nil, err
		}
		snap.Keys = append(snap.Keys, k)
		if i < keep {
			plain = append(plain, key)
		}
	}
	return plain, st.Import(context.Background(), snap, false)
}
