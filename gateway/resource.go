package gateway

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/authgate/authgate/config"
)

// wellKnownResource is where RFC 9728 protected resource metadata lives;
// a resource identifier with a path has it inserted after this prefix.
const wellKnownResource = "/.well-known/oauth-protected-resource"

// resourceMetadata is this API's protected resource metadata (RFC 9728
// §2), served at metadataPath; empty when no resource is configured.
type resourceMetadata struct {
	metadataPath string
	// url is where clients fetch it, named in Bearer challenges.
	url  string
	body []byte
}

// newResourceMetadata builds the document from the configuration: the
// resource, the issuers as authorization servers, the scopes routes ask
// for, and Bearer in the header only.
func newResourceMetadata(cfg *config.Config) resourceMetadata {
	if cfg.Resource == "" {
		return resourceMetadata{}
	}
	u, _ := url.Parse(cfg.Resource)
	path := wellKnownResource + strings.TrimSuffix(u.EscapedPath(), "/")
	var servers, scopes []string
	for _, is := range cfg.Issuers {
		servers = append(servers, is.Issuer)
	}
	for _, r := range cfg.Routes {
		for _, s := range append(append([]string(nil), r.ScopesAll...), r.ScopesAny...) {
			if !slices.Contains(scopes, s) {
				scopes = append(scopes, s)
			}
		}
	}
	doc := map[string]any{"resource": cfg.Resource, "bearer_methods_supported": []string{"header"}}
	if len(servers) > 0 {
		doc["authorization_servers"] = servers
	}
	if len(scopes) > 0 {
		doc["scopes_supported"] = scopes
	}
	body, _ := json.Marshal(doc)
	return resourceMetadata{metadataPath: path, url: u.Scheme + "://" + u.Host + path, body: body}
}

// serve answers a GET or HEAD of the metadata document.
func (m resourceMetadata) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("Access-Control-Allow-Origin", "*")
	w.Write(m.body)
}
