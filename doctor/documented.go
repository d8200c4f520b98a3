package doctor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// sentPlaces are the places a request carries something in, as a
// description's schemes name them: its Authorization scheme (and whether
// one is sent), its header names, query parameters and cookies.
type sentPlaces struct {
	authz                   bool
	scheme                  string
	headers, query, cookies map[string]bool
	// creds says where the request's credentials are, in words.
	creds []string
}

// places reads where the request carries what.
func (o *offline) places() sentPlaces {
	s := sentPlaces{headers: map[string]bool{}, query: map[string]bool{}, cookies: map[string]bool{}}
	for _, h := range o.req.Headers {
		s.headers[strings.ToLower(h.Name)] = true
		switch {
		case strings.EqualFold(h.Name, "Authorization") && !s.authz:
			s.authz = true
			scheme, _, ok := strings.Cut(strings.TrimSpace(h.Value), " ")
			if ok {
				s.scheme = scheme
				s.creds = append(s.creds, "Authorization: "+scheme)
			} else {
				s.creds = append(s.creds, "Authorization (a bare value, no scheme)")
			}
		case strings.EqualFold(h.Name, "Cookie"):
			for _, c := range strings.Split(h.Value, ";") {
				name, _, _ := strings.Cut(strings.TrimSpace(c), "=")
				s.cookies[name] = true
			}
		case isCredentialHeader(h.Name):
			s.creds = append(s.creds, "the "+h.Name+" header")
		}
	}
	if u, err := url.Parse(o.req.URL); err == nil {
		for name := range u.Query() {
			s.query[name] = true
			if credentialParam(name) {
				s.creds = append(s.creds, "the "+name+" query parameter")
			}
		}
	}
	slices.Sort(s.creds)
	return s
}

// satisfies reports whether the request carries what scheme sc takes. A
// scheme the doctor cannot check (mutual TLS, an unknown kind) counts as
// satisfied: nothing is concluded from it.
func (s sentPlaces) satisfies(sc secScheme) bool {
	switch sc.kind {
	case "apiKey":
		switch sc.in {
		case "query":
			return s.query[sc.name]
		case "cookie":
			return s.cookies[sc.name]
		}
		if sc.scheme != "" { // an Authorization key with its required prefix
			return s.authz && strings.EqualFold(s.scheme, sc.scheme)
		}
		return s.headers[strings.ToLower(sc.name)]
	case "http":
		return s.authz && strings.EqualFold(s.scheme, sc.scheme)
	case "oauth2", "openIdConnect":
		return s.authz && (strings.EqualFold(s.scheme, "Bearer") || strings.EqualFold(s.scheme, "DPoP"))
	}
	return true
}

// takesAuthorization: the scheme reads the Authorization header.
func (sc secScheme) takesAuthorization() bool {
	return sc.kind == "http" || sc.kind == "oauth2" || sc.kind == "openIdConnect" ||
		sc.kind == "apiKey" && sc.in == "header" && strings.EqualFold(sc.name, "Authorization")
}

// documented reads the API's description, when there is one, and checks
// the request against what it requires of this call: the credential's
// place and scheme, the schemes a requirement combines, the scopes, or
// that the call needs no credential at all. It returns, for a failed call
// where none of that is wrong and nothing was sent, the documented way to
// send the credential (added to the top finding's fix), else "".
// A call that succeeded fetches only the description the user names.
func (p *prober) documented(ctx context.Context, final *answer, rep *Report) string {
	failed := final.status >= 400 && final.status != 429 && final.status < 500 || p.failedIn2xx
	if !failed && p.opts.OpenAPI == "" {
		return ""
	}
	desc, src, err := p.findDescription(ctx, final)
	if err != nil && p.opts.OpenAPI != "" {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text quotes the whole URL, key and all
		}
		rep.Notes = append(rep.Notes, "the API description "+shownDesc(src)+" could not be read: "+printable(err.Error()))
	}
	if desc == nil {
		if p.descAsked > 0 {
			rep.Notes = append(rep.Notes, fmt.Sprintf("no API description found at the %d addresses of this origin asked for one, without your credentials (--no-discover skips this)", p.descAsked))
		}
		return ""
	}
	shown := shownDesc(src)
	rep.APIDescription = shown
	u, err := url.Parse(p.off.req.URL)
	if err != nil {
		return ""
	}
	alts, where := desc.needs(p.off.req.Method, u.EscapedPath())
	ev := fmt.Sprintf("%s (%s): %s", shown, desc.version, where)
	info := Finding{Code: APIDescription, Status: Info, Basis: Documented,
		Title: fmt.Sprintf("The API's description was read: %s (%s, %d operations)", shown, desc.version, len(desc.ops))}
	if alts != nil {
		info.Evidence = []string{ev + " requires " + desc.wording(*alts)}
	}
	p.add(info)
	if !failed || alts == nil {
		return ""
	}
	if len(*alts) == 0 {
		if final.status == 401 || final.status == 403 {
			p.addDocumented(Finding{Code: WrongBaseURL, Status: Fail, Cause: "Environment notes: proxies",
				Title:    fmt.Sprintf("The API's description says %s needs no credential, yet the call was refused (%d): the refusal comes before authentication — the base URL, path or method is not this operation's endpoint", where, final.status),
				Evidence: []string{ev + " has security: [] (no credential needed)"},
				Fix:      "Check the base URL (the description's servers), the path and the method against the description; the credential is not what is refused."})
		}
		return ""
	}
	return p.judgePlaces(desc, *alts, ev, final.status)
}

