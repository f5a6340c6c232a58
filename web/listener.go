package web

import (
	"net"
	"sync"

	"golang.org/x/net/netutil"
)

// Default connection limits.
const (
	// DefaultMaxConns is the largest number of connections served at
	// once; more wait in the kernel's queue until one closes.
	DefaultMaxConns = 4096
	// DefaultMaxConnsPerClient is the largest number of connections one
	// client address may hold open; more are closed as they arrive.
	DefaultMaxConnsPerClient = 128
)

// Listen wraps ln so that at most maxConns connections are open at once
// and at most perClient from one address: a client that opens thousands
// of slow connections has the excess closed on arrival and cannot starve
// the server of file descriptors or lock other clients out. A limit below
// 1 takes its default.
func Listen(ln net.Listener, maxConns, perClient int) net.Listener {
	if maxConns < 1 {
		maxConns = DefaultMaxConns
	}
	if perClient < 1 {
		perClient = DefaultMaxConnsPerClient
	}
	return netutil.LimitListener(&clientListener{Listener: ln, limit: perClient, open: make(map[string]int)}, maxConns)
}

// clientListener closes connections from an address that already holds
// limit open ones.
type clientListener struct {
	net.Listener
	limit int

	mu   sync.Mutex
	open map[string]int
}

func (l *clientListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		host := hostOf(c.RemoteAddr())
		l.mu.Lock()
		n := l.open[host]
		if n >= l.limit {
			l.mu.Unlock()
			c.Close()
			continue
		}
		l.open[host] = n + 1
		l.mu.Unlock()
		return &clientConn{Conn: c, l: l, host: host}, nil
	}
}

func (l *clientListener) release(host string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[host] <= 1 {
		delete(l.open, host)
	} else {
		l.open[host]--
	}
}

func hostOf(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// clientConn gives its slot back once, when closed.
type clientConn struct {
	net.Conn
	l    *clientListener
	host string
	once sync.Once
}

func (c *clientConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.host) })
	return err
}
