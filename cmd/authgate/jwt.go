package main

import (
	"bytes"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/authgate/authgate/credential/dpop"
	"github.com/authgate/authgate/credential/jwt"
)

func jwtCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "jwt", Short: "Inspect and mint JWTs (developer tools)"}
	cmd.AddCommand(jwtInspectCmd(), jwtMintCmd(), jwtJWKSCmd(), jwtDPoPCmd())
	return cmd
}

func jwtJWKSCmd() *cobra.Command {
	var files []string
	cmd := &cobra.Command{
		Use:   "jwks --key FILE [--key FILE…]",
		Short: "Print the public JWK Set of signing keys (PEM private or public keys), kid = RFC 7638 thumbprint",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(files) == 0 {
				return exitError{2, errors.New("give at least one --key FILE")}
			}
			keys := map[string]any{}
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					return err
				}
				var pubs []any
				if priv, _, err := jwt.ParsePrivateKey(data); err == nil {
					pubs = append(pubs, priv.(interface{ Public() crypto.PublicKey }).Public())
				} else if parsed, err2 := jwt.ParseKeyFile(data); err2 == nil {
					for _, k := range parsed {
						pubs = append(pubs, k.Public)
					}
				} else {
					return fmt.Errorf("%s: neither a PEM private key (%v) nor public keys (%v)", f, err, err2)
				}
				for _, pub := range pubs {
					kid, err := jwt.Thumbprint(pub)
					if err != nil {
						return fmt.Errorf("%s: %w", f, err)
					}
					keys[kid] = pub
				}
			}
			var out bytes.Buffer
			json.Indent(&out, jwt.PublicJWKS(keys), "", "  ")
			out.WriteByte('\n')
			_, err := cmd.OutOrStdout().Write(out.Bytes())
			return err
		},
	}
	cmd.Flags().StringArrayVar(&files, "key", nil, "a PEM private key (PKCS#1, SEC 1, PKCS#8) or public key file; repeatable")
	return cmd
}

func jwtInspectCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "inspect [TOKEN|-]",
		Short: "Decode a JWT and explain its header, claims and times (verifies nothing)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := tokenArg(cmd.InOrStdin(), args)
			if err != nil {
				return err
			}
			d, err := jwt.Decode(raw)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintln(out, "header:")
			printMembers(out, d.Header)
			fmt.Fprintln(out, "claims:")
			printMembers(out, d.Claims)
			fmt.Fprintln(out, "times (now "+time.Now().UTC().Format(time.RFC3339)+"):")
			for _, name := range []string{"iat", "nbf", "exp"} {
				if line := describeTime(d.Claims, name); line != "" {
					fmt.Fprintln(out, "  "+line)
				}
			}
			if _, ok := d.Claims["exp"]; !ok {
				fmt.Fprintln(out, "  exp: absent (authgate refuses tokens without exp unless allow_missing_exp is set)")
			}
			if !d.Signed {
				fmt.Fprintln(out, "signature: ABSENT (authgate never accepts an unsigned token)")
			}
			fmt.Fprintln(out, "note: decoded only; the signature was not checked.")
			return nil
		},
	}
}

func tokenArg(stdin io.Reader, args []string) (string, error) {
	if len(args) == 1 && args[0] != "-" {
		return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(args[0]), "Bearer ")), nil
	}
	data, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(data))
	if s == "" {
		return "", errors.New("no token given (pass it as an argument or on stdin)")
	}
	return strings.TrimSpace(strings.TrimPrefix(s, "Bearer ")), nil
}

func printMembers(w io.Writer, m map[string]json.RawMessage) {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		var buf bytes.Buffer
		json.Compact(&buf, m[k])
		fmt.Fprintf(w, "  %-10s %s\n", k+":", buf.String())
	}
}

func describeTime(claims map[string]json.RawMessage, name string) string {
	raw, ok := claims[name]
	if !ok {
		return ""
	}
	var f float64
	if json.Unmarshal(raw, &f) != nil {
		return fmt.Sprintf("%s: not a number (NumericDate): authgate rejects this token as malformed", name)
	}
	t := time.Unix(int64(f), 0).UTC()
	d := time.Until(t).Round(time.Second)
	rel := "in " + d.String()
	if d < 0 {
		rel = (-d).String() + " ago"
	}
	return fmt.Sprintf("%s: %s (%s)", name, t.Format(time.RFC3339), rel)
}