// judgePlaces compares the request with the alternatives of a documented
// requirement; it returns the documented way when nothing was sent.
func (p *prober) judgePlaces(desc *apiDesc, alts []requirement, ev string, status int) string {
	sent := p.off.places()
	best, bestMet := -1, -1
	for i, req := range alts {
		met := 0
		for _, need := range req {
			if sent.satisfies(desc.schemes[need.name]) {
				met++
			}
		}
		if met == len(req) {
			stated := slices.ContainsFunc(p.off.findings, func(f Finding) bool { return f.Code == InsufficientScope && f.Status == Fail })
			if scopes := req.scopes(); (status == 403 || stated) && len(scopes) > 0 {
				p.addDocumented(Finding{Code: InsufficientScope, Status: Fail, Cause: "FAQ: 401 vs 403",
					Title:    fmt.Sprintf("The call needs the scope(s) %s, and the credential was refused (403): it lacks one", strings.Join(scopes, ", ")),
					Evidence: []string{ev + " requires " + desc.wording([]requirement{req})},
					Fix:      fmt.Sprintf("Obtain a token (or key) granted %s and send it; the same credential will be refused again.", strings.Join(scopes, " and "))})
			}
			return "" // the credential is where the description says
		}
		if met > bestMet {
			best, bestMet = i, met
		}
	}
	evidence := []string{ev + " requires " + desc.wording(alts), "sent: " + orNothing(sent.creds)}
	switch {
	case bestMet > 0:
		var missing []string
		for _, need := range alts[best] {
			if sc := desc.schemes[need.name]; !sent.satisfies(sc) {
				missing = append(missing, sc.describe())
			}
		}
		p.addDocumented(Finding{Code: CompanionHeaderMissing, Status: Fail, Cause: "Environment notes",
			Title:    fmt.Sprintf("The API requires %s together with the credential sent, and it is missing", strings.Join(missing, " and ")),
			Evidence: evidence,
			Fix:      fmt.Sprintf("Send %s as well: the API's description combines them (%s).", strings.Join(missing, " and "), desc.wording(alts[best:best+1]))})
	case len(sent.creds) == 0:
		return desc.wording(alts)
	case sent.authz && slices.ContainsFunc(alts, func(r requirement) bool { return len(r) == 1 && desc.schemes[r[0].name].takesAuthorization() }):
		schemes := desc.authorizationSchemes(alts)
		wanted := authorizationWording(schemes)
		got := "Authorization: " + sent.scheme
		if sent.scheme == "" {
			got = "a bare value in Authorization"
		}
		f := Finding{Code: SchemeMismatch, Status: Fail, Cause: "3. Incorrect authentication scheme",
			Title:    fmt.Sprintf("The API takes %s, and this request sends %s: the scheme is not the documented one", wanted, got),
			Evidence: evidence,
			Fix:      fmt.Sprintf("Send %s, as the API's description documents.", wanted)}
		if scheme := schemes[0]; scheme != "" {
			f.Command = p.off.command(func(r *Request) {
				r.removeHeader("Authorization")
				r.Headers = append(r.Headers, Header{Name: "Authorization", Value: scheme + " x"})
			})
		}
		p.addDocumented(f)
	default:
		f := Finding{Code: CredentialWrongHeader, Status: Fail, Cause: "3. Incorrect authentication scheme",
			Title:    fmt.Sprintf("The credential is sent in %s, where this API does not read it: its description documents %s", strings.Join(sent.creds, " and "), desc.wording(alts)),
			Evidence: evidence,
			Fix:      fmt.Sprintf("Send the credential in %s, as the API's description documents.", desc.wording(alts))}
		if sc := desc.schemes[alts[0][0].name]; len(alts[0]) == 1 && sc.kind == "apiKey" && sc.in == "header" && secretName(sc.name) {
			f.Command = p.off.command(func(r *Request) {
				for _, h := range p.off.credentials() {
					r.removeHeader(h.header)
				}
				r.Headers = append(r.Headers, Header{Name: sc.name, Value: "x"})
			})
		}
		p.addDocumented(f)
	}
	return ""
}

