package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckFindsAndRepairsDamage(t *testing.T) {
	env := seededEnv(t)
	if code, stdout, stderr := ragd(t, env, "", "check"); code != 0 || !strings.Contains(stdout, "5 documents") || !strings.Contains(stdout, "0 damaged") {
		t.Fatalf("check of a whole store: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// Bit rot in one document's stored text.
	logs, _ := filepath.Glob(filepath.Join(env["RAGD_DATA"], "log-*.ragd"))
	if len(logs) != 1 {
		t.Fatalf("logs %v", logs)
	}
	data, err := os.ReadFile(logs[0])
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(data, []byte("buffer zone"))
	if at < 0 {
		t.Fatal("no text to damage")
	}
	data[at] ^= 0x20
	if err := os.WriteFile(logs[0], data, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := ragd(t, env, "", "check")
	if code != 1 || !strings.Contains(stdout, "1 damaged") || !strings.Contains(stdout, "damaged: document") || !strings.Contains(stderr, "--repair") {
		t.Fatalf("check of a damaged store: exit %d, stdout %q, stderr %q; want 1, the document named and --repair suggested", code, stdout, stderr)
	}
	// Searching still works, without the damaged document.
	if code, _, stderr := ragd(t, env, "", "search", "peacekeepers"); code != 0 {
		t.Fatalf("search beside the damage: exit %d: %s", code, stderr)
	}
	code, stdout, stderr = ragd(t, env, "", "check", "--repair")
	if code != 0 || !strings.Contains(stdout, "dropped (ingest them again): ") || !strings.Contains(stdout, "repaired: 4 documents") {
		t.Fatalf("check --repair: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, stdout, _ := ragd(t, env, "", "check"); code != 0 || !strings.Contains(stdout, "4 documents") || !strings.Contains(stdout, "0 damaged") {
		t.Errorf("check after the repair: exit %d, %q", code, stdout)
	}
	if code, stdout, _ := ragd(t, env, "", "ingest", "../../testdata/articles"); code != 0 || !strings.Contains(stdout, "1 added") {
		t.Errorf("ingesting again after the repair: exit %d, %q", code, stdout)
	}
	if code, _, stderr := ragd(t, env, "", "check", "--store", "weaviate"); code != 2 || !strings.Contains(stderr, "embedded store") {
		t.Errorf("check --store weaviate: exit %d, %q; want a usage error", code, stderr)
	}
}
