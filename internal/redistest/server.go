package redistest

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/internal/certtest"
	"github.com/authgate/authgate/internal/eventually"
	"github.com/authgate/authgate/internal/freeport"
	"github.com/authgate/authgate/internal/logtest"
)

// Server is a redis-server a test started, as managed Redis services run
// it: TLS only, client certificates required, the default user off and
// one ACL user allowed only what authgate needs on keys under Prefix.
type Server struct {
	Addr string
	// CAFile signed the server's certificate (for 127.0.0.1 and the name
	// ServerName) and the client's (CertFile, KeyFile).
	CAFile, CertFile, KeyFile string
	ServerName                string
	User, Password            string
	// Prefix is the start of every key the user may touch.
	Prefix string
}

// ACLCommands allow the only commands authgate's user needs (the limiter's
// scripts and MGET, the failure feed's stream, PING and the handshake);
// docs/deployment.md gives the same list.
var ACLCommands = []string{"-@all", "+hello", "+ping", "+eval", "+evalsha", "+get", "+set", "+mget", "+xadd", "+xread", "+xrevrange"}

// StartTLS starts redis-server on a free loopback port with its own
// certificates (made here) and user, and stops it at the test's end.
// Without redis-server the test skips with a message — and fails under
// CI=true, where it must be installed.
func StartTLS(t testing.TB) *Server {
	t.Helper()
	dir := t.TempDir()
	s := &Server{ServerName: "redis.test", User: "authgate", Password: randomHex(16), Prefix: "authgate-test:" + randomHex(6) + ":"}
	s.CAFile, s.CertFile, s.KeyFile = writeCerts(t, dir, s.ServerName)
	s.Addr, _ = run(t, "redis", func(port string) []string {
		return append([]string{"--port", "0", "--tls-port", port,
			"--tls-cert-file", filepath.Join(dir, "server.pem"), "--tls-key-file", filepath.Join(dir, "server-key.pem"),
			"--tls-ca-cert-file", s.CAFile, "--tls-auth-clients", "yes",
			"--user", "default", "off",
			"--user", s.User, "on", ">" + s.Password, "resetkeys", "~" + s.Prefix + "*", "resetchannels",
		}, ACLCommands...)
	})
	c := s.Client(t)
	eventually.True(t, 10*time.Second, "redis-server answering over TLS", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return c.Ping(ctx).Err() == nil
	})
	return s
}

// TLSConfig is the client side of the server's TLS.
func (s *Server) TLSConfig(t testing.TB) *tls.Config {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	pem, _ := os.ReadFile(s.CAFile)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	return &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert}, ServerName: s.ServerName, MinVersion: tls.VersionTLS12}
}

// Client is a client of the server as its ACL user, closed at the
// test's end.
func (s *Server) Client(t testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr, Username: s.User, Password: s.Password, TLSConfig: s.TLSConfig(t)})
	t.Cleanup(func() { c.Close() })
	return c
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// run starts redis-server with args(port) for a fresh loopback port,
// logging into a folder of its own, until the test ends, and returns its
// address and process. A server that loses the port to another process
// starts again on a fresh one (freeport.Start).
func run(t testing.TB, name string, args func(port string) []string) (string, *os.Process) {
	t.Helper()
	bin := redisServer(t)
	var addr, log string
	var out *logtest.Buffer
	p := freeport.Start(t, freeport.Child{
		What: "redis-server (" + name + ")",
		Command: func(free func() string) *exec.Cmd {
			addr = free()
			_, port, _ := net.SplitHostPort(addr)
			dir := t.TempDir()
			log, out = filepath.Join(dir, name+".log"), &logtest.Buffer{}
			cmd := exec.Command(bin, append(args(port),
				"--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--logfile", log)...)
			cmd.Stdout, cmd.Stderr = out, out
			return cmd
		},
		Output: func() string { b, _ := os.ReadFile(log); return out.String() + string(b) },
		// Redis names its mode and port once its listeners are bound.
		Ready: func() bool { b, _ := os.ReadFile(log); return strings.Contains(string(b), "Running mode=") },
	})
	return addr, p.Cmd.Process
}

// writeCerts makes a CA, a server certificate (127.0.0.1 and name) and a
// client certificate, and writes them as PEM files into dir.
func writeCerts(t testing.TB, dir, name string) (caFile, certFile, keyFile string) {
	t.Helper()
	ca := certtest.New(t, nil, "ca")
	caFile, _ = ca.Files(t, dir, "ca")
	certtest.New(t, ca, name).Files(t, dir, "server")
	certFile, keyFile = certtest.New(t, ca, name).Files(t, dir, "client")
	return caFile, certFile, keyFile
}