// shownDesc is a description's address as a report shows it: without
// user info (a --openapi URL's password, or a token as its user name),
// and masked like every URL shown.
func shownDesc(src string) string {
	if u, err := url.Parse(src); err == nil && u.User != nil {
		u.User = nil
		src = u.String()
	}
	return shownURL(src)
}

func orNothing(s []string) string {
	if len(s) == 0 {
		return "no credential"
	}
	return strings.Join(s, ", ")
}

// scopes are the scopes a requirement needs, of all its schemes.
func (r requirement) scopes() []string {
	var out []string
	for _, n := range r {
		out = append(out, n.scopes...)
	}
	return out
}

// wording says a list of alternatives in words: "the X-API-Key header, or
// Authorization: Bearer (an OAuth access token) with scope read:users".
func (d *apiDesc) wording(alts []requirement) string {
	if len(alts) == 0 {
		return "no credential"
	}
	var ors []string
	for _, r := range alts {
		var ands []string
		for _, n := range r {
			w := d.schemes[n.name].describe()
			if _, ok := d.schemes[n.name]; !ok {
				w = "the undefined scheme " + n.name
			}
			if len(n.scopes) > 0 {
				w += " with scope " + strings.Join(n.scopes, ", ")
			}
			ands = append(ands, w)
		}
		if len(ands) == 0 {
			ands = []string{"no credential (optional)"}
		}
		if w := strings.Join(ands, " together with "); !slices.Contains(ors, w) {
			ors = append(ors, w)
		}
	}
	return strings.Join(ors, ", or ")
}

// authorizationSchemes are the Authorization schemes the single-scheme
// alternatives document, each once, in order: "Bearer", "Basic", a key's
// required prefix, or "" for a key sent bare.
func (d *apiDesc) authorizationSchemes(alts []requirement) []string {
	var schemes []string
	for _, r := range alts {
		if len(r) != 1 {
			continue
		}
		sc := d.schemes[r[0].name]
		if !sc.takesAuthorization() {
			continue
		}
		w := "Bearer"
		switch sc.kind {
		case "http":
			w = schemeWord(sc.scheme)
		case "apiKey":
			w = sc.scheme
		}
		if !slices.Contains(schemes, w) {
			schemes = append(schemes, w)
		}
	}
	return schemes
}

// authorizationWording says schemes in words: "Authorization: Bearer or
// the bare key".
func authorizationWording(schemes []string) string {
	words := make([]string, len(schemes))
	for i, w := range schemes {
		words[i] = cmp.Or(w, "the bare key")
	}
	return "Authorization: " + strings.Join(words, " or ")
}

// addDocumented adds a finding read in the API's description. When the
// server's own words already gave the same code, they keep their place
// and the description adds its evidence and its fix; a weaker finding of
// the same code (a proof by the provider table, an inference) takes the
// description's words and basis.
func (p *prober) addDocumented(f Finding) {
	f.Basis = Documented
	for i := range p.off.findings {
		g := &p.off.findings[i]
		if g.Code != f.Code || g.Status != Fail {
			continue
		}
		if basisOf(*g) == Stated {
			g.Evidence = append(g.Evidence, f.Evidence...)
			g.Fix = strings.TrimSpace(g.Fix + " " + f.Fix)
			return
		}
		g.Title, g.Fix, g.Basis = f.Title, f.Fix, Documented
		g.Evidence = append(f.Evidence, g.Evidence...)
		if f.Command != "" {
			g.Command = f.Command
		}
		return
	}
	p.add(f)
}
