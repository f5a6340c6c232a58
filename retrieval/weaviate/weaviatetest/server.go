// Package weaviatetest starts real weaviate-server processes on loopback for
// tests: one node, or a cluster of several that share their schema through
// Raft and replicate data.
package weaviatetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Version is the Weaviate release the tests run against; `make setup`
// builds its weaviate-server into .cache/bin.
const Version = "v1.35.2"

// ReadyTimeout bounds how long a node may take to report ready.
const ReadyTimeout = 90 * time.Second

// Binary returns the path of the weaviate-server executable: $WEAVIATE_SERVER,
// else .cache/bin/weaviate-server in the module root, else one on $PATH.
// When there is none the test is skipped, or fails where $CI is set: CI
// runs `make setup`, which builds it.
func Binary(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("WEAVIATE_SERVER"); p != "" {
		return p
	}
	if root, err := moduleRoot(); err == nil {
		p := filepath.Join(root, ".cache", "bin", "weaviate-server")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("weaviate-server"); err == nil {
		return p
	}
	msg := "weaviate-server " + Version + " is not installed: run `make setup` (it builds .cache/bin/weaviate-server) or set WEAVIATE_SERVER"
	if os.Getenv("CI") != "" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
	return ""
}

// moduleRoot returns the nearest directory above the working directory that
// holds a go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Node is one weaviate-server process on loopback.
type Node struct {
	// Name is the node's cluster hostname.
	Name string
	// HTTPPort and GRPCPort are the client ports.
	HTTPPort, GRPCPort int
	// GossipPort and RaftPort are the cluster ports; the data port and
	// the Raft RPC port are one above each, as Weaviate expects of nodes
	// sharing a host.
	GossipPort, RaftPort int
	// Dir is the node's data directory.
	Dir string

	bin string
	env []string
	tb  testing.TB
	// peers are the nodes of the node's cluster, itself included.
	peers []*Node

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  *lockedBuffer
}

// URL returns the node's REST address, http://127.0.0.1:port.
func (n *Node) URL() string { return "http://127.0.0.1:" + strconv.Itoa(n.HTTPPort) }

// Host returns the node's REST address without the scheme.
func (n *Node) Host() string { return "127.0.0.1:" + strconv.Itoa(n.HTTPPort) }

// Start runs one weaviate-server with anonymous access, no vectorizer
// modules and a temporary data directory, waits until it is ready and stops
// it when the test ends. env adds NAME=value settings of the server.
func Start(tb testing.TB, env ...string) *Node {
	tb.Helper()
	return StartCluster(tb, 1, env...)[0]
}

// StartCluster runs a cluster of n weaviate-server processes on loopback,
// each with its own ports and data directory, joined through memberlist and
// Raft; it waits until every node is ready and stops them when the test ends.
// env adds NAME=value settings of every node.
func StartCluster(tb testing.TB, n int, env ...string) []*Node {
	tb.Helper()
	bin := Binary(tb)
	nodes := make([]*Node, n)
	var raftJoin []string
	ps := newPorts(tb)
	profiling := make([]int, n)
	for i := range nodes {
		gossip, raft := ps.pair(), ps.pair()
		profiling[i] = ps.one()
		nodes[i] = &Node{
			Name:       "weaviate-" + strconv.Itoa(i),
			HTTPPort:   ps.one(),
			GRPCPort:   ps.one(),
			GossipPort: gossip,
			RaftPort:   raft,
			Dir:        tb.TempDir(),
			bin:        bin,
			tb:         tb,
		}
		raftJoin = append(raftJoin, nodes[i].Name+":"+strconv.Itoa(raft))
	}
	ps.release()
	for i, node := range nodes {
		node.peers = nodes
		node.env = append(os.Environ(),
			"AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED=true",
			"DEFAULT_VECTORIZER_MODULE=none",
			"ENABLE_MODULES=",
			"DISABLE_TELEMETRY=true",
			"PERSISTENCE_DATA_PATH="+node.Dir,
			"CLUSTER_HOSTNAME="+node.Name,
			"CLUSTER_ADVERTISE_ADDR=127.0.0.1",
			"CLUSTER_BIND_ADDR=127.0.0.1",
			"CLUSTER_IN_LOCALHOST=true",
			"CLUSTER_GOSSIP_BIND_PORT="+strconv.Itoa(node.GossipPort),
			"CLUSTER_DATA_BIND_PORT="+strconv.Itoa(node.GossipPort+1),
			"RAFT_PORT="+strconv.Itoa(node.RaftPort),
			"RAFT_INTERNAL_RPC_PORT="+strconv.Itoa(node.RaftPort+1),
			"RAFT_JOIN="+strings.Join(raftJoin, ","),
			"RAFT_BOOTSTRAP_EXPECT="+strconv.Itoa(n),
			"GRPC_PORT="+strconv.Itoa(node.GRPCPort),
			"GO_PROFILING_PORT="+strconv.Itoa(profiling[i]),
			"LOG_LEVEL=warning",
			"LOG_FORMAT=text",
			"QUERY_MAXIMUM_RESULTS=100000",
		)
		node.env = append(node.env, env...)
	}
	tb.Cleanup(func() {
		for _, node := range nodes {
			node.stop()
		}
	})
	// The first node starts alone; the others join its gossip once it
	// listens (a node whose join fails exits). A restarted node joins the
	// others (see Restart).
	nodes[0].start(nil)
	waitListening(tb, nodes[0])
	for _, node := range nodes[1:] {
		node.start(nodes[:1])
	}
	for _, node := range nodes {
		node.WaitReady(ReadyTimeout)
	}
	return nodes
}

// start launches the node's process, joining the gossip of the given nodes.
func (n *Node) start(join []*Node) {
	n.tb.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	cmd := exec.Command(n.bin, "--host", "127.0.0.1", "--port", strconv.Itoa(n.HTTPPort), "--scheme", "http")
	cmd.Env = n.env
	var addrs []string
	for _, p := range join {
		if p != n {
			addrs = append(addrs, "127.0.0.1:"+strconv.Itoa(p.GossipPort))
		}
	}
	if len(addrs) > 0 {
		cmd.Env = append(cmd.Env, "CLUSTER_JOIN="+strings.Join(addrs, ","))
	}
	cmd.Dir = n.Dir
	n.log = &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = n.log, n.log
	if err := cmd.Start(); err != nil {
		n.tb.Fatalf("start %s: %v", n.bin, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	n.cmd, n.done = cmd, done
}

// Restart starts a killed node again on the same ports and data directory
// and waits until it is ready.
func (n *Node) Restart() {
	n.tb.Helper()
	n.start(n.peers)
	n.WaitReady(ReadyTimeout)
}

// Kill ends the node's process with SIGKILL and waits for it to exit.
func (n *Node) Kill() {
	n.tb.Helper()
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// stop ends the process, gracefully if it lets itself be.
func (n *Node) stop() {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
}

// WaitReady polls /v1/.well-known/ready until the node answers 200, failing
// the test, with the node's log, after timeout or if the process exits.
func (n *Node) WaitReady(timeout time.Duration) {
	n.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	n.mu.Lock()
	done := n.done
	n.mu.Unlock()
	url := n.URL() + "/v1/.well-known/ready"
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-done:
			n.tb.Fatalf("%s exited before it was ready:\n%s", n.Name, n.Log())
		case <-ctx.Done():
			n.tb.Fatalf("%s not ready after %s:\n%s", n.Name, timeout, n.Log())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Log returns what the node's process has written so far.
func (n *Node) Log() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.log == nil {
		return ""
	}
	return n.log.String()
}

// waitListening waits until a node's gossip port accepts connections.
func waitListening(tb testing.TB, n *Node) {
	tb.Helper()
	deadline := time.Now().Add(ReadyTimeout)
	addr := "127.0.0.1:" + strconv.Itoa(n.GossipPort)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("%s: gossip port %d not listening after %s:\n%s", n.Name, n.GossipPort, ReadyTimeout, n.Log())
}

// ports hands out distinct free ports on loopback. It holds each one open
// (TCP and UDP, for memberlist's gossip) until release, so that no port is
// handed out twice, nor a port next to one handed out as a pair.
type ports struct {
	tb   testing.TB
	held []io.Closer
	used map[int]bool
}

func newPorts(tb testing.TB) *ports { return &ports{tb: tb, used: map[int]bool{}} }

// hold reserves port p, reporting whether it was free.
func (ps *ports) hold(p int) bool {
	if p <= 0 || p > 65535 || ps.used[p] {
		return false
	}
	addr := "127.0.0.1:" + strconv.Itoa(p)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	u, err := net.ListenPacket("udp", addr)
	if err != nil {
		l.Close()
		return false
	}
	ps.held = append(ps.held, l, u)
	ps.used[p] = true
	return true
}

// one returns a free port.
func (ps *ports) one() int {
	ps.tb.Helper()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			ps.tb.Fatalf("find a free port: %v", err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if ps.hold(p) {
			return p
		}
	}
	ps.tb.Fatal("find a free port: none after 100 tries")
	return 0
}

// pair returns a port p such that p and p+1 are both free.
func (ps *ports) pair() int {
	ps.tb.Helper()
	for range 100 {
		p := ps.one()
		if ps.hold(p + 1) {
			return p
		}
	}
	ps.tb.Fatal("find two adjacent free ports: none after 100 tries")
	return 0
}

// release frees the ports for the servers to bind.
func (ps *ports) release() {
	for _, c := range ps.held {
		c.Close()
	}
	ps.held = nil
}

// lockedBuffer collects a process's output for failure messages.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	// Keep the last megabyte: a failing test shows the end of the log.
	if b.buf.Len() > 1<<20 {
		rest := b.buf.Bytes()[b.buf.Len()-(1<<19):]
		b.buf = *bytes.NewBuffer(append([]byte(nil), rest...))
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
