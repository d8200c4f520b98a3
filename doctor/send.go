package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/authgate/authgate/challenge"
)

// answer is a response as the doctor keeps it.
type answer struct {
	status     int
	header     http.Header
	body       []byte
	challenges []challenge.Challenge
	challErr   error
	problem    struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Reason string `json:"reason"`
		Detail string `json:"detail"`
	}
	date time.Time
	// localAt is this machine's time when the answer arrived.
	localAt time.Time
	// url is where it came from.
	url string
}

const maxBody = 64 << 10

// do sends one request and reads the answer.
func (p *prober) do(ctx context.Context, method, target string, h http.Header, body string) (*answer, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, err
	}
	req.Header = h
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	a := &answer{status: resp.StatusCode, header: resp.Header, localAt: p.opts.now()}
	a.body, _ = io.ReadAll(io.LimitReader(resp.Body, maxBody))
	a.challenges, a.challErr = challenge.Parse(resp.Header.Values("WWW-Authenticate")...)
	if a.challErr != nil {
		// Read what a lenient client would; the deviation is a note.
		a.challenges = challenge.ParseLenient(resp.Header.Values("WWW-Authenticate")...)
	}
	if strings.Contains(resp.Header.Get("Content-Type"), "json") {
		json.Unmarshal(a.body, &a.problem)
	}
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		a.date = d
	}
	return a, nil
}

// send sends the request, following redirects as browsers and curl -L do
// (credentials go along only while host, port and scheme stay the same),
// and returns every answer of the chain.
func (p *prober) send(ctx context.Context, withCreds bool, hops *[]Hop) ([]*answer, error) {
	r := p.off.req
	method, target, body := r.Method, r.URL, r.Body
	if !withCreds {
		if u, ok := p.off.urlWithoutCredentials(); ok {
			target = u
		}
	}
	start, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("URL %q: %w", target, err)
	}
	sendCreds := withCreds
	var chain []*answer
	for i := 0; ; i++ {
		a, err := p.do(ctx, method, target, r.httpHeader(!sendCreds), body)
		if err != nil {
			if len(chain) > 0 {
				if hops != nil { // where the redirect leads is shown, even unreached
					*hops = append(*hops, Hop{Method: method, URL: shownURL(target), SentCredentials: sendCreds && p.off.sentAny})
				}
				return chain, nil // what a later hop does is shown, not required
			}
			return nil, err
		}
		a.url = target
		chain = append(chain, a)
		loc := a.header.Get("Location")
		if hops != nil {
			*hops = append(*hops, Hop{Method: method, URL: shownURL(target), Status: a.status, Location: shownURL(loc), SentCredentials: sendCreds && p.off.sentAny})
		}
		if a.status < 300 || a.status > 399 || loc == "" || i == 9 {
			return chain, nil
		}
		cur, _ := url.Parse(target)
		next, err := cur.Parse(loc)
		if err != nil {
			return chain, nil
		}
		if next.Scheme != start.Scheme || next.Host != start.Host {
			sendCreds = false
		}
		if a.status == 303 || (a.status == 301 || a.status == 302) && method == http.MethodPost {
			method, body = http.MethodGet, ""
		}
		target = next.String()
	}
}

// last is the answer the user's client ends with: the end of the chain
// when it follows redirects (-L), else the first answer.
func (p *prober) last(chain []*answer) *answer {
	if p.off.req.FollowRedirects {
		return chain[len(chain)-1]
	}
	return chain[0]
}
