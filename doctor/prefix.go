package doctor

// maxPrefix bounds the prefix shown as evidence, whatever the credential.
const maxPrefix = 12

// visiblePrefix is the part of a credential the doctor may show as
// evidence of what it is: its vendor or environment prefix (sk_live_,
// ghp_, xoxb-, ag_live_, myapp-prod-), read as the longest run of
// letter-and-digit segments each ending in a separator (_, - or .).
// It is bounded so that it cannot reach the secret part: never more than
// maxPrefix bytes nor more than a third of the credential. It is "" when
// no such prefix fits.
func visiblePrefix(v string) string {
	limit := min(maxPrefix, len(v)/3)
	end, segment := 0, 0
	for i := 0; i < len(v) && i < limit; i++ {
		switch c := v[i]; {
		case c == '_' || c == '-' || c == '.':
			if segment == 0 {
				return v[:end]
			}
			end, segment = i+1, 0
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			segment++
		default:
			return v[:end]
		}
	}
	return v[:end]
}
