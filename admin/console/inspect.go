package console

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/config"
	"github.com/authgate/authgate/credential/apikey"
	"github.com/authgate/authgate/credential/apikey/keyformat"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/reason"
)

// maxInspected bounds a pasted credential.
const maxInspected = 16 << 10

// credentialOnly is the route picker's value for "verify the credential
// only": the verifier's checks, without a route's rules.
const credentialOnly = "_credential"

// inspectData is the token inspector's.
type inspectData struct {
	// Form repeats what was asked (the credential only in the page
	// itself: it is never logged or stored).
	Credential, Kind, Method, Path, Host, Route string
	// Detected says what the credential's shape is ("" before one).
	Detected string
	// Asked is the request explain judged ("GET /v1/data").
	Asked  string
	Routes []routeChoice
	// Decoded is set for a JWT.
	Decoded *decodedView
	// DecodeError says why the credential is not a JWT, when kind is a
	// token.
	DecodeError string
	Verdict     *api.Explanation
	// GatewayNow is the gateway's clock when it answered.
	GatewayNow time.Time
}

// routeChoice is one entry of the route picker.
type routeChoice struct {
	Name, Label string
	Protected   bool
}

// routeChoices are the configured routes, public ones marked.
func (c *console) routeChoices() []routeChoice {
	out := make([]routeChoice, 0, len(c.cfg.Routes))
	for _, rt := range c.cfg.Routes {
		methods := "any method"
		if len(rt.Methods) > 0 {
			methods = strings.Join(rt.Methods, ",")
		}
		label := rt.Name + " — " + methods + " " + rt.Path
		if rt.Public {
			label += " (public)"
		} else {
			label += " (" + strings.Join(rt.Schemes, ", ") + ")"
		}
		out = append(out, routeChoice{Name: rt.Name, Label: label, Protected: !rt.Public})
	}
	return out
}

func (c *console) inspectPage(r *http.Request, _ *session) (view, error) {
	d := inspectData{Kind: "auto", Routes: c.routeChoices()}
	return view{template: "inspect", data: pageData{Title: "Token inspector", Nav: "inspect", Data: d}}, nil
}

// credential kinds the inspector tells apart by shape.
const (
	kindAuto          = "auto"
	kindToken         = "token"
	kindAPIKey        = "api_key"
	kindAuthorization = "authorization"
)

// detectKind tells a credential's kind from its shape: an authgate key
// (ag_ prefix), a whole Authorization value (a scheme word and a space),
// or a bearer token (a JWT's three parts, or opaque).
func detectKind(cred string) (kind, words string) {
	switch scheme, rest, ok := strings.Cut(cred, " "); {
	case keyformat.Looks(cred):
		return kindAPIKey, "an authgate API key (ag_ prefix)"
	case ok && rest != "" && challenge.IsToken(scheme):
		return kindAuthorization, "a whole Authorization value (" + cutText(scheme, 20) + " scheme)"
	case strings.Count(cred, ".") == 2:
		return kindToken, "a JWT (three dot-separated parts)"
	}
	return kindToken, "an opaque bearer token (not a JWT)"
}

// inspect decodes a pasted credential (a JWT: header, claims, times) and
// asks explain for the gateway's verdict on a request carrying it to the
// chosen route, or for the credential alone. It is a dry run: nothing is
// counted, cached or logged, and the answer is not stored by the browser
// (no-store).
func (c *console) inspect(r *http.Request, _ *session) (view, error) {
	d := inspectData{Credential: strings.TrimSpace(r.PostFormValue("credential")), Kind: r.PostFormValue("kind"),
		Method: strings.ToUpper(strings.TrimSpace(r.PostFormValue("method"))), Path: strings.TrimSpace(r.PostFormValue("path")),
		Host: strings.TrimSpace(r.PostFormValue("host")), Route: r.PostFormValue("route"), GatewayNow: time.Now().UTC(), Routes: c.routeChoices()}
	if len(d.Credential) > maxInspected {
		d.DecodeError = "the credential is longer than 16 KiB; the gateway refuses it before any check"
		d.Credential = ""
		return view{template: "inspect", data: pageData{Title: "Token inspector", Nav: "inspect", Data: d}}, nil
	}
	kind, words := detectKind(d.Credential)
	if d.Kind != kindToken && d.Kind != kindAPIKey && d.Kind != kindAuthorization {
		d.Kind = kindAuto
	}
	if d.Kind != kindAuto {
		kind = d.Kind
	}
	if d.Credential != "" {
		d.Detected = words
	}
	in := api.ExplainRequest{}
	switch kind {
	case kindAPIKey:
		in.APIKey = d.Credential
	case kindAuthorization:
		in.Authorization = d.Credential
		if scheme, rest, _ := strings.Cut(d.Credential, " "); strings.EqualFold(scheme, "Bearer") {
			d.Decoded, d.DecodeError = decode(strings.TrimSpace(rest))
		}
	default:
		in.Token = strings.TrimSpace(strings.TrimPrefix(d.Credential, "Bearer "))
		d.Decoded, d.DecodeError = decode(in.Token)
	}
	if d.Credential == "" {
		return view{template: "inspect", data: pageData{Title: "Token inspector", Nav: "inspect", Data: d}}, nil
	}
	var e *api.Explanation
	var err error
	if d.Route == credentialOnly {
		d.Method, d.Path, d.Host = "", "", ""
		in.Method, in.Path = http.MethodGet, "/"
		e, err = c.gw.ExplainService(r.Context(), in, &policy.Route{Name: credentialOnly, Schemes: c.gw.Schemes()})
	} else {
		// The form keeps what was typed; the route fills the rest.
		asked := d
		c.fillFromRoute(&asked, kind)
		d.Route, d.Asked = asked.Route, asked.Method+" "+asked.Path
		in.Method, in.Path, in.Host = asked.Method, asked.Path, asked.Host
		e, err = c.gw.Explain(r.Context(), in)
	}
	if err != nil {
		return view{}, err
	}
	d.Verdict = e
	return view{template: "inspect", data: pageData{Title: "Token inspector", Nav: "inspect", Data: d}}, nil
}

