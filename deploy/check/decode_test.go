package check

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite deploy/kubernetes/authgate.yaml from the chart")

// object is one decoded manifest document.
type object struct {
	kind string
	obj  any
}

// strict decodes the built-in kinds with every strictness check on:
// unknown fields, duplicate fields.
var strict = serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()

// The custom resources the manifests use, with the fields their CRDs
// document (as much as the manifests may set); strict YAML decoding
// refuses any other.
type (
	objectMeta struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace,omitempty"`
		Labels      map[string]string `json:"labels,omitempty"`
		Annotations map[string]string `json:"annotations,omitempty"`
	}
	labelSelector struct {
		MatchLabels map[string]string `json:"matchLabels,omitempty"`
	}
	// serviceMonitor is monitoring.coreos.com/v1 ServiceMonitor (Prometheus Operator).
	serviceMonitor struct {
		APIVersion string     `json:"apiVersion"`
		Kind       string     `json:"kind"`
		Metadata   objectMeta `json:"metadata"`
		Spec       struct {
			JobLabel          string        `json:"jobLabel,omitempty"`
			Selector          labelSelector `json:"selector"`
			NamespaceSelector *struct {
				Any        bool     `json:"any,omitempty"`
				MatchNames []string `json:"matchNames,omitempty"`
			} `json:"namespaceSelector,omitempty"`
			Endpoints []struct {
				Port          string `json:"port,omitempty"`
				Path          string `json:"path,omitempty"`
				Scheme        string `json:"scheme,omitempty"`
				Interval      string `json:"interval,omitempty"`
				ScrapeTimeout string `json:"scrapeTimeout,omitempty"`
				HonorLabels   bool   `json:"honorLabels,omitempty"`
			} `json:"endpoints"`
		} `json:"spec"`
	}
	// middleware is traefik.io/v1alpha1 Middleware with its forwardAuth
	// section (Traefik v3).
	middleware struct {
		APIVersion string     `json:"apiVersion"`
		Kind       string     `json:"kind"`
		Metadata   objectMeta `json:"metadata"`
		Spec       struct {
			ForwardAuth *struct {
				Address                  string   `json:"address"`
				TrustForwardHeader       bool     `json:"trustForwardHeader"`
				AuthResponseHeaders      []string `json:"authResponseHeaders,omitempty"`
				AuthResponseHeadersRegex string   `json:"authResponseHeadersRegex,omitempty"`
				AuthRequestHeaders       []string `json:"authRequestHeaders,omitempty"`
				AddAuthCookiesToResponse []string `json:"addAuthCookiesToResponse,omitempty"`
				HeaderField              string   `json:"headerField,omitempty"`
				ForwardBody              bool     `json:"forwardBody,omitempty"`
				MaxBodySize              *int64   `json:"maxBodySize,omitempty"`
				PreserveLocationHeader   bool     `json:"preserveLocationHeader,omitempty"`
				PreserveRequestMethod    bool     `json:"preserveRequestMethod,omitempty"`
				TLS                      *struct {
					CASecret           string `json:"caSecret,omitempty"`
					CertSecret         string `json:"certSecret,omitempty"`
					InsecureSkipVerify bool   `json:"insecureSkipVerify,omitempty"`
				} `json:"tls,omitempty"`
			} `json:"forwardAuth"`
		} `json:"spec"`
	}
)

// decodeAll splits a YAML stream into documents and decodes each strictly:
// built-in kinds into their k8s.io/api types, the custom resources into
// the structs above. An unknown kind fails.
func decodeAll(t *testing.T, stream string) []object {
	t.Helper()
	var objs []object
	for i, doc := range strings.Split(stream, "\n---") {
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		var obj any
		var err error
		switch head.APIVersion + " " + head.Kind {
		case "monitoring.coreos.com/v1 ServiceMonitor":
			obj = &serviceMonitor{}
			err = yaml.UnmarshalStrict([]byte(doc), obj)
		case "traefik.io/v1alpha1 Middleware":
			obj = &middleware{}
			err = yaml.UnmarshalStrict([]byte(doc), obj)
		default:
			var ro runtime.Object
			ro, _, err = strict.Decode([]byte(doc), nil, nil)
			obj = ro
		}
		if err != nil {
			t.Fatalf("%s %s (document %d) does not decode strictly: %v\n%s", head.APIVersion, head.Kind, i, err, doc)
		}
		objs = append(objs, object{head.Kind, obj})
	}
	return objs
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// checkWorkload checks the Deployment, its Service, ConfigMap and
// ServiceMonitor: the probes, the security context, the mounts, and the
// configuration, which `authgate config check` must accept.
func checkWorkload(t *testing.T, objs []object, authgate string) {
	var (
		dep *appsv1.Deployment
		svc *corev1.Service
		cm  *corev1.ConfigMap
		sm  *serviceMonitor
	)
	for _, o := range objs {
		switch v := o.obj.(type) {
		case *appsv1.Deployment:
			dep = v
		case *corev1.Service:
			svc = v
		case *corev1.ConfigMap:
			cm = v
		case *serviceMonitor:
			sm = v
		}
	}
	if dep == nil || svc == nil || cm == nil {
		t.Fatal("the chart renders no Deployment, Service or ConfigMap")
	}
	pod := dep.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/.authgate/healthz" ||
		c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/.authgate/readyz" {
		t.Errorf("probes: liveness %+v, readiness %+v", c.LivenessProbe, c.ReadinessProbe)
	}
	psc, sc := pod.SecurityContext, c.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 ||
		sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Errorf("security context: pod %+v, container %+v", psc, sc)
	}
	mounts := map[string]bool{}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = true
	}
	if !mounts["/etc/authgate"] || !mounts["/var/lib/authgate"] {
		t.Errorf("mounts %v: want the config at /etc/authgate and a writable /var/lib/authgate", mounts)
	}
	if !slices.Equal(c.Args, []string{"serve", "--config", "/etc/authgate/authgate.yaml"}) {
		t.Errorf("args %v", c.Args)
	}
	ports := map[string]bool{}
	for _, p := range svc.Spec.Ports {
		ports[p.Name] = true
	}
	if sm != nil && (len(sm.Spec.Endpoints) != 1 || !ports[sm.Spec.Endpoints[0].Port] || sm.Spec.Endpoints[0].Path != "/metrics") {
		t.Errorf("the ServiceMonitor scrapes %+v; the Service has ports %v", sm.Spec.Endpoints, ports)
	}

	cfg := filepath.Join(t.TempDir(), "authgate.yaml")
	if err := os.WriteFile(cfg, []byte(cm.Data["authgate.yaml"]), 0o600); err != nil {
		t.Fatal(err)
	}
	check := exec.Command(authgate, "config", "check", "--config", cfg)
	check.Env = append(os.Environ(), "AUTHGATE_DSN=postgres://authgate@db:5432/authgate")
	if out, err := check.CombinedOutput(); err != nil {
		t.Errorf("authgate config check of the ConfigMap's authgate.yaml: %v\n%s", err, out)
	}
}

