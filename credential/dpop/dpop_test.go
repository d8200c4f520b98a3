package dpop

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	"github.com/authgate/authgate/credential"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/internal/redistest"
	"github.com/authgate/authgate/reason"
)

func FuzzParse(f *testing.F) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	good, _, _ := Sign(key, "ES256", ProofRequest{Method: "GET", URL: "https://api.example.com/x", AccessToken: "t", Nonce: "n"})
	f.Add(good)
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := Parse(raw, DefaultAlgorithms)
		if err != nil {
			if reason.CodeOf(err) != reason.DPoPProofInvalid {
				t.Fatalf("refused with %v, want %s", reason.CodeOf(err), reason.DPoPProofInvalid)
			}
			return
		}
		// Accepted: its signature verified with its own key, so its
		// key and claims are all there.
		if p.Thumbprint == "" || p.JTI == "" || p.Method == "" || p.URL == "" || p.IssuedAt.IsZero() {
			t.Fatalf("accepted a proof without its parts: %+v", p)
		}
	})
}

func TestNonces(t *testing.T) {
	n := NewNonces([]byte("secret"), time.Minute)
	now := time.Unix(1_800_000_000, 0)
	cur := n.Current(now)
	switch {
	case !n.Valid(cur, now):
		t.Fatal("the current nonce is refused")
	case !n.Valid(cur, now.Add(time.Minute)):
		t.Fatal("the previous window's nonce is refused")
	case n.Valid(cur, now.Add(2*time.Minute)):
		t.Fatal("a nonce two windows old is accepted")
	case NewNonces([]byte("other"), time.Minute).Valid(cur, now):
		t.Fatal("another key's nonce is accepted")
	case NewNonces([]byte("secret"), time.Minute).Current(now) != cur:
		t.Fatal("two instances with one key issue different nonces")
	}
}

func TestNormalizeURL(t *testing.T) {
	for in, want := range map[string]string{
		"HTTPS://API.Example.COM:443/a/b?q=1#f": "https://api.example.com/a/b",
		"http://h:80":                           "http://h/",
		"http://h:8080/%7Ea":                    "http://h:8080/~a",
		"https://[::1]:8443/x":                  "https://[::1]:8443/x",
		"https://u:p@h/x":                       "https://h/x",
	} {
		if got, err := NormalizeURL(in); err != nil || got != want {
			t.Errorf("NormalizeURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"/relative", "ftp://h/x", "mailto:a@b", ""} {
		if _, err := NormalizeURL(bad); err == nil {
			t.Errorf("NormalizeURL(%q) accepted", bad)
		}
	}
}

// TestRedisReplaySharedByInstances: two verifiers (two instances of a
// fleet) with one Redis: a proof used at one is refused at the other.
func TestRedisReplaySharedByInstances(t *testing.T) {
	client, prefix := redistest.Client(t)
	s := Settings{}
	if err := s.Provision(); err != nil {
		t.Fatal(err)
	}
	a := NewVerifier(s, NewRedis(client, prefix), NewNonces([]byte("k"), time.Minute), nil)
	b := NewVerifier(s, NewRedis(client, prefix), NewNonces([]byte("k"), time.Minute), nil)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	const url, token = "https://api.example.com/v1", "the-token"
	proof, jkt, err := Sign(key, "ES256", ProofRequest{Method: "GET", URL: url, AccessToken: token})
	if err != nil {
		t.Fatal(err)
	}
	bind := &credential.Binding{Method: "GET", URL: url, Proofs: []string{proof}}
	got, err := a.Verify(context.Background(), bind, token, nil)
	if err != nil || got != jkt {
		t.Fatalf("first use at instance a: %q, %v", got, err)
	}
	if _, err := b.Verify(context.Background(), bind, token, nil); reason.CodeOf(err) != reason.DPoPProofReplayed {
		t.Fatalf("second use at instance b: %v, want %s", err, reason.DPoPProofReplayed)
	}
	fresh, _, _ := Sign(key, "ES256", ProofRequest{Method: "GET", URL: url, AccessToken: token})
	if _, err := b.Verify(context.Background(), &credential.Binding{Method: "GET", URL: url, Proofs: []string{fresh}}, token, nil); err != nil {
		t.Fatalf("a fresh proof at instance b: %v", err)
	}
	if th, _ := jwt.Thumbprint(&key.PublicKey); th != jkt {
		t.Fatal("Sign's thumbprint is not the key's")
	}
}

// TestRedisDownFailsClosed: a replay cache that does not answer is the
// gateway's fault (503), never an accepted proof.
func TestRedisDownFailsClosed(t *testing.T) {
	client, prefix := redistest.Client(t)
	s := Settings{}
	s.Provision()
	v := NewVerifier(s, NewRedis(client, prefix), NewNonces([]byte("k"), time.Minute), nil)
	client.Close()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	proof, _, _ := Sign(key, "ES256", ProofRequest{Method: "GET", URL: "https://h/x", AccessToken: "t"})
	_, err := v.Verify(context.Background(), &credential.Binding{Method: "GET", URL: "https://h/x", Proofs: []string{proof}}, "t", nil)
	if reason.CodeOf(err) != reason.AuthUnavailable {
		t.Fatalf("%v, want %s", err, reason.AuthUnavailable)
	}
}
