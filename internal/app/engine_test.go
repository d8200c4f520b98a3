package app

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/authgate/authgate/config"
)

// TestEngines: the gateway listener serves on either engine, through the
// same connection caps, and a reload's new route is served at once; on
// the fast engine, a reload that adds a WebSocket route (which only the
// standard engine serves) is refused as restart-only.
func TestEngines(t *testing.T) {
	upstream := readingUpstream(t)
	for _, engine := range []string{config.EngineStandard, config.EngineFast} {
		t.Run(engine, func(t *testing.T) {
			doc := `
listen: %[1]s
admin: {listen: %[2]s}
data_dir: ` + t.TempDir() + `
server: {engine: ` + engine + `}
routes:
  - {name: pub, path: /pub/*, public: true, upstream: "http://` + upstream + `"}
`
			a, addr, adminAddr := startServing(t, doc)
			parse := func(more string) *config.Config {
				cfg, err := config.Parse("serve.yaml", []byte(fmt.Sprintf(doc+more, addr, adminAddr)), func(string) (string, bool) { return "", false })
				if err != nil {
					t.Fatal(err)
				}
				return cfg
			}
			get := func(path string) (int, string) {
				resp, err := clientFrom("127.0.0.1").Get("http://" + addr + path)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(body)
			}
			if status, body := get("/pub/x"); status != 200 || body != "ok" {
				t.Fatalf("GET /pub/x: %d %q", status, body)
			}
			if status, _ := get("/more/x"); status != http.StatusNotFound {
				t.Fatalf("GET /more/x before the reload: %d", status)
			}
			more := `  - {name: more, path: /more/*, public: true, upstream: "http://` + upstream + `"}
`
			if err := a.Reload(parse(more)); err != nil {
				t.Fatal(err)
			}
			if status, body := get("/more/x"); status != 200 || body != "ok" {
				t.Fatalf("GET /more/x after the reload: %d %q", status, body)
			}
			err := a.Reload(parse(more + `  - {name: ws, path: /ws, public: true, websocket: true, upstream: "http://` + upstream + `"}
`))
			if refused := err != nil && strings.Contains(err.Error(), "server.engine"); refused != (engine == config.EngineFast) {
				t.Fatalf("reload adding a WebSocket route on the %s engine: %v", engine, err)
			}
		})
	}
}
