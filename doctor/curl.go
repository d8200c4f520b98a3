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
	words, err := curlWords(cmd, lookup)
	if err != nil {
		return nil, err
	}
	c := &curlCommand{words: words, r: &Request{}}
	for c.i = 1; c.i < len(words); c.i++ {
		if err := c.read(words[c.i]); err != nil {
			return nil, err
		}
	}
	return c.request()
}

// curlWords splits cmd into words as a shell would, and checks that it
// runs curl.
func curlWords(cmd string, lookup func(string) (string, bool)) ([]Word, error) {
	words, err := SplitShell(cmd, lookup)
	if err != nil {
		return nil, fmt.Errorf("the curl command does not parse as shell: %w", err)
	}
	if len(words) == 0 || path.Base(words[0].Text) != "curl" {
		return nil, errors.New("the command does not start with curl")
	}
	return words, nil
}

// curlCommand is a curl command line being read, word by word, into the
// request it sends.
type curlCommand struct {
	words []Word
	i     int // the word being read
	r     *Request
	// method is -X's value; head and get are -I and -G: what they do to
	// the request is settled when every word is read.
	method    string
	head, get bool
	// upload is -T (a PUT); query is --url-query's parts, joined to the
	// URL's query once every word is read.
	upload bool
	query  []string
}

// curlOption is an option of curl the doctor reads: whether it takes a
// value, and what it does to the request (nil: nothing the request shows).
type curlOption struct {
	names []string
	value bool
	apply func(c *curlCommand, flag string, v Word) error
}

// curlOptions are the options the doctor reads, by each of their names
// (short letters included: -L, -I, -G also come in clusters).
var curlOptions = indexOptions([]curlOption{
	{names: []string{"-X", "--request"}, value: true, apply: func(c *curlCommand, _ string, v Word) error {
		c.method = v.Text
		return nil
	}},
	{names: []string{"-H", "--header"}, value: true, apply: func(c *curlCommand, _ string, v Word) error {
		return c.r.AddHeader(v.Text, v)
	}},
	{names: []string{"-u", "--user"}, value: true, apply: (*curlCommand).user},
	{names: []string{"--oauth2-bearer"}, value: true, apply: func(c *curlCommand, _ string, v Word) error {
		c.r.removeHeader("Authorization")
		c.r.Headers = append(c.r.Headers, Header{Name: "Authorization", Value: "Bearer " + v.Text, Unrun: v.Unrun, Unset: v.Unset})
		return nil
	}},
	{names: []string{"-d", "--data", "--data-raw", "--data-binary", "--data-ascii", "--data-urlencode", "--json"}, value: true, apply: (*curlCommand).data},
	{names: []string{"-F", "--form", "--form-string"}, value: true, apply: func(c *curlCommand, _ string, v Word) error {
		// A form field, name=value (curl sends it multipart): the doctor
		// reads it as a field of the body, where a credential is found.
		return c.data("--form", v)
	}},
	{names: []string{"-T", "--upload-file"}, value: true, apply: func(c *curlCommand, _ string, _ Word) error {
		c.upload = true
		return nil
	}},
	{names: []string{"--url-query"}, value: true, apply: func(c *curlCommand, _ string, v Word) error {
		c.query = append(c.query, strings.TrimPrefix(v.Text, "+"))
		return nil
	}},
	{names: []string{"-A", "--user-agent"}, value: true, apply: headerOption("User-Agent")},
	{names: []string{"-e", "--referer"}, value: true, apply: headerOption("Referer")},
	{names: []string{"-b", "--cookie"}, value: true, apply: headerOption("Cookie")},
	{names: []string{"--url"}, value: true, apply: func(c *curlCommand, _ string, v Word) error {
		c.r.URL = v.Text
		return nil
	}},
	{names: []string{"-L", "--location", "--location-trusted"}, apply: func(c *curlCommand, flag string, _ Word) error {
		c.r.FollowRedirects = true
		if flag == "--location-trusted" {
			c.r.Notes = append(c.r.Notes, "--location-trusted sends credentials to every host a redirect names")
		}
		return nil
	}},
	{names: []string{"-I", "--head"}, apply: func(c *curlCommand, _ string, _ Word) error {
		c.head = true
		return nil
	}},
	{names: []string{"-G", "--get"}, apply: func(c *curlCommand, _ string, _ Word) error {
		c.get = true
		return nil
	}},
	{names: []string{"--verbose", "--silent", "--show-error", "--include", "--insecure", "--compressed", "--fail", "--globoff", "--progress-bar"}},
	{names: []string{"-o", "--output", "-w", "--write-out", "-m", "--max-time", "--connect-timeout", "--retry", "-x", "--proxy", "--cacert", "--cert", "--key", "-E",
		"-D", "--dump-header", "-c", "--cookie-jar", "-r", "--range", "-K", "--config", "-U", "--proxy-user", "-Y", "--speed-limit",
		"-y", "--speed-time", "-z", "--time-cond", "--max-redirs", "--resolve", "--connect-to", "--limit-rate", "--retry-delay",
		"--retry-max-time", "--interface", "--aws-sigv4", "--capath", "--cert-type", "--key-type", "--pass", "--ciphers",
		"--tls-max", "--expect100-timeout", "--trace", "--trace-ascii", "--stderr", "--unix-socket", "--abstract-unix-socket",
		"--max-filesize", "--keepalive-time", "--dns-servers", "--proxy-header", "--variable", "--trace-config"}, value: true},
})

