package gateway

import (
	"net/http"
	"strings"

	"github.com/authgate/authgate/api"
)

// serveInternal answers authgate's own endpoints on the API listener —
// echo, health, readiness, the identity token's key set and the
// protected-resource metadata — and reports whether the request was for
// one (it is then labelled internal). Echo is never answered under the
// decision path (underDecision), where a 200 is an allow.
func (g *Gateway) serveInternal(w http.ResponseWriter, r *http.Request, ex *exchange, underDecision bool) bool {
	switch path := ex.path; {
	case g.echo && strings.HasSuffix(path, api.EchoPath) && !underDecision:
		g.serveEcho(w, r, path)
	case path == api.HealthzPath:
		serveHealthz(w, r)
	case path == api.ReadyzPath:
		g.serveReadyz(w, r, false)
	case g.identity != nil && path == api.IdentityJWKSPath:
		g.identity.serveJWKS(w)
	case g.resource.metadataPath != "" && path == g.resource.metadataPath:
		g.resource.serve(w, r)
	default:
		return false
	}
	ex.internal = true
	return true
}
