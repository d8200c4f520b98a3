package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/api"
)

// TestNoSecretInLogsOrResponses sends failing and succeeding requests whose
// secrets are known and checks that no 8-character piece of any of them
// appears in any log line or response (headers and body).
func TestNoSecretInLogsOrResponses(t *testing.T) {
	e := newEnv(t, api.DetailFull)
	good := token(t, map[string]any{"scope": "read write"})
	secrets := []string{
		good,
		token(t, map[string]any{"exp": time.Now().Add(-time.Hour).Unix()}),
		token(t, map[string]any{"aud": "other"}),
		token(t, map[string]any{"iss": issuerURL + "/"}),
		token(t, map[string]any{"scope": "none"}),
		"Zm9vYmFyOnN1cGVyLXNlY3JldC1wYXNzd29yZA==", // Basic foobar:super-secret-password
		"sk_live_51HxQ2eKq8dRandomOpaqueKey00",
		"YOUR_VALID_ACCESS_TOKEN",
		"Qx7vN2pLw9TzR4mK8sJdF3hB",
	}
	tampered := good[:len(good)-6] + "AAAAAA"
	liveKey, _ := e.key("live", "read")
	testKey, _ := e.key("test", "read")
	e.user("alice", "Tr0ub4dor&3-horse")
	secrets = append(secrets, tampered, liveKey, testKey, "Tr0ub4dor&3-horse", basicAuth("alice", "Tr0ub4dor&3-horse")[6:])
	var transcript strings.Builder
	record := func(r result) {
		for name, values := range r.header {
			transcript.WriteString(name + ": " + strings.Join(values, ", ") + "\n")
		}
		transcript.WriteString(r.body + "\n")
	}
	for _, s := range secrets[:5] {
		record(e.do("GET", "/v1/data", "Authorization", "Bearer "+s))
		record(e.do("POST", "/v1/data", "Authorization", "bearer "+s))
		record(e.do("GET", "/v1/data", "Authorization", "Bearer Bearer "+s))
	}
	record(e.do("GET", "/v1/data", "Authorization", "Basic "+secrets[5]))
	record(e.do("GET", "/v1/data", "Authorization", "Bearer "+secrets[6]))
	record(e.do("GET", "/v1/data", "Authorization", "Bearer "+secrets[7]))
	record(e.do("GET", "/v1/data", "Authorization", "Bearer "+tampered))
	record(e.do("GET", "/v1/data", "Authorization", "Bearer "+good, "Authorization", "Bearer "+good))
	record(e.do("GET", "/v1/data", "Authorization", `Bearer "`+good+`"`))
	record(e.do("GET", "/dead", "Authorization", "Bearer "+good))
	record(e.do("GET", "/keyed/a", "X-API-Key", liveKey))
	record(e.do("GET", "/keyed/a", "X-API-Key", testKey))
	record(e.do("GET", "/keyed/a", "X-API-Key", liveKey[:30]))
	record(e.do("GET", "/keyed/a?api_key="+liveKey, "X-Other", "1"))
	record(e.do("GET", "/keyed/a", "Authorization", basicAuth("alice", "Tr0ub4dor&3-horse")))
	record(e.do("GET", "/keyed/a", "Authorization", basicAuth("alice", "Tr0ub4dor&3-horsf")))
	record(e.do("GET", "/keyed/a", "Authorization", basicAuth("alice", "Tr0ub4dor&3-horse\n")))
	// Credentials sent without a scheme word stand where the scheme would.
	record(e.do("GET", "/v1/data", "Authorization", liveKey))
	record(e.do("GET", "/keyed/a", "Authorization", "Tr0ub4dor&3-horse"))
	record(e.do("GET", "/keyed/a", "Authorization", "Tr0ub4dor&3-horse x"))
	logs := e.logs.String()
	if strings.Count(logs, `"msg":"request"`) < 20 {
		t.Fatalf("expected an access line per request, got:\n%s", logs)
	}
	all := logs + transcript.String()
	for _, s := range secrets {
		for i := 0; i+8 <= len(s); i++ {
			if piece := s[i : i+8]; strings.Contains(all, piece) {
				t.Fatalf("a piece of a secret (%q at %d of a %d-byte secret) appears in the logs or responses", piece, i, len(s))
			}
		}
	}
}
