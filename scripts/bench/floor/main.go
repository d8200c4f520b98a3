// Command floor is the fast engine's floor for scripts/bench -floor: a
// fasthttp server that forwards every request to one upstream through a
// fasthttp.HostClient and copies the answer back, nothing else — no
// hygiene, routing, credential, log or metric. What authgate's fast
// engine costs above it is authgate's own work; what it costs below
// nginx's is the engine's.
package main

import (
	"flag"
	"log"
	"net"
	"time"

	"github.com/valyala/fasthttp"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address to serve")
	upstream := flag.String("upstream", "127.0.0.1:9090", "upstream host:port")
	flag.Parse()
	client := &fasthttp.HostClient{Addr: *upstream, MaxConns: 1024, MaxIdleConnDuration: 4 * time.Second,
		ReadBufferSize: 8 << 10, WriteBufferSize: 4 << 10, NoDefaultUserAgentHeader: true}
	srv := &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) {
			if err := client.Do(&ctx.Request, &ctx.Response); err != nil {
				ctx.Error("upstream: "+err.Error(), fasthttp.StatusBadGateway)
			}
		},
		ReadBufferSize:        4 << 10,
		WriteBufferSize:       4 << 10,
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(srv.Serve(ln))
}
