// Package enginetest runs a package's tests once per HTTP engine and
// serves a fasthttp server for a test: the pieces the gateway's own tests
// and internal/gatewaytest share.
package enginetest

import (
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/authgate/authgate/config"
)

// Run runs m's tests once per engine (AUTHGATE_TEST_ENGINES,
// comma-separated, narrows it), calling use with the engine before each
// run, and returns the exit code for os.Exit. A fuzzing or benchmarking
// run uses the first engine only: fast, the default.
func Run(m *testing.M, use func(engine string)) int {
	engines := []string{config.EngineFast, config.EngineStandard}
	if v := os.Getenv("AUTHGATE_TEST_ENGINES"); v != "" {
		engines = strings.Split(v, ",")
	}
	if !flag.Parsed() {
		flag.Parse()
	}
	for _, name := range []string{"test.fuzz", "test.bench"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			engines = engines[:1]
		}
	}
	code := 0
	for _, engine := range engines {
		use(engine)
		fmt.Printf("=== engine: %s\n", engine)
		if c := m.Run(); c != 0 {
			fmt.Printf("--- FAIL on engine %s\n", engine)
			code = c
		}
	}
	return code
}

// Server is a server Serve can serve: gateway.FastServer.
type Server interface {
	Serve(net.Listener) error
	Shutdown() error
}

// Serve serves srv on a loopback port until the test ends and returns
// the address (host:port).
func Serve(t testing.TB, srv Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Shutdown()
		<-done
	})
	return ln.Addr().String()
}
