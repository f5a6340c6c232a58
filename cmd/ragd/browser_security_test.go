package main

import (
	"os"
	"path/filepath"
	"testing"
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

	runNodeTest(t, node, "security.test.mjs", "RAGD_URL="+open, "RAGD_KEYED_URL="+keyed,
		"RAGD_READ_KEY="+testReadKey, "RAGD_WRITE_KEY="+testWriteKey, "RAGD_CHROMIUM="+chromium)
}
