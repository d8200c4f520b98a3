package doctor

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// ParseCurl reads a pasted curl command, quoted and expanded exactly as a
// POSIX shell would (see SplitShell), into the request curl would send.
func ParseCurl(cmd string, lookup func(string) (string, bool)) (*Request, error) {
	words, err := SplitShell(cmd, lookup)
	if err != nil {
		return nil, fmt.Errorf("the curl command does not parse as shell: %w", err)
	}
	if len(words) == 0 || path.Base(words[0].Text) != "curl" {
		return nil, errors.New("the command does not start with curl")
	}
	r := &Request{}
	explicitMethod, head, get := "", false, false
	next := func(i *int, flag string) (Word, error) {
		if *i+1 >= len(words) {
			return Word{}, fmt.Errorf("curl option %s needs a value", flag)
		}
		*i++
		return words[*i], nil
	}
	for i := 1; i < len(words); i++ {
		w := words[i]
		bools, rest := splitCluster(w.Text)
		for _, c := range bools {
			switch c {
			case 'L':
				r.FollowRedirects = true
			case 'I':
				head = true
			case 'G':
				get = true
			}
		}
		if rest == "" {
			continue
		}
		flag, inline, hasInline := rest, "", false
		if strings.HasPrefix(flag, "--") {
			flag, inline, hasInline = strings.Cut(flag, "=")
		} else if len(flag) > 2 && flag[0] == '-' && strings.IndexByte(valueShort, flag[1]) >= 0 {
			flag, inline, hasInline = flag[:2], flag[2:], true
		}
		value := func() (Word, error) {
			if hasInline {
				return Word{Text: inline, Unrun: w.Unrun, Unset: w.Unset}, nil
			}
			return next(&i, flag)
		}
		switch flag {
		case "-X", "--request":
			v, err := value()
			if err != nil {
				return nil, err
			}
			explicitMethod = v.Text
		case "-H", "--header":
			v, err := value()
			if err != nil {
				return nil, err
			}
			if err := r.AddHeader(v.Text, v); err != nil {
				return nil, err
			}
		case "-u", "--user":
			v, err := value()
			if err != nil {
				return nil, err
			}
			if !strings.Contains(v.Text, ":") {
				r.Notes = append(r.Notes, "-u without ':password' makes curl prompt for the password; the doctor sends an empty one")
				v.Text += ":"
			}
			r.SetBasic(v.Text, v)
		case "--oauth2-bearer":
			v, err := value()
			if err != nil {
				return nil, err
			}
			r.removeHeader("Authorization")
			r.Headers = append(r.Headers, Header{Name: "Authorization", Value: "Bearer " + v.Text, Unrun: v.Unrun, Unset: v.Unset})
		case "-d", "--data", "--data-raw", "--data-binary", "--data-ascii", "--data-urlencode", "--json":
			v, err := value()
			if err != nil {
				return nil, err
			}
			if r.Body != "" {
				r.Body += "&"
			}
			r.Body += v.Text
			if flag == "--json" {
				r.Headers = append(r.Headers, Header{Name: "Content-Type", Value: "application/json"}, Header{Name: "Accept", Value: "application/json"})
			}
		case "-A", "--user-agent":
			v, err := value()
			if err != nil {
				return nil, err
			}
			r.Headers = append(r.Headers, Header{Name: "User-Agent", Value: v.Text})
		case "-e", "--referer":
			v, err := value()
			if err != nil {
				return nil, err
			}
			r.Headers = append(r.Headers, Header{Name: "Referer", Value: v.Text})
		case "-b", "--cookie":
			v, err := value()
			if err != nil {
				return nil, err
			}
			r.Headers = append(r.Headers, Header{Name: "Cookie", Value: v.Text})
		case "--url":
			v, err := value()
			if err != nil {
				return nil, err
			}
			r.URL = v.Text
		case "--location", "--location-trusted":
			r.FollowRedirects = true
			if flag == "--location-trusted" {
				r.Notes = append(r.Notes, "--location-trusted sends credentials to every host a redirect names")
			}
		case "--head":
			head = true
		case "--get":
			get = true
		case "--verbose", "--silent", "--show-error", "--include", "--insecure", "--compressed", "--fail", "--globoff", "--progress-bar":
		case "-o", "--output", "-w", "--write-out", "-m", "--max-time", "--connect-timeout", "--retry", "-x", "--proxy", "--cacert", "--cert", "--key", "-E":
			if _, err := value(); err != nil {
				return nil, err
			}
		default:
			if strings.HasPrefix(w.Text, "-") {
				r.Notes = append(r.Notes, fmt.Sprintf("curl option %s is not understood by the doctor and was ignored", flag))
				continue
			}
			if r.URL == "" {
				r.URL = w.Text
			} else {
				r.Notes = append(r.Notes, "more than one URL: the doctor checks the first")
			}
		}
	}
	if r.URL == "" {
		return nil, errors.New("the curl command names no URL")
	}
	if !strings.Contains(r.URL, "://") {
		r.URL = "http://" + r.URL
	}
	if get && r.Body != "" {
		// -G: the data is the query of a GET, after any the URL has.
		sep := "?"
		if strings.Contains(r.URL, "?") {
			sep = "&"
		}
		r.URL, r.Body = r.URL+sep+r.Body, ""
	}
	switch {
	case explicitMethod != "":
		r.Method = strings.ToUpper(explicitMethod)
	case head:
		r.Method = "HEAD"
	case r.Body != "":
		r.Method = "POST"
	default:
		r.Method = "GET"
	}
	return r, nil
}

// boolShort are curl's short options that take no value; valueShort those
// that do (the rest of their word, or the next word, is the value).
const (
	boolShort  = "vsSikfgLIG#"
	valueShort = "XHudbAeowmxE"
)

// splitCluster splits a word of short options as curl's getopt reads it:
// the value-less letters at its start (bools), and what is left as an
// option of its own ("-X…"), or "" when nothing is. A word that is not a
// short-option cluster is returned whole as rest.
func splitCluster(word string) (bools, rest string) {
	if len(word) < 2 || word[0] != '-' || word[1] == '-' {
		return "", word
	}
	n := 1
	for n < len(word) && strings.IndexByte(boolShort, word[n]) >= 0 {
		n++
	}
	if n == len(word) {
		return word[1:], ""
	}
	return word[1:n], "-" + word[n:]
}
