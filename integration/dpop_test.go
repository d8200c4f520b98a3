package integration

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/credential/dpop"
	"github.com/authgate/authgate/internal/redistest"
	"github.com/authgate/authgate/internal/tokentest"
	"github.com/authgate/authgate/reason"
)

// TestDPoPReplayAcrossInstances: two gateways of one fleet share Redis
// (rate_limits.backend: redis); a DPoP proof used at one is refused at
// the other, and a nonce issued by one is accepted by the other (they
// share the fingerprint key). Hydra v2.3 (the provider of TestHydra)
// issues no DPoP-bound tokens, so the local test issuer mints cnf.jkt
// tokens here.
func TestDPoPReplayAcrossInstances(t *testing.T) {
	_, prefix := redistest.Client(t)
	extra := fmt.Sprintf(`fingerprint_key: fleet-fingerprint-key-0123456789abcdef
rate_limits: {backend: redis, redis: {addr: "%s", prefix: "%s"}}
dpop: {nonce: true}`, redistest.Addr(), prefix)
	routes := "routes:\n  - {name: api, path: /v1/*, dpop: required, upstream: \"UP\"}\n"
	one, two := startStack(t, "", extra, routes, false), startStack(t, "", extra, routes, false)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, jkt, _ := dpop.Sign(key, "ES256", dpop.ProofRequest{Method: "GET", URL: "http://x/"})
	tok := tokentest.Sign(t, map[string]any{"iss": issuer, "aud": "api", "sub": "alice", "cnf": map[string]any{"jkt": jkt}}, nil)
	call := func(s *stack, proof string) (int, reason.Code, string) {
		r := raw(t, s.gatewayAddr, "GET", "/v1/data", "Authorization", "DPoP "+tok, "DPoP", proof)
		var p api.Problem
		json.Unmarshal([]byte(r.body), &p)
		return r.status, reason.Code(p.Reason), r.header.Get("DPoP-Nonce")
	}
	proofFor := func(s *stack, nonce string) string {
		p, _, err := dpop.Sign(key, "ES256", dpop.ProofRequest{Method: "GET", URL: "http://" + s.gatewayAddr + "/v1/data", AccessToken: tok, Nonce: nonce})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The first call learns a nonce from instance one.
	status, code, nonce := call(one, proofFor(one, ""))
	if status != 401 || code != reason.DPoPNonceRequired || nonce == "" {
		t.Fatalf("without a nonce: %d %s nonce=%t, want 401 %s and a nonce", status, code, nonce != "", reason.DPoPNonceRequired)
	}
	// Instance two accepts instance one's nonce.
	if status, code, _ := call(two, proofFor(two, nonce)); status != 200 {
		t.Fatalf("instance two with instance one's nonce: %d %s", status, code)
	}
	// A proof used at instance one is refused at instance two. The URL
	// names instance one; instance two would refuse it for its htu
	// anyway, so both are reached through one name: instance two's
	// proof, used there first, then at one with the Host of two.
	used := proofFor(two, nonce)
	if status, code, _ := call(two, used); status != 200 {
		t.Fatalf("first use at instance two: %d %s", status, code)
	}
	r := raw(t, one.gatewayAddr, "GET", "/v1/data", "Host", two.gatewayAddr, "Authorization", "DPoP "+tok, "DPoP", used)
	var p api.Problem
	json.Unmarshal([]byte(r.body), &p)
	if r.status != 401 || p.Reason != string(reason.DPoPProofReplayed) {
		t.Fatalf("the same proof at instance one: %d %s (%s), want 401 %s", r.status, p.Reason, p.Detail, reason.DPoPProofReplayed)
	}
}
