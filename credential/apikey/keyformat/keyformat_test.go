package keyformat

import (
	"hash/crc32"
	"math/big"
	"strings"
	"testing"

	"github.com/authgate/authgate/reason"
)

func TestFormat(t *testing.T) {
	key, id, err := Generate("live")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key, "ag_live_") || len(key) != len("ag_live_")+49 || len(id) != 8 {
		t.Fatalf("key %q id %q", key, id)
	}
	if env, err := Environment(key); err != nil || env != "live" {
		t.Fatalf("Environment: %q %v", env, err)
	}
	flip := func(s string, i int) string {
		c := byte('A')
		if s[i] == 'A' {
			c = 'B'
		}
		return s[:i] + string(c) + s[i+1:]
	}
	for name, bad := range map[string]string{
		"truncated":       key[:len(key)-1],
		"extended":        key + "x",
		"typo in body":    flip(key, 20),
		"typo in sum":     flip(key, len(key)-2),
		"no prefix":       key[3:],
		"bad char":        key[:20] + "-" + key[21:],
		"env not letters": "ag_LIVE_" + key[8:],
	} {
		if _, err := Environment(bad); reason.CodeOf(err) != reason.APIKeyMalformed {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, err := Generate("Prod!"); err == nil {
		t.Error("bad environment accepted")
	}
}

func FuzzEnvironment(f *testing.F) {
	key, _, _ := Generate("live")
	f.Add(key)
	f.Add("ag_test_")
	f.Fuzz(func(t *testing.T, s string) {
		env, err := Environment(s)
		if err != nil {
			if reason.CodeOf(err) != reason.APIKeyMalformed {
				t.Fatalf("reason %s", reason.CodeOf(err))
			}
			return
		}
		if !strings.HasPrefix(s, Prefix+env+"_") || len(s) != len(Prefix)+len(env)+1+randomLen+checksumLen {
			t.Fatalf("accepted %q as a %s key", s, env)
		}
	})
}

func TestChecksumMatchesBase62(t *testing.T) {
	for _, body := range []string{"", "ag_live_x", "ag_test_" + strings.Repeat("Z", 43)} {
		c := crc32.ChecksumIEEE([]byte(body))
		if want := base62(new(big.Int).SetUint64(uint64(c)).Bytes(), checksumLen); checksum(body) != want {
			t.Fatalf("checksum(%q) = %s, want %s", body, checksum(body), want)
		}
	}
}
