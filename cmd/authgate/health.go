package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/internal/outbound"
)

// defaultGatewayURL is the gateway at its default listen address, as a
// container's HEALTHCHECK sees it.
const defaultGatewayURL = "http://127.0.0.1:8080"

// healthCmd asks a running gateway whether it is healthy: for a
// container's HEALTHCHECK or any probe that has no shell and no curl (the
// image is FROM scratch). Exit 0 on a 200, 1 on anything else, 2 on a
// usage error.
func healthCmd() *cobra.Command {
	var (
		target  string
		ready   bool
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Ask a running gateway whether it is up: exit 0 if so, 1 if not (a health check without a shell)",
		Long: "Sends GET to the gateway's " + api.HealthzPath + " (with --ready, " + api.ReadyzPath + ") and exits 0\n" +
			"on 200, 1 on any other answer or none within --timeout. Redirects are not followed.\n" +
			"The container image's HEALTHCHECK runs it.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if timeout <= 0 || timeout > time.Minute {
				return exitError{2, fmt.Errorf("--timeout %s: give more than 0 and at most 1m", timeout)}
			}
			u, err := healthURL(target, ready)
			if err != nil {
				return exitError{2, err}
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			if err := probe(ctx, u); err != nil {
				return exitError{1, err}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: 200 OK\n", u)
			return nil
		},
	}
	cmd.Flags().StringVar(&target, "url", defaultGatewayURL, "the gateway's base URL, or the full URL of the endpoint to ask")
	cmd.Flags().BoolVar(&ready, "ready", false, "ask "+api.ReadyzPath+" (the store answers, every issuer has keys) instead of "+api.HealthzPath)
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "the longest wait for the answer (at most 1m)")
	return cmd
}

// healthURL is the URL to ask: target itself when it names a path, else
// target's health (or, when ready, readiness) endpoint.
func healthURL(target string, ready bool) (string, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", fmt.Errorf("--url: give an http(s) URL without user information, such as %s", defaultGatewayURL)
	}
	if u.Path != "" && u.Path != "/" {
		if ready {
			return "", errors.New("--ready asks " + api.ReadyzPath + ": give --url without a path")
		}
		return u.String(), nil
	}
	u.Path = api.HealthzPath
	if ready {
		u.Path = api.ReadyzPath
	}
	return u.String(), nil
}

// probe asks u once: nil on a 200, else an error naming what came back.
func probe(ctx context.Context, u string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := outbound.NoRedirects(nil).Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("%s: no answer in time", u)
		}
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case outbound.IsRedirect(resp):
		return fmt.Errorf("%s: %s", u, outbound.Redirect(resp))
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("%s: HTTP %d, not healthy", u, resp.StatusCode)
	}
	return nil
}
