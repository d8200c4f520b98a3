package basic

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Entry is one user of an htpasswd file.
type Entry struct {
	Line int
	User string
	Hash string
}

// ParseHtpasswd reads an Apache htpasswd file. Only bcrypt entries can be
// imported (they are re-hashed to argon2id at the next login); MD5-crypt
// ($apr1$), SHA-1 ({SHA}), crypt and plain entries are refused one by one,
// since they cannot be verified safely.
func ParseHtpasswd(r io.Reader) (entries []Entry, problems []string, err error) {
	sc := bufio.NewScanner(r)
	seen := map[string]int{}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		user, hash, ok := strings.Cut(line, ":")
		switch {
		case !ok || user == "" || hash == "":
			problems = append(problems, fmt.Sprintf("line %d: not user:hash", n))
		case !IsBcrypt(hash):
			kind := "crypt or plain text"
			switch {
			case strings.HasPrefix(hash, "$apr1$"):
				kind = "MD5-crypt ($apr1$)"
			case strings.HasPrefix(hash, "{SHA}"):
				kind = "unsalted SHA-1 ({SHA})"
			}
			problems = append(problems, fmt.Sprintf("line %d: user %q has a %s hash, which is too weak to keep: set a new password with 'authgate users passwd %s'", n, user, kind, user))
		case seen[user] > 0:
			problems = append(problems, fmt.Sprintf("line %d: user %q already on line %d", n, user, seen[user]))
		default:
			seen[user] = n
			entries = append(entries, Entry{Line: n, User: user, Hash: hash})
		}
	}
	return entries, problems, sc.Err()
}
