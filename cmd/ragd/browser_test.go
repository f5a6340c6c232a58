package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// browserTestTimeout bounds the browser run when go test sets no deadline.
const browserTestTimeout = 5 * time.Minute

// requireBrowser returns node and the Chromium binary when they and
// playwright-core are installed. Without them the test fails on CI, where
// `make setup` must have run, and is skipped elsewhere.
func requireBrowser(tb testing.TB) (node, chromium string) {
	tb.Helper()
	chromium = cmp.Or(os.Getenv("RAGD_CHROMIUM"), "/usr/bin/chromium")
	var missing []string
	node, err := exec.LookPath("node")
	if err != nil {
		missing = append(missing, "node")
	}
	if _, err := os.Stat(chromium); err != nil {
		missing = append(missing, "Chromium at "+chromium)
	}
	if _, err := os.Stat(filepath.Join("..", "..", "e2e", "node_modules", "playwright-core", "package.json")); err != nil {
		missing = append(missing, "e2e/node_modules/playwright-core")
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("the browser test needs %s: run make setup", strings.Join(missing, ", "))
		if os.Getenv("CI") != "" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return node, chromium
}

// TestBrowser serves the seed articles with a real ragd process and runs
// the chat page's end-to-end tests (e2e/chat.test.mjs) in headless
// Chromium: asking, citations and the source panel, abstention, adding and
// deleting a document, the keyboard, errors, streaming and a phone-sized
// screen. Screenshots land in artifacts/browser/.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser test is slow; skipped with -short")
	}
	node, chromium := requireBrowser(t)
	url := startRagd(t)
	runNodeTest(t, node, "chat.test.mjs", "RAGD_URL="+url, "RAGD_CHROMIUM="+chromium)
}

// runNodeTest runs one of e2e's test files with node, with env added to the
// environment and RAGD_ARTIFACTS naming artifacts/browser/ for screenshots,
// and fails the test if it fails.
func runNodeTest(t *testing.T, node, script string, env ...string) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	artifacts := filepath.Join(root, "artifacts", "browser")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	deadline, ok := t.Deadline()
	if !ok {
		deadline = time.Now().Add(browserTestTimeout)
	}
	ctx, cancel := context.WithDeadline(t.Context(), deadline.Add(-10*time.Second))
	defer cancel()

	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", script)
	cmd.Dir = filepath.Join(root, "e2e")
	cmd.Env = append(append(os.Environ(), "RAGD_ARTIFACTS="+artifacts, "NO_COLOR=1"), env...)
	out := &lineLogger{tb: t}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err = cmd.Run()
	out.Flush()
	if err != nil {
		t.Fatalf("node --test e2e/%s: %v after %v", script, err, time.Since(start).Round(time.Millisecond))
	}
	t.Logf("e2e/%s passed in %v; screenshots in %s", script, time.Since(start).Round(time.Millisecond), artifacts)
}

// lineLogger passes a process's output to the test log a line at a time, so
// that `go test -v` shows it as it comes.
type lineLogger struct {
	mu      sync.Mutex
	tb      testing.TB
	pending []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = append(l.pending, p...)
	for {
		i := bytes.IndexByte(l.pending, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.tb.Log(string(bytes.TrimRight(l.pending[:i], "\r")))
		l.pending = l.pending[i+1:]
	}
}

// Flush logs a last line that ended without a newline.
func (l *lineLogger) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pending) > 0 {
		l.tb.Log(string(l.pending))
		l.pending = nil
	}
}
