package gateway

import "testing"

// TestFingerprinterKeptAcrossReloads: gateways built on one State share
// its fingerprinter while fingerprint_key stays the same — also when it is
// empty (a random key, drawn once) — so fingerprints, and the verified-token
// cache keyed by the same digests, survive a reload; a new key gives new
// digests.
func TestFingerprinterKeptAcrossReloads(t *testing.T) {
	s := NewState(nil)
	for _, key := range []string{"", "k1"} {
		first, reloaded := s.fingerprinter(key).Digest("secret"), s.fingerprinter(key).Digest("secret")
		if first != reloaded {
			t.Errorf("fingerprint_key %q: the digest changed at a reload", key)
		}
	}
	if s.fingerprinter("k1").Digest("secret") == s.fingerprinter("k2").Digest("secret") {
		t.Error("a new fingerprint_key kept the old digests")
	}
}
