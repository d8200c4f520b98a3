package main

import (
	"bufio"
	"fmt"
	"log"
	"net"
	"net/http"
	"time"
)

// idleRows measures what n idle keep-alive connections hold: nginx's
// plain proxy and each target (a process of its own, the public route),
// each connection having made one request and then waiting. The rows
// have only the RSS.
func (b *bench) idleRows(targets []*target, n int) []row {
	if err := b.runNginx(""); err != nil {
		log.Fatal(err)
	}
	rows := []row{b.idleRow(fmt.Sprintf("nginx → upstream, %d idle connections", n), fmt.Sprintf("127.0.0.1:%d", b.direct), "/v1/x", b.nginx.Process.Pid, n)}
	for _, t := range targets {
		proc, addr, err := b.serve(t, false)
		if err != nil {
			log.Fatal(err)
		}
		rows = append(rows, b.idleRow(fmt.Sprintf("%s: %d idle connections", t.label, n), addr, "/pub/x", proc.Process.Pid, n))
		stop(proc)
	}
	return rows
}

// idleRow opens n connections to addr, makes one GET of path on each,
// and reads pid's RSS a second after the last answer.
func (b *bench) idleRow(name, addr, path string, pid, n int) row {
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			log.Fatal(fmt.Errorf("%s: connection %d: %v (raise ulimit -n)", name, len(conns), err))
		}
		conns = append(conns, c)
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: bench\r\n\r\n", path)
	}
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != http.StatusOK {
			log.Fatal(fmt.Errorf("%s: connection %d: no 200 (%v)", name, i, err))
		}
		resp.Body.Close()
	}
	time.Sleep(time.Second)
	r := row{name: name, idle: true}
	r.rssMiB, r.rssFileMiB = treeRSS(pid)
	return r
}
