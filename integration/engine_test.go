package integration

import (
	"os"
	"testing"

	"github.com/authgate/authgate/internal/enginetest"
	"github.com/authgate/authgate/internal/gatewaytest"
)

// TestMain runs the integration tests once per HTTP engine: the gateway
// behind nginx and Caddy, in proxy mode and against the red-team cases,
// on net/http and on fasthttp (AUTHGATE_TEST_ENGINES narrows it).
func TestMain(m *testing.M) {
	os.Exit(enginetest.Run(m, func(engine string) { gatewaytest.Engine = engine }))
}
