package extauthz_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	authzv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// TestDocsShipTheCheckedEnvoyConfig: docs/integrations.md holds
// testdata/envoy.yaml verbatim, and its filter and cluster are valid
// Envoy v3 configuration (go-control-plane's own validation) that fails
// closed: failure_mode_allow off, 503 when authgate cannot answer, no
// request body, raw headers.
func TestDocsShipTheCheckedEnvoyConfig(t *testing.T) {
	file, err := os.ReadFile("testdata/envoy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/integrations.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), string(file)) {
		t.Error("docs/integrations.md does not contain extauthz/testdata/envoy.yaml verbatim")
	}
	var parts struct {
		HTTPFilters []any `yaml:"http_filters"`
		Clusters    []any `yaml:"clusters"`
	}
	if err := yaml.Unmarshal(file, &parts); err != nil {
		t.Fatal(err)
	}
	decode := func(v any, m interface{ ValidateAll() error }) {
		t.Helper()
		js, err := json.Marshal(v)
		if err == nil {
			err = protojson.Unmarshal(js, m.(proto.Message))
		}
		if err == nil {
			err = m.ValidateAll()
		}
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
	}
	var filter hcmv3.HttpFilter
	decode(parts.HTTPFilters[0], &filter)
	var cluster clusterv3.Cluster
	decode(parts.Clusters[0], &cluster)
	var authz authzv3.ExtAuthz
	if err := filter.GetTypedConfig().UnmarshalTo(&authz); err != nil {
		t.Fatal(err)
	}
	if authz.GetGrpcService().GetEnvoyGrpc().GetClusterName() != cluster.Name || authz.FailureModeAllow || authz.GetStatusOnError().GetCode() != 503 ||
		authz.WithRequestBody != nil || !authz.EncodeRawHeaders {
		t.Errorf("the documented filter does not fail closed as described: %v", &authz)
	}
}