// indexOptions maps each name of each option to it.
func indexOptions(list []curlOption) map[string]curlOption {
	index := map[string]curlOption{}
	for _, o := range list {
		for _, name := range o.names {
			index[name] = o
		}
	}
	return index
}

// headerOption is the apply of an option that sends its value in the
// header name.
func headerOption(name string) func(*curlCommand, string, Word) error {
	return func(c *curlCommand, _ string, v Word) error {
		c.r.Headers = append(c.r.Headers, Header{Name: name, Value: v.Text, Unrun: v.Unrun, Unset: v.Unset})
		return nil
	}
}

// user is -u: a Basic pair, with an empty password when none is given.
func (c *curlCommand) user(_ string, v Word) error {
	if !strings.Contains(v.Text, ":") {
		c.r.Notes = append(c.r.Notes, "-u without ':password' makes curl prompt for the password; the doctor sends an empty one")
		v.Text += ":"
	}
	c.r.SetBasic(v.Text, v)
	return nil
}

// data is -d and its kin: the body, several joined by '&' (--json also
// sets the JSON headers).
func (c *curlCommand) data(flag string, v Word) error {
	if c.r.Body != "" {
		c.r.Body += "&"
	}
	c.r.Body += v.Text
	if flag == "--json" {
		c.r.Headers = append(c.r.Headers, Header{Name: "Content-Type", Value: "application/json"}, Header{Name: "Accept", Value: "application/json"})
	}
	return nil
}

// read reads one word: a cluster of short options, an option (with its
// value, inline or the next word), or the URL.
func (c *curlCommand) read(w Word) error {
	bools, rest := splitCluster(w.Text)
	for _, b := range bools {
		if o, ok := curlOptions["-"+string(b)]; ok && o.apply != nil {
			if err := o.apply(c, "-"+string(b), Word{}); err != nil {
				return err
			}
		}
	}
	if rest == "" {
		return nil
	}
	flag, inline, hasInline := splitInline(rest)
	o, known := curlOptions[flag]
	switch {
	case known:
		var v Word
		if o.value && hasInline {
			v = Word{Text: inline, Unrun: w.Unrun, Unset: w.Unset}
		} else if o.value {
			if c.i+1 >= len(c.words) {
				return fmt.Errorf("curl option %s needs a value", flag)
			}
			c.i++
			v = c.words[c.i]
		}
		if o.apply == nil {
			return nil
		}
		return o.apply(c, flag, v)
	case strings.HasPrefix(w.Text, "-"):
		c.r.Notes = append(c.r.Notes, fmt.Sprintf("curl option %s is not understood by the doctor and was ignored", flag))
	case c.r.URL == "":
		c.r.URL = w.Text
	default:
		c.r.Notes = append(c.r.Notes, "more than one URL: the doctor checks the first")
	}
	return nil
}

// splitInline splits an option from a value written in the same word:
// "--name=value", or "-Xvalue" for a short option that takes a value.
func splitInline(word string) (flag, inline string, hasInline bool) {
	switch {
	case strings.HasPrefix(word, "--"):
		return strings.Cut(word, "=")
	case len(word) > 2 && word[0] == '-' && strings.IndexByte(valueShort, word[1]) >= 0:
		return word[:2], word[2:], true
	}
	return word, "", false
}

// request is the request the command sends, once every word is read: a
// URL (http:// when it names no scheme), -G's data moved into its query,
// and the method that -X, -I or a body make.
func (c *curlCommand) request() (*Request, error) {
	r := c.r
	if r.URL == "" {
		return nil, errors.New("the curl command names no URL")
	}
	if !strings.Contains(r.URL, "://") {
		r.URL = "http://" + r.URL
	}
	for _, q := range c.query {
		sep := "?"
		if strings.Contains(r.URL, "?") {
			sep = "&"
		}
		r.URL += sep + q
	}
	if c.get && r.Body != "" {
		// -G: the data is the query of a GET, after any the URL has.
		sep := "?"
		if strings.Contains(r.URL, "?") {
			sep = "&"
		}
		r.URL, r.Body = r.URL+sep+r.Body, ""
	}
	switch {
	case c.method != "":
		r.Method = strings.ToUpper(c.method)
	case c.head:
		r.Method = "HEAD"
	case c.upload:
		r.Method = "PUT"
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
	valueShort = "XHudbAeowmxEFTDcrKUYyz"
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