// schemeOfKind is the route scheme a credential of kind is judged by.
func schemeOfKind(kind string) string {
	if kind == kindAPIKey {
		return apikey.SchemeName
	}
	return jwt.SchemeName
}

// fillFromRoute picks the route (the chosen one, else the first protected
// route that takes the credential's scheme, else the first protected one)
// and fills the method, path and host the form left empty from it.
func (c *console) fillFromRoute(d *inspectData, kind string) {
	var chosen *config.Route
	for _, rt := range c.cfg.Routes {
		if rt.Name == d.Route {
			chosen = rt
			break
		}
	}
	if chosen == nil && d.Path == "" {
		for _, rt := range c.cfg.Routes {
			if !rt.Public && (chosen == nil || chosen.Public) {
				chosen = rt
			}
			if !rt.Public && slices.Contains(rt.Schemes, schemeOfKind(kind)) {
				chosen = rt
				break
			}
		}
	}
	if chosen == nil {
		if d.Path == "" {
			d.Path = "/"
		}
		if d.Method == "" {
			d.Method = http.MethodGet
		}
		return
	}
	d.Route = chosen.Name
	if d.Method == "" {
		d.Method = http.MethodGet
		if len(chosen.Methods) > 0 {
			d.Method = chosen.Methods[0]
		}
	}
	if d.Path == "" {
		d.Path = samplePath(chosen.Path)
	}
	if d.Host == "" && len(chosen.Hosts) > 0 {
		d.Host = chosen.Hosts[0]
	}
	if !strings.HasPrefix(d.Path, "/") {
		d.Path = "/" + d.Path
	}
}

// samplePath is a path a route's pattern matches: "{name}" segments as
// "1", a final "*" as the prefix itself.
func samplePath(pattern string) string {
	segs := strings.Split(strings.TrimSuffix(strings.TrimSuffix(pattern, "*"), "/"), "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			segs[i] = "1"
		}
	}
	if p := strings.Join(segs, "/"); p != "" {
		return p
	}
	return "/"
}

// decodedView is a JWT's parts, indented, and its times.
type decodedView struct {
	Header, Claims string
	Times          []timeView
	Signed         bool
}

// timeView is one time claim.
type timeView struct {
	Claim string
	At    time.Time
}

// decode shows a JWT's parts without verifying anything.
func decode(token string) (*decodedView, string) {
	dec, err := jwt.Decode(token)
	if err != nil {
		return nil, "not a JWT the gateway can read: " + reason.From(err).Detail
	}
	out := &decodedView{Header: indent(dec.Header), Claims: indent(dec.Claims), Signed: dec.Signed}
	for _, name := range []string{"iat", "nbf", "auth_time", "exp"} {
		var n json.Number
		if raw, ok := dec.Claims[name]; ok && json.Unmarshal(raw, &n) == nil {
			if f, err := n.Float64(); err == nil {
				out.Times = append(out.Times, timeView{Claim: name, At: time.Unix(int64(f), 0).UTC()})
			}
		}
	}
	slices.SortStableFunc(out.Times, func(a, b timeView) int { return a.At.Compare(b.At) })
	return out, ""
}

func indent(m map[string]json.RawMessage) string {
	body, _ := json.Marshal(m)
	var buf bytes.Buffer
	json.Indent(&buf, body, "", "  ")
	return buf.String()
}
