package tracing

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestExportClient: the exporter's client reads the OTLP timeout and
// certificate variables as the exporter would (the traces-specific one
// first), refuses values it cannot use, and follows no redirect.
func TestExportClient(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1500")
	c, err := exportClient()
	if err != nil || c.Timeout != 1500*time.Millisecond {
		t.Fatalf("OTEL_EXPORTER_OTLP_TIMEOUT=1500: %v, %v", c, err)
	}
	if !errors.Is(c.CheckRedirect(&http.Request{}, nil), http.ErrUseLastResponse) {
		t.Error("the exporter's client would follow a redirect")
	}
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "250")
	if c, err := exportClient(); err != nil || c.Timeout != 250*time.Millisecond {
		t.Errorf("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT=250: %v, %v", c, err)
	}
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "soon")
	if _, err := exportClient(); err == nil {
		t.Error("a timeout that is not milliseconds was accepted")
	}
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "")
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	t.Setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", notPEM)
	if _, err := exportClient(); err == nil {
		t.Error("a CA file without a certificate was accepted")
	}
}
