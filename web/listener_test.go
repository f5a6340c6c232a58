package web_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/ragd/ragd/web"
)

func TestListenCapsConnectionsPerClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
	go func() { _ = hs.Serve(web.Listen(ln, 100, 3)) }()
	defer hs.Close()
	addr := ln.Addr().String()

	dialFrom := func(ip net.IP) net.Conn {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// closed reports whether the server closed c without answering.
	closed := func(c net.Conn) bool {
		_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		_, err := c.Read(make([]byte, 1))
		return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || err != nil && !errors.Is(err, os.ErrDeadlineExceeded)
	}
	one := net.IPv4(127, 0, 0, 1)
	held := []net.Conn{dialFrom(one), dialFrom(one), dialFrom(one)}
	for i, c := range held {
		if closed(c) {
			t.Fatalf("connection %d within the cap was closed", i+1)
		}
	}
	if extra := dialFrom(one); !closed(extra) {
		t.Error("a fourth connection from the same address was kept")
	}
	// Another address has its own allowance.
	other := dialFrom(net.IPv4(127, 0, 0, 2))
	if closed(other) {
		t.Error("a connection from another address was closed")
	}
	// A slot given back is free again.
	held[0].Close()
	time.Sleep(100 * time.Millisecond)
	if again := dialFrom(one); closed(again) {
		t.Error("a connection after one closed was refused")
	}
}
