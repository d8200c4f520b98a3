package extauthz

import (
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"

	"github.com/authgate/authgate/config"
)

// Bounds of the gRPC listener beyond the configuration's.
const (
	// maxMessage bounds a CheckRequest: the largest header block Envoy
	// can be configured to accept (max_request_headers_kb 8192) and room
	// for addresses, certificates and metadata. Within it, a request over
	// max_header_bytes is refused 431 by Check — a DeniedHttpResponse,
	// which Envoy enforces whatever failure_mode_allow says; past it the
	// answer is gRPC RESOURCE_EXHAUSTED.
	maxMessage = 8<<20 + 64<<10
	// maxStreams bounds the Checks in flight on one connection; Envoy
	// opens another connection past it.
	maxStreams = 1024
	// maxCallHeaders bounds the gRPC call's own metadata.
	maxCallHeaders = 16 << 10
	// answerLimit bounds the gateway's answer kept for a DeniedHttpResponse
	// (a problem+json body is a few hundred bytes).
	answerLimit = 64 << 10
)

// NewGRPCServer is the ext_authz listener's gRPC server for s: every
// input bounded (message size, call metadata, streams per connection,
// handshake time, idle connections), TLS when ext_authz_grpc.tls is set
// (with client certificates required when it names a client CA).
func NewGRPCServer(cfg *config.Config, s *Server) (*grpc.Server, error) {
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(maxMessage),
		grpc.MaxHeaderListSize(maxCallHeaders),
		grpc.MaxConcurrentStreams(maxStreams),
		grpc.ConnectionTimeout(cfg.Server.ReadHeaderTimeout),
		grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionIdle: cfg.Server.IdleTimeout}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
	}
	if t := cfg.ExtAuthzGRPC.TLS; t != nil {
		tc, err := t.ServerTLS()
		if err != nil {
			return nil, err
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(tc)))
	}
	srv := grpc.NewServer(opts...)
	authv3.RegisterAuthorizationServer(srv, s)
	return srv, nil
}