func jwtMintCmd() *cobra.Command {
	var (
		keyFile, secretFile, alg, iss, sub, scope, kid, typ string
		aud, extra                                          []string
		ttl, nbf                                            time.Duration
	)
	cmd := &cobra.Command{
		Use:   "mint",
		Short: "Sign a test token with a private key or HMAC secret (development only)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, defaultAlg, err := signingKey(keyFile, secretFile)
			if err != nil {
				return err
			}
			if alg == "" {
				alg = defaultAlg
			}
			now := time.Now()
			claims := map[string]any{"iat": now.Unix(), "exp": now.Add(ttl).Unix()}
			set := func(k, v string) {
				if v != "" {
					claims[k] = v
				}
			}
			set("iss", iss)
			set("sub", sub)
			set("scope", scope)
			switch len(aud) {
			case 0:
			case 1:
				claims["aud"] = aud[0]
			default:
				claims["aud"] = aud
			}
			if nbf != 0 {
				claims["nbf"] = now.Add(nbf).Unix()
			}
			for _, kv := range extra {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return fmt.Errorf("--claim %q: want name=value", kv)
				}
				var parsed any
				if json.Unmarshal([]byte(v), &parsed) != nil {
					parsed = v
				}
				claims[k] = parsed
			}
			header := map[string]any{}
			if kid != "" {
				header["kid"] = kid
			}
			if typ != "" {
				header["typ"] = typ
			}
			tok, err := jwt.Sign(alg, key, header, claims)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), tok)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&keyFile, "key", "", "PEM private key file (RSA, EC or Ed25519)")
	f.StringVar(&secretFile, "secret-file", "", "file holding an HMAC secret (HS256)")
	f.StringVar(&alg, "alg", "", "algorithm (default from the key: RS256, ES256, EdDSA or HS256)")
	f.StringVar(&iss, "iss", "", "issuer")
	f.StringSliceVar(&aud, "aud", nil, "audience (repeatable)")
	f.StringVar(&sub, "sub", "", "subject")
	f.StringVar(&scope, "scope", "", "space-separated scopes")
	f.StringVar(&kid, "kid", "", "key id header")
	f.StringVar(&typ, "typ", "at+jwt", "typ header")
	f.DurationVar(&ttl, "ttl", time.Hour, "lifetime (negative for an expired token)")
	f.DurationVar(&nbf, "nbf", 0, "not-before offset from now (e.g. 10m)")
	f.StringArrayVar(&extra, "claim", nil, "extra claim name=value (value parsed as JSON when it can be)")
	return cmd
}

func signingKey(keyFile, secretFile string) (any, string, error) {
	switch {
	case (keyFile == "") == (secretFile == ""):
		return nil, "", errors.New("give exactly one of --key or --secret-file")
	case secretFile != "":
		data, err := os.ReadFile(secretFile)
		if err != nil {
			return nil, "", err
		}
		return bytes.TrimRight(data, "\r\n"), "HS256", nil
	}
	data, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, "", err
	}
	key, alg, err := jwt.ParsePrivateKey(data)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", keyFile, err)
	}
	return key, alg, nil
}

// jwtDPoPCmd makes a DPoP proof (RFC 9449) for one request: what a
// client sends in the DPoP header beside 'Authorization: DPoP <token>'.
func jwtDPoPCmd() *cobra.Command {
	var keyFile, alg, method, target, token, nonce string
	var thumbprint bool
	cmd := &cobra.Command{
		Use:   "dpop --key KEY.pem --method GET --url URL [--token TOKEN|-]",
		Short: "Make a DPoP proof for one request (the proof key's private half; development only)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, defaultAlg, err := signingKey(keyFile, "")
			if err != nil {
				return err
			}
			signer, ok := key.(crypto.Signer)
			if !ok {
				return errors.New("--key must be an asymmetric private key")
			}
			if alg == "" {
				alg = defaultAlg
			}
			if token == "-" {
				if token, err = tokenArg(cmd.InOrStdin(), []string{"-"}); err != nil {
					return err
				}
			}
			proof, jkt, err := dpop.Sign(signer, alg, dpop.ProofRequest{Method: method, URL: target, AccessToken: token, Nonce: nonce})
			if err != nil {
				return err
			}
			if thumbprint {
				fmt.Fprintln(cmd.OutOrStdout(), jkt)
				return nil
			}
			fmt.Fprintln(cmd.OutOrStdout(), proof)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&keyFile, "key", "", "PEM private key of the proof (EC, RSA or Ed25519)")
	f.StringVar(&alg, "alg", "", "algorithm (default from the key: ES256, RS256 or EdDSA)")
	f.StringVar(&method, "method", "GET", "the request's method (htm)")
	f.StringVar(&target, "url", "", "the request's URL (htu; query and fragment are dropped)")
	f.StringVar(&token, "token", "", "the access token sent with it (ath); - reads it from stdin")
	f.StringVar(&nonce, "nonce", "", "the server's DPoP-Nonce, when it asked for one")
	f.BoolVar(&thumbprint, "thumbprint", false, "print the key's RFC 7638 thumbprint (a bound token's cnf.jkt) instead")
	cmd.MarkFlagRequired("key")
	return cmd
}
