package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the ragd binary once per test process.
func binary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ragd-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "ragd")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binPath
}

// process is a ragd server running as a real process.
type process struct {
	URL  string
	cmd  *exec.Cmd
	logs *bytes.Buffer
	done chan error
}

// freeAddr returns a loopback address with a port that was free just now.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serveProcess starts `ragd serve` on data and waits until /healthz answers.
func serveProcess(tb testing.TB, data string, extraArgs ...string) *process {
	tb.Helper()
	requireModel(tb)
	model, _ := filepath.Abs(modelPath)
	addr := freeAddr(tb)
	args := append([]string{"serve", "--data", data, "--model-path", model, "--addr", addr}, extraArgs...)
	cmd := exec.Command(binary(tb), args...)
	p := &process{URL: "http://" + addr, cmd: cmd, logs: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	tb.Cleanup(func() { p.stop(tb) })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(p.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case err := <-p.done:
			tb.Fatalf("ragd serve exited early: %v\n%s", err, p.logs)
		case <-time.After(50 * time.Millisecond):
		}
	}
	tb.Fatalf("ragd serve did not become healthy in 30s\n%s", p.logs)
	return nil
}

// stop sends SIGTERM and waits for a clean exit.
func (p *process) stop(tb testing.TB) error {
	tb.Helper()
	if p.cmd.ProcessState != nil {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		return fmt.Errorf("ragd did not stop within 20s after SIGTERM")
	}
}

// startRagd ingests the seed articles into a fresh data directory, serves
// them with a real ragd process on loopback and returns its base URL.
func startRagd(tb testing.TB, extraArgs ...string) string {
	tb.Helper()
	requireModel(tb)
	model, _ := filepath.Abs(modelPath)
	data := filepath.Join(tb.TempDir(), "data")
	out, err := exec.Command(binary(tb), "ingest", "--data", data, "--model-path", model, "../../testdata/articles").CombinedOutput()
	if err != nil {
		tb.Fatalf("ingest: %v\n%s", err, out)
	}
	return serveProcess(tb, data, extraArgs...).URL
}

func TestServeShutsDownOnSIGTERMKeepingAcknowledgedWrites(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	p := serveProcess(t, data)
	body := `{"id":"ack-1","title":"Acknowledged","text":"The harbour in Tromsø froze for the first time in 40 years."}`
	resp, err := http.Post(p.URL+"/api/documents", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST: status %d, want 201", resp.StatusCode)
	}
	if err := p.stop(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, p.logs)
	}
	if !strings.Contains(p.logs.String(), "shutting down") {
		t.Errorf("no graceful shutdown in logs:\n%s", p.logs)
	}
	// The acknowledged document is there after a restart.
	q := serveProcess(t, data)
	resp, err = http.Get(q.URL + "/api/documents/ack-1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET after restart: status %d, want 200", resp.StatusCode)
	}
}
