package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestBrowserSecurity runs e2e/security.test.mjs in headless Chromium
// against two real ragd processes, one without API keys and one with: a
// page on another loopback origin and a page that rebinds its name to
// 127.0.0.1 try to plant a document, and the chat page is used with keys.
func TestBrowserSecurity(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser test is slow; skipped with -short")
	}
	node, chromium := requireBrowser(t)
	open := startRagd(t)
	keys := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(keys, []byte(testReadKey+" read\n"+testWriteKey+" write\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keyed := startRagd(t, "--api-keys-file", keys)

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
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "security.test.mjs")
	cmd.Dir = filepath.Join(root, "e2e")
	cmd.Env = append(os.Environ(), "RAGD_URL="+open, "RAGD_KEYED_URL="+keyed, "RAGD_READ_KEY="+testReadKey,
		"RAGD_WRITE_KEY="+testWriteKey, "RAGD_ARTIFACTS="+artifacts, "RAGD_CHROMIUM="+chromium, "NO_COLOR=1")
	out := &lineLogger{tb: t}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	out.Flush()
	if err != nil {
		t.Fatalf("node --test e2e/security.test.mjs: %v", err)
	}
}
