// Package check renders authgate's Helm chart and Kubernetes manifests
// and decodes every object strictly into its Kubernetes API type: an
// unknown or misspelt field, a wrong type or a duplicate key fails. It is
// a module of its own so that Helm and the Kubernetes modules stay out of
// authgate's dependency graph: cd deploy/check && go test ./...
package check

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	helmcmd "helm.sh/helm/v4/pkg/cmd"
)

// Paths from this folder.
const (
	repoRoot = "../.."
	chartDir = "../helm/authgate"
)

// helm runs the helm command line in this process — the helm.sh/helm/v4
// module's own commands — and returns what it printed.
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd, err := helmcmd.NewRootCmd(&out, args, func(bool) {})
	if err != nil {
		return "", err
	}
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	err = cmd.Execute()
	return out.String(), err
}

// valueSets are the value files the chart is linted and rendered with.
var valueSets = map[string][]string{
	"defaults":      nil,
	"everything":    {"-f", "testdata/everything.yaml"},
	"traefik":       {"-f", "../kubernetes/recipes/traefik-values.yaml"},
	"ingress-nginx": {"-f", "../kubernetes/recipes/ingress-nginx-values.yaml"},
}

// TestChart lints the chart (--strict: warnings fail) and renders it with
// each value set, decoding every object strictly and checking what an
// operator relies on: probes, the non-root read-only security context,
// the config mounted from the ConfigMap and accepted by authgate config
// check, and the optional objects where they are turned on.
func TestChart(t *testing.T) {
	authgate := buildAuthgate(t)
	for name, args := range valueSets {
		t.Run(name, func(t *testing.T) {
			if out, err := helm(t, append([]string{"lint", "--strict", chartDir}, args...)...); err != nil {
				t.Fatalf("helm lint --strict: %v\n%s", err, out)
			}
			out, err := helm(t, append([]string{"template", "authgate", chartDir, "--namespace", "authgate"}, args...)...)
			if err != nil {
				t.Fatalf("helm template: %v\n%s", err, out)
			}
			objs := decodeAll(t, out)
			checkWorkload(t, objs, authgate)
			kinds := map[string]bool{}
			for _, o := range objs {
				kinds[o.kind] = true
			}
			optional := map[string][]string{
				"defaults":      {"Deployment", "Service", "ConfigMap", "ServiceAccount", "PodDisruptionBudget"},
				"everything":    {"Deployment", "Service", "ConfigMap", "ServiceAccount", "PodDisruptionBudget", "HorizontalPodAutoscaler", "ServiceMonitor", "NetworkPolicy"},
				"traefik":       {"Deployment", "Service", "ConfigMap", "ServiceAccount", "PodDisruptionBudget", "NetworkPolicy"},
				"ingress-nginx": {"Deployment", "Service", "ConfigMap", "ServiceAccount", "PodDisruptionBudget", "NetworkPolicy"},
			}[name]
			for _, k := range optional {
				if !kinds[k] {
					t.Errorf("no %s rendered", k)
				}
			}
			if len(kinds) != len(optional) {
				t.Errorf("rendered kinds %v, want %v", kinds, optional)
			}
		})
	}
}

// TestPlainManifests keeps deploy/kubernetes/authgate.yaml equal to the
// chart rendered with its defaults (release authgate, namespace authgate),
// so the plain manifests never drift from the chart; -update rewrites it.
func TestPlainManifests(t *testing.T) {
	out, err := helm(t, "template", "authgate", chartDir, "--namespace", "authgate")
	if err != nil {
		t.Fatalf("helm template: %v\n%s", err, out)
	}
	want := plainHeader + out
	file := "../kubernetes/authgate.yaml"
	if *update {
		if err := os.WriteFile(file, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(file)
	if err != nil || string(got) != want {
		t.Fatalf("%s differs from the rendered chart (%v): regenerate it with cd deploy/check && go test -run TestPlainManifests -update", file, err)
	}
	decodeAll(t, string(got))
}

const plainHeader = `# authgate as plain Kubernetes manifests: the Helm chart deploy/helm/authgate
# rendered with its defaults (release "authgate", namespace "authgate").
# Generated — edit the chart and run: cd deploy/check && go test -run TestPlainManifests -update
# Replace the ConfigMap's authgate.yaml with your configuration, then:
#   kubectl create namespace authgate && kubectl apply -n authgate -f deploy/kubernetes/authgate.yaml
`

// TestRecipes decodes the ingress recipes strictly: the Ingress objects
// into networking/v1, Traefik's Middleware into its documented fields.
func TestRecipes(t *testing.T) {
	files, err := filepath.Glob("../kubernetes/recipes/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, f := range files {
		if strings.HasSuffix(f, "-values.yaml") {
			continue // chart values, rendered by TestChart
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range decodeAll(t, string(data)) {
			kinds[o.kind]++
		}
	}
	if kinds["Ingress"] != 3 || kinds["Middleware"] != 1 {
		t.Fatalf("recipes hold %v, want three Ingresses and a Middleware", kinds)
	}
}
