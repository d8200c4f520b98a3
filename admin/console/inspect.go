package console

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/reason"
)

// maxInspected bounds a pasted credential.
const maxInspected = 16 << 10

// inspectData is the token inspector's.
type inspectData struct {
	// Form repeats what was asked (the credential only in the page
	// itself: it is never logged or stored).
	Credential, Kind, Method, Path, Host string
	// Decoded is set for a JWT.
	Decoded *decodedView
	// DecodeError says why the credential is not a JWT, when kind is a
	// token.
	DecodeError string
	Verdict     *api.Explanation
	// GatewayNow is the gateway's clock when it answered.
	GatewayNow time.Time
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

func (c *console) inspectPage(r *http.Request, _ *session) (view, error) {
	d := inspectData{Kind: "token", Method: "GET", Path: "/"}
	return view{template: "inspect", data: pageData{Title: "Token inspector", Nav: "inspect", Data: d}}, nil
}

// inspect decodes a pasted credential (a JWT: header, claims, times) and
// asks explain for the gateway's verdict on a request carrying it. It is
// a dry run: nothing is counted, cached or logged, and the answer is not
// stored by the browser (no-store).
func (c *console) inspect(r *http.Request, _ *session) (view, error) {
	d := inspectData{Credential: strings.TrimSpace(r.PostFormValue("credential")), Kind: r.PostFormValue("kind"),
		Method: strings.ToUpper(strings.TrimSpace(r.PostFormValue("method"))), Path: strings.TrimSpace(r.PostFormValue("path")),
		Host: strings.TrimSpace(r.PostFormValue("host")), GatewayNow: time.Now().UTC()}
	if d.Method == "" {
		d.Method = "GET"
	}
	if !strings.HasPrefix(d.Path, "/") {
		d.Path = "/" + d.Path
	}
	in := api.ExplainRequest{Method: d.Method, Path: d.Path, Host: d.Host}
	switch {
	case len(d.Credential) > maxInspected:
		d.DecodeError = "the credential is longer than 16 KiB; the gateway refuses it before any check"
		d.Credential = ""
	case d.Kind == "api_key":
		in.APIKey = d.Credential
	case d.Kind == "authorization":
		in.Authorization = d.Credential
	default:
		d.Kind = "token"
		in.Token = strings.TrimPrefix(d.Credential, "Bearer ")
		d.Decoded, d.DecodeError = decode(in.Token)
	}
	if d.Credential != "" {
		e, err := c.gw.Explain(r.Context(), in)
		if err != nil {
			return view{}, err
		}
		d.Verdict = e
	}
	return view{template: "inspect", data: pageData{Title: "Token inspector", Nav: "inspect", Data: d}}, nil
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
