package apikey

import (
	"slices"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/store"
)

// Kinds are the kinds a key is created as: api opens the API's routes,
// admin the admin listener (the admin API and the console), viewer the
// admin listener read-only. No key opens both the API and the admin
// listener.
var Kinds = []string{store.KindAPI, store.KindAdmin, store.KindViewer}

// adminScopes are the scopes a key of each admin-listener kind holds
// there, whatever its record says; a kind absent here opens the API's
// routes only.
var adminScopes = map[string][]string{
	store.KindAdmin:  {api.AdminScope},
	store.KindViewer: {api.AdminReadScope},
}

// OpensAdmin reports whether a key of kind opens the admin listener (and
// then never the API's routes).
func OpensAdmin(kind string) bool {
	_, ok := adminScopes[kind]
	return ok
}

// validKind reports whether kind ("" meaning api) is one of Kinds.
func validKind(kind string) bool {
	return slices.Contains(Kinds, store.KindOrAPI(kind))
}
