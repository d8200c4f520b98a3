package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/authgate/authgate/reason"
)

// Discovery's budget: at most discoverGETs requests (redirects
// included), each read up to discoverBytes and given discoverEach, all
// within discoverTotal.
const (
	discoverGETs  = 8
	discoverBytes = 1 << 20
	discoverEach  = 2 * time.Second
	discoverTotal = 6 * time.Second
)

// wellKnownDescs are the names frameworks serve their description under
// (FastAPI, Swagger tooling, springdoc, many Node and Go servers), most
// common first.
var wellKnownDescs = []string{"openapi.json", "swagger.json", "v3/api-docs", "openapi.yaml", "api-docs"}

// descFetcher fetches descriptions without anything of the user's
// request: no header, cookie, query or user info of it is ever sent, and
// a redirect is followed only on the same origin, within the budget.
type descFetcher struct {
	client *http.Client
	left   int
}

// newDescFetcher fetches through rt (the run's transport).
func newDescFetcher(rt http.RoundTripper) *descFetcher {
	f := &descFetcher{left: discoverGETs}
	f.client = &http.Client{Transport: rt, Timeout: discoverEach, CheckRedirect: func(r *http.Request, via []*http.Request) error {
		if origin(r.URL) != origin(via[0].URL) || f.left <= 0 {
			return http.ErrUseLastResponse // another origin is never asked
		}
		f.left--
		return nil
	}}
	return f
}

// origin is scheme://host:port.
func origin(u *url.URL) string { return strings.ToLower(u.Scheme + "://" + u.Host) }

// get reads the description at target, up to limit bytes; an answer that
// is not a 200 with a description in it is an error.
func (f *descFetcher) get(ctx context.Context, target string, limit int64) (*apiDesc, error) {
	if f.left <= 0 {
		return nil, errors.New("discovery budget spent")
	}
	f.left--
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	req.Header = http.Header{"Accept": {"application/json, application/yaml;q=0.9, application/vnd.oai.openapi;q=0.9, */*;q=0.1"}}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	body, err := readAtMost(resp.Body, limit)
	if err != nil {
		return nil, err
	}
	return parseOpenAPI(body)
}

// bare is target with no user info, query or fragment: what a description
// request may carry of the user's URL.
func bare(u *url.URL, path string) string {
	v := url.URL{Scheme: u.Scheme, Host: u.Host, Path: path}
	return v.String()
}

// wellKnownCandidates are the addresses to try for the request at u: each
// well-known name under the deepest of the path's first two segments (when
// more follows them), under the first, and at the root, by name first;
// never under a segment that carries a credential.
func wellKnownCandidates(u *url.URL) []string {
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	var prefixes []string
	for n := min(2, len(segs)-1, beforeCredential(segs)); n >= 1; n-- {
		prefixes = append(prefixes, "/"+strings.Join(segs[:n], "/")+"/")
	}
	prefixes = append(prefixes, "/")
	var out []string
	for _, name := range wellKnownDescs {
		for _, p := range prefixes {
			if len(out) < discoverGETs {
				out = append(out, bare(u, p+name))
			}
		}
	}
	return out
}

// linkedDescs are the descriptions an answer's Link header points at
// (rel service-desc, RFC 8631, or describedby), resolved against base's
// scheme, host and path: a relative reference ("</openapi.json>", "<>")
// takes nothing else of the call's URL — its user info or query would
// carry the credential — and a Link's own user info is dropped. Only a
// Link on the call's own origin is followed: RFC 8631 lets a description
// live elsewhere, but an answer that could send the doctor to any other
// address could send it to this machine's private network.
func linkedDescs(h http.Header, base *url.URL) []string {
	segs := strings.Split(base.EscapedPath(), "/")
	path := strings.Join(segs[:beforeCredential(segs)], "/")
	if len(path) < len(base.EscapedPath()) {
		path += "/" // a credential in the path: none of it is taken
	}
	base = &url.URL{Scheme: base.Scheme, Host: base.Host}
	if p, err := url.PathUnescape(path); err == nil {
		base.Path, base.RawPath = p, path
	}
	var out []string
	for _, v := range h.Values("Link") {
		for _, link := range strings.Split(v, ",") {
			target, params, ok := strings.Cut(link, ";")
			target = strings.TrimSpace(target)
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			for _, p := range strings.Split(params, ";") {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				rels := strings.Fields(strings.ToLower(strings.Trim(val, `"`)))
				if !strings.EqualFold(k, "rel") || !(slices.Contains(rels, "service-desc") || slices.Contains(rels, "describedby")) {
					continue
				}
				if ref, err := base.Parse(strings.Trim(target, "<>")); err == nil && origin(ref) == origin(base) {
					ref.User = nil
					out = append(out, ref.String())
				}
			}
		}
	}
	return out
}

// findDescription finds the API's description: the one the user names
// (Options.OpenAPI, a file or URL), else one the answer links to, else —
// when the call failed with a 4xx and discovery is on — one at a
// well-known address on the request's origin (marked guessed). It returns
// the description and where it was read ("" and nil when there is none).
func (p *prober) findDescription(ctx context.Context, final *answer) (*apiDesc, string, error) {
	f := newDescFetcher(p.opts.Transport)
	if src := p.opts.OpenAPI; src != "" {
		if !strings.HasPrefix(src, "http://") && !strings.HasPrefix(src, "https://") {
			data, err := readBounded(src, maxDescBytes)
			if err != nil {
				return nil, src, err
			}
			d, err := parseOpenAPI(data)
			return d, src, err
		}
		ctx, cancel := context.WithTimeout(ctx, 3*discoverEach)
		defer cancel()
		f.client.Timeout = 3 * discoverEach
		d, err := f.get(ctx, src, maxDescBytes)
		return d, src, err
	}
	u, err := url.Parse(final.url)
	if err != nil || p.opts.NoDiscover {
		return nil, "", nil
	}
	ctx, cancel := context.WithTimeout(ctx, discoverTotal)
	defer cancel()
	defer func() { p.descAsked = discoverGETs - f.left }()
	for _, target := range linkedDescs(final.header, u) {
		if d, err := f.get(ctx, target, discoverBytes); err == nil {
			return d, target, nil
		}
	}
	if final.status < 400 || final.status > 499 || p.knownAPI(final) {
		// A 2xx whose body says the call failed, or an API the doctor
		// knows: only a linked description.
		return nil, "", nil
	}
	for _, target := range wellKnownCandidates(u) {
		if d, err := f.get(ctx, target, discoverBytes); err == nil {
			d.guessed = true
			return d, target, nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, "", nil
}

// knownAPI reports whether a is the answer of an API the doctor knows
// without its description — a service of the provider table (a row with
// hosts of its own; a framework's row is the user's own API, which may
// well serve one), or an authgate gateway (a reason of the catalogue) —
// where guessing addresses would only spend the caller's unauthenticated
// requests, which public APIs often limit per address.
func (p *prober) knownAPI(a *answer) bool {
	_, authgate := serverCodes[reason.Code(a.problem.Reason)]
	return p.provider != nil && len(p.provider.Hosts) > 0 || authgate
}

// readBounded reads a local file of at most limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := readAtMost(fh, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

// readAtMost reads r whole, failing when it holds more than limit bytes.
func readAtMost(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err == nil && int64(len(data)) > limit {
		err = fmt.Errorf("larger than %d bytes", limit)
	}
	return data, err
}