// buildAuthgate builds the authgate binary of this checkout once.
func buildAuthgate(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "authgate")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/authgate")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/authgate: %v\n%s", err, out)
	}
	return bin
}

// TestMiddlewareRecipe: the Traefik recipe asks the decision endpoint,
// never trusts the client's forwarding headers, and its Ingress names the
// middleware as Traefik spells it (<namespace>-<name>@kubernetescrd).
func TestMiddlewareRecipe(t *testing.T) {
	data, err := os.ReadFile("../kubernetes/recipes/traefik.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var mw *middleware
	var ing *networkingv1.Ingress
	for _, o := range decodeAll(t, string(data)) {
		switch v := o.obj.(type) {
		case *middleware:
			mw = v
		case *networkingv1.Ingress:
			ing = v
		}
	}
	if mw == nil || ing == nil || mw.Spec.ForwardAuth == nil {
		t.Fatal("the Traefik recipe needs a Middleware with forwardAuth and an Ingress")
	}
	fa := mw.Spec.ForwardAuth
	if !strings.HasSuffix(fa.Address, ":8080/.authgate/decide") || fa.TrustForwardHeader || !slices.Contains(fa.AuthResponseHeaders, "X-Authgate-Subject") {
		t.Errorf("forwardAuth %+v", fa)
	}
	want := fmt.Sprintf("%s-%s@kubernetescrd", mw.Metadata.Namespace, mw.Metadata.Name)
	if got := ing.Annotations["traefik.ingress.kubernetes.io/router.middlewares"]; got != want {
		t.Errorf("the Ingress names middleware %q, want %q", got, want)
	}
	if !bytes.Contains(data, []byte("apiVersion: traefik.io/v1alpha1")) {
		t.Error("the Middleware is not traefik.io/v1alpha1")
	}
}

// TestAuthURLRecipe: the ingress-nginx auth-url recipe asks the decision
// endpoint, copies the identity headers back, clears a client's
// X-Original-URL on the way to the API, sets no auth-method (which would
// add X-Original-URI, refused under decision_proxy: ingress-nginx), and
// its values name that convention.
func TestAuthURLRecipe(t *testing.T) {
	data, err := os.ReadFile("../kubernetes/recipes/ingress-nginx-auth-url.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var ing *networkingv1.Ingress
	for _, o := range decodeAll(t, string(data)) {
		if v, ok := o.obj.(*networkingv1.Ingress); ok {
			ing = v
		}
	}
	if ing == nil {
		t.Fatal("the recipe has no Ingress")
	}
	const prefix = "nginx.ingress.kubernetes.io/"
	if got := ing.Annotations[prefix+"auth-url"]; !strings.HasSuffix(got, ":8080/.authgate/decide") {
		t.Errorf("auth-url %q", got)
	}
	var copied []string
	for _, h := range strings.Split(ing.Annotations[prefix+"auth-response-headers"], ",") {
		copied = append(copied, strings.TrimSpace(h))
	}
	for _, h := range []string{"X-Authgate-Subject", "X-Authgate-Scopes", "X-Original-URL"} {
		if !slices.Contains(copied, h) {
			t.Errorf("auth-response-headers %q lacks %s", copied, h)
		}
	}
	if _, ok := ing.Annotations[prefix+"auth-method"]; ok {
		t.Error("auth-method is set: the controller would add X-Original-URI, which authgate refuses")
	}
	values, err := os.ReadFile("../kubernetes/recipes/ingress-nginx-values.yaml")
	if err != nil || !bytes.Contains(values, []byte("decision_proxy: ingress-nginx")) {
		t.Errorf("ingress-nginx-values.yaml does not set decision_proxy: ingress-nginx (%v)", err)
	}
}
