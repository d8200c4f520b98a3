package demo

import (
	"context"
	"crypto"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/credential/dpop"
	"github.com/authgate/authgate/credential/jwt"
	"github.com/authgate/authgate/reason"
)

// TestDemoCases starts the demo as `authgate demo` does and checks that
// every printed case answers with its status, reason and challenge.
func TestDemoCases(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	state := t.TempDir()
	d, err := Start(ctx, Options{Listen: "127.0.0.1:0", StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	data, err := os.ReadFile(filepath.Join(state, "demo.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"valid", "expired", "not_yet_valid", "wrong_audience", "wrong_issuer", "bad_signature", "insufficient_scope",
		"admin_role", "opaque_valid", "opaque_revoked"} {
		if f.Tokens[name] == "" {
			t.Fatalf("demo.json lacks token %q", name)
		}
	}
	if len(f.APIKeys) != 3 || f.Basic.User == "" || f.Basic.Password == "" {
		t.Fatalf("demo.json credentials: %+v %+v", f.APIKeys, f.Basic)
	}
	if f.URL == "" || f.Issuer == "" || f.Audience != Audience || f.JWKSURL == "" {
		t.Fatalf("demo.json: %+v", f)
	}
	if st, err := os.Stat(f.SigningKeyFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("signing key file: %v %v", st, err)
	}

	// The metadata names the demo issuer as the authorization server.
	resp, err := http.Get(f.URL + "/.well-known/oauth-protected-resource")
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Resource             string   `json:"resource"`
		AuthorizationServers []string `json:"authorization_servers"`
	}
	json.NewDecoder(resp.Body).Decode(&meta)
	resp.Body.Close()
	if meta.Resource != f.URL || len(meta.AuthorizationServers) != 1 || meta.AuthorizationServers[0] != f.Issuer {
		t.Fatalf("protected resource metadata %+v", meta)
	}

	for _, c := range Cases {
		t.Run(c.Method+" "+c.Path+" "+c.Token, func(t *testing.T) {
			req, _ := http.NewRequest(c.Method, f.URL+c.Path, nil)
			switch {
			case c.Token != "":
				req.Header.Set("Authorization", "Bearer "+f.Tokens[c.Token])
			case c.APIKey != "":
				req.Header.Set("X-API-Key", f.APIKeys[c.APIKey])
			case c.Basic == "good":
				req.SetBasicAuth(f.Basic.User, f.Basic.Password)
			case c.Basic == "wrong":
				req.SetBasicAuth(f.Basic.User, WrongPassword)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.Status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.Status, body)
			}
			if c.Reason == "" {
				return
			}
			var p struct {
				Reason string `json:"reason"`
			}
			json.Unmarshal(body, &p)
			if p.Reason != string(c.Reason) {
				t.Fatalf("reason %q, want %q", p.Reason, c.Reason)
			}
			if !reason.Lookup(c.Reason).Challenged() {
				if n := len(resp.Header.Values("WWW-Authenticate")); n != 0 {
					t.Fatalf("%d challenges on a %d", n, resp.StatusCode)
				}
				return
			}
			cs, err := challenge.Parse(resp.Header.Values("WWW-Authenticate")...)
			schemes := map[string]challenge.Challenge{}
			for _, c := range cs {
				schemes[strings.ToLower(c.Scheme)] = c
			}
			// Bearer, DPoP (the demo issuer's tokens may be DPoP-bound),
			// ApiKey, Basic.
			if err != nil || len(cs) != 4 || schemes["bearer"].Scheme == "" || schemes["apikey"].Scheme == "" || schemes["dpop"].Scheme == "" {
				t.Fatalf("challenges %+v %v", cs, err)
			}
			if cs, _ := schemes["basic"].Get("charset"); cs != "UTF-8" {
				t.Fatalf("Basic challenge %+v", schemes["basic"])
			}
			// The error goes on the challenge of the scheme the credential
			// came in (an API key in X-API-Key: ApiKey), and on no other.
			on := "bearer"
			if c.APIKey != "" {
				on = "apikey"
			}
			for name, ch := range schemes {
				errParam, has := ch.Get("error")
				want := ""
				if name == on {
					want = reason.Lookup(c.Reason).BearerError
				}
				if errParam != want || want == "" && has {
					t.Fatalf("%s challenge error=%q, want %q", name, errParam, want)
				}
			}
			bearer := schemes["bearer"]
			if realm, _ := bearer.Get("realm"); realm != "demo" {
				t.Fatalf("realm %q", realm)
			}
			// RFC 9728: every Bearer challenge names the metadata.
			if rm, _ := bearer.Get("resource_metadata"); rm != f.URL+"/.well-known/oauth-protected-resource" {
				t.Fatalf("resource_metadata %q", rm)
			}
			if c.Reason == reason.InsufficientScope {
				if scope, _ := bearer.Get("scope"); scope != "write" {
					t.Fatalf("scope=%q, want write", scope)
				}
			}
		})
	}
}

// TestExplainParity: for every demo credential, the admin API's explain
// gives the status and reason the gateway actually answers.
func TestExplainParity(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := Start(ctx, Options{Listen: "127.0.0.1:0", StateDir: t.TempDir(), AdminListen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f := d.File
	if f.AdminURL == "" || !strings.HasPrefix(f.AdminKey, "ag_live_") {
		t.Fatalf("demo.json admin fields: %q %q", f.AdminURL, f.AdminKey)
	}
	for _, c := range Cases {
		t.Run(c.Method+" "+c.Path+" "+c.Token+c.APIKey+c.Basic, func(t *testing.T) {
			req, _ := http.NewRequest(c.Method, f.URL+c.Path, nil)
			in := map[string]string{"method": c.Method, "path": c.Path}
			switch {
			case c.Token != "":
				req.Header.Set("Authorization", "Bearer "+f.Tokens[c.Token])
				in["token"] = f.Tokens[c.Token]
			case c.APIKey != "":
				req.Header.Set("X-API-Key", f.APIKeys[c.APIKey])
				in["api_key"] = f.APIKeys[c.APIKey]
			case c.Basic != "":
				pw := f.Basic.Password
				if c.Basic == "wrong" {
					pw = WrongPassword
				}
				req.SetBasicAuth(f.Basic.User, pw)
				in["authorization"] = req.Header.Get("Authorization")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var actual struct {
				Reason string `json:"reason"`
			}
			json.NewDecoder(resp.Body).Decode(&actual)
			resp.Body.Close()

			body, _ := json.Marshal(in)
			ereq, _ := http.NewRequest("POST", f.AdminURL+"/admin/v1/explain", strings.NewReader(string(body)))
			ereq.Header.Set("X-API-Key", f.AdminKey)
			eresp, err := http.DefaultClient.Do(ereq)
			if err != nil {
				t.Fatal(err)
			}
			var explained struct {
				Status int    `json:"status"`
				Reason string `json:"reason"`
			}
			json.NewDecoder(eresp.Body).Decode(&explained)
			eresp.Body.Close()
			want := resp.StatusCode
			if want >= 200 && want < 300 {
				want = 200 // allowed: the upstream chooses its own success status
			}
			if eresp.StatusCode != 200 || explained.Status != want || explained.Reason != actual.Reason {
				t.Fatalf("explain says %d %q, the gateway answered %d %q", explained.Status, explained.Reason, resp.StatusCode, actual.Reason)
			}
		})
	}
}

// TestDemoDPoP: token dpop_bound passes with a proof signed by the key in
// dpop_key_file, as `authgate jwt dpop` makes it, and is refused as Bearer.
func TestDemoDPoP(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := Start(ctx, Options{Listen: "127.0.0.1:0", StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f := d.File
	pemKey, err := os.ReadFile(f.DPoPKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	key, alg, err := jwt.ParsePrivateKey(pemKey)
	if err != nil {
		t.Fatal(err)
	}
	tok := f.Tokens[DPoPBound]
	proof, _, err := dpop.Sign(key.(crypto.Signer), alg, dpop.ProofRequest{Method: "GET", URL: f.URL + "/v1/data", AccessToken: tok})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		scheme, proof string
		status        int
	}{{"DPoP", proof, 200}, {"Bearer", "", 401}} {
		req, _ := http.NewRequest("GET", f.URL+"/v1/data", nil)
		req.Header.Set("Authorization", c.scheme+" "+tok)
		if c.proof != "" {
			req.Header.Set("DPoP", c.proof)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Fatalf("%s: %d, want %d: %s", c.scheme, resp.StatusCode, c.status, body)
		}
	}
}

// TestStartFailureReleasesListeners: a Start that fails after it opened
// the gateway's listener (here because the admin address is taken)
// closes it again: the address can be bound once Start returns.
func TestStartFailureReleasesListeners(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := free.Addr().String()
	free.Close()

	_, err = Start(context.Background(), Options{Listen: addr, AdminListen: taken.Addr().String(), StateDir: t.TempDir()})
	if err == nil {
		t.Fatal("Start succeeded although the admin address is taken")
	}
	again, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the gateway's address is still held after the failed Start: %v", err)
	}
	again.Close()
}
