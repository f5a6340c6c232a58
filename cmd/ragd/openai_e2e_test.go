package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ragd/ragd/qa/qatest"
)

// requireNode returns the node binary when it and the e2e packages are
// installed. Without them the test fails on CI, where `make setup` must
// have run, and is skipped elsewhere.
func requireNode(tb testing.TB) string {
	tb.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join("..", "..", "e2e", "node_modules", "openai", "package.json"))
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("node or e2e/node_modules missing: run make setup (%v)", err)
		}
		tb.Skipf("node or e2e/node_modules missing (%v): run make setup", err)
	}
	return node
}

// TestOpenAIClientEndToEnd drives a real ragd process, answering through a
// fake chat model, with the official openai npm client.
func TestOpenAIClientEndToEnd(t *testing.T) {
	node := requireNode(t)
	fake := qatest.NewServer(t)
	url := startRagd(t, "--llm-url", fake.BaseURL(), "--llm-model", "fake-model", "--llm-timeout", "20s")
	cmd := exec.Command(node, "--test", "--test-reporter=spec", filepath.Join("..", "..", "e2e", "openai.test.mjs"))
	cmd.Env = append(os.Environ(), "RAGD_URL="+url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test e2e/openai.test.mjs: %v\n%s", err, out)
	}
	t.Logf("%s", out)
	reqs := fake.Requests()
	if len(reqs) == 0 {
		t.Fatal("ragd never called the chat model")
	}
	for _, r := range reqs {
		if r.Model != "fake-model" {
			t.Errorf("ragd asked for model %q, want fake-model", r.Model)
		}
	}
}
