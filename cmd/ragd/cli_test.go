package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// modelPath is the GloVe model that `make setup` writes at the repository root.
var modelPath = filepath.Join("..", "..", "models", "glove-6b-100d.bin")

// requireModel fails the test when the model is missing: `make test` runs
// `make setup` first, so a missing model is a setup bug, not a reason to skip.
func requireModel(tb testing.TB) {
	tb.Helper()
	if _, err := os.Stat(modelPath); err != nil {
		tb.Fatalf("no model at %s: run make setup (%v)", modelPath, err)
	}
}

// ragd runs the command in process with the given environment and returns
// its exit code, stdout and stderr.
func ragd(tb testing.TB, env map[string]string, stdin string, args ...string) (int, string, string) {
	tb.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code := run(context.Background(), args, getenv, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// seededEnv returns the environment of a fresh data directory holding the
// seed articles.
func seededEnv(tb testing.TB) map[string]string {
	tb.Helper()
	requireModel(tb)
	env := map[string]string{"RAGD_DATA": filepath.Join(tb.TempDir(), "data"), "RAGD_MODEL_PATH": modelPath}
	if code, _, stderr := ragd(tb, env, "", "ingest", "../../testdata/articles"); code != 0 {
		tb.Fatalf("ingest: exit %d: %s", code, stderr)
	}
	return env
}

type hitsJSON struct {
	Hits []struct {
		DocID     string   `json:"doc_id"`
		ChunkID   string   `json:"chunk_id"`
		Title     string   `json:"title"`
		Text      string   `json:"text"`
		Score     *float64 `json:"score"`
		Source    string   `json:"source"`
		Published *string  `json:"published"`
	} `json:"hits"`
}

func TestSearchRanksTheBufferZoneArticleFirst(t *testing.T) {
	env := seededEnv(t)
	code, stdout, stderr := ragd(t, env, "", "search", "--json", "how many troops would the buffer zone need")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got hitsJSON
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("output is not the hits JSON: %v\n%s", err, stdout)
	}
	if len(got.Hits) == 0 {
		t.Fatal("no hits")
	}
	if got.Hits[0].DocID != "001_4e0e17ab994ec6fb" {
		t.Errorf("first hit from %s, want 001_4e0e17ab994ec6fb", got.Hits[0].DocID)
	}
	for _, h := range got.Hits {
		if h.ChunkID == "" || h.Title == "" || h.Text == "" || h.Score == nil || h.Source == "" {
			t.Errorf("hit missing a field: %+v", h)
		}
	}
	// Every key of the documented shape is present.
	var raw map[string][]map[string]json.RawMessage
	json.Unmarshal([]byte(stdout), &raw)
	for _, key := range []string{"doc_id", "chunk_id", "title", "text", "score", "source", "published"} {
		if _, ok := raw["hits"][0][key]; !ok {
			t.Errorf("hit has no %q key", key)
		}
	}
}

// TestSearchExcludesDocuments checks --exclude-doc-id: the excluded
// document's chunks are never hits, and the others still are.
func TestSearchExcludesDocuments(t *testing.T) {
	env := seededEnv(t)
	const query = "how many troops would the buffer zone need"
	code, stdout, stderr := ragd(t, env, "", "search", "--json", "--exclude-doc-id", "001_4e0e17ab994ec6fb", query)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got hitsJSON
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("output is not the hits JSON: %v\n%s", err, stdout)
	}
	if len(got.Hits) == 0 {
		t.Fatal("no hits: the other articles should still match")
	}
	for _, h := range got.Hits {
		if h.DocID == "001_4e0e17ab994ec6fb" {
			t.Errorf("hit %s from the excluded document", h.ChunkID)
		}
	}
}

func TestIngestTwiceDoesNoWork(t *testing.T) {
	env := seededEnv(t)
	code, stdout, stderr := ragd(t, env, "", "ingest", "../../testdata/articles")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "0 added, 0 updated, 5 unchanged, 0 chunks written") {
		t.Errorf("second ingest reported %q, want 5 unchanged and nothing written", stdout)
	}
}

func TestDeleteCommand(t *testing.T) {
	env := seededEnv(t)
	if code, _, stderr := ragd(t, env, "", "delete", "000_b23e37521d96755f"); code != 0 {
		t.Fatalf("delete: exit %d: %s", code, stderr)
	}
	code, stdout, _ := ragd(t, env, "", "search", "--json", "-k", "100", "Macron front line")
	if code != 0 {
		t.Fatal("search failed")
	}
	if strings.Contains(stdout, "000_b23e37521d96755f") {
		t.Error("deleted document still in search results")
	}
	code, _, stderr := ragd(t, env, "", "delete", "000_b23e37521d96755f")
	if code == 0 || !strings.Contains(stderr, "not found") {
		t.Errorf("deleting twice: exit %d, stderr %q; want an error saying not found", code, stderr)
	}
	// An unknown id does not keep the others from being deleted, and "--"
	// ends the flags.
	code, stdout, stderr = ragd(t, env, "", "delete", "--", "-no-such", "001_4e0e17ab994ec6fb", "no-such-either")
	if code == 0 || !strings.Contains(stderr, `"-no-such", "no-such-either"`) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("exit %d, stderr %q; want one line naming both unknown ids", code, stderr)
	}
	if !strings.Contains(stdout, "deleted 001_4e0e17ab994ec6fb") {
		t.Errorf("stdout %q: the known id between two unknown ones was not deleted", stdout)
	}
}

func TestEmbedCommand(t *testing.T) {
	requireModel(t)
	env := map[string]string{"RAGD_MODEL_PATH": modelPath}
	code, stdout, stderr := ragd(t, env, "peace in Ukraine\ntroops\n", "embed")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d output lines, want 2", len(lines))
	}
	for _, l := range lines {
		var v []float64
		if err := json.Unmarshal([]byte(l), &v); err != nil || len(v) != 100 {
			t.Errorf("line %q: %d numbers (%v), want a 100-d array", l[:min(40, len(l))], len(v), err)
		}
	}
}

func TestCommandErrorsAreOneLine(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantMsg string
	}{
		{"missing model", map[string]string{"RAGD_DATA": dir, "RAGD_MODEL_PATH": filepath.Join(dir, "none.bin")}, []string{"search", "troops"}, "make setup"},
		{"unknown command", nil, []string{"frobnicate"}, "unknown command"},
		{"search without query", nil, []string{"search"}, "no query"},
		{"k out of range", map[string]string{"RAGD_MODEL_PATH": modelPath}, []string{"search", "-k", "0", "troops"}, "outside 1..100"},
		{"bad env value", map[string]string{"RAGD_K": "many"}, []string{"search", "troops"}, "RAGD_K"},
		{"bad embedder", map[string]string{"RAGD_EMBEDDER": "magic"}, []string{"search", "troops"}, "--embedder"},
		{"ollama without url", map[string]string{"RAGD_EMBEDDER": "ollama"}, []string{"search", "troops"}, "--embed-url"},
		{"unsupported file", nil, []string{"ingest", "cli_test.go"}, "unsupported"},
		{"missing path", nil, []string{"ingest", filepath.Join(dir, "nope")}, "no such file"},
		{"doc weight of one", nil, []string{"search", "--doc-weight", "1", "troops"}, "--doc-weight 1 must be"},
		{"negative recency", map[string]string{"RAGD_RECENCY_WEIGHT": "-0.2"}, []string{"search", "troops"}, "--recency-weight -0.2 must be"},
		{"zero half-life", nil, []string{"ask", "--recency-half-life", "0s", "why?"}, "--recency-half-life 0s must be positive"},
		{"sentence weight of 1", nil, []string{"search", "--sentence-weight", "1", "troops"}, "--sentence-weight 1 must be at least 0 and below 1"},
		{"bad date filter", map[string]string{"RAGD_MODEL_PATH": modelPath}, []string{"search", "--from", "May", "troops"}, "--from"},
		{"unknown flag", nil, []string{"search", "--nope", "troops"}, "flag provided but not defined: -nope"},
		{"flag without value", nil, []string{"search", "-k", "many", "troops"}, `invalid value "many"`},
		{"NaN", nil, []string{"search", "--bm25-k1", "NaN", "troops"}, "--bm25-k1 NaN must be a finite number"},
		{"NaN sentence weight", nil, []string{"search", "--sentence-weight", "NaN", "troops"}, "flag -sentence-weight"},
		{"infinite env value", map[string]string{"RAGD_ABSTAIN_THRESHOLD": "-Inf"}, []string{"ask", "why?"}, `RAGD_ABSTAIN_THRESHOLD="-Inf" must be a finite number`},
		{"mistyped data", map[string]string{"RAGD_MODEL_PATH": modelPath}, []string{"search", "--data", filepath.Join(dir, "typo"), "troops"}, "no index in"},
		{"ask on mistyped data", map[string]string{"RAGD_MODEL_PATH": modelPath}, []string{"ask", "--data", filepath.Join(dir, "typo"), "why?"}, "no index in"},
		{"relevance threshold above 1", nil, []string{"ask", "--relevance-threshold", "2", "why?"}, "--relevance-threshold 2 must be between 0 and 1"},
		{"bad article range", nil, []string{"eval", "--questions", "x.jsonl", "--articles", "48-25"}, "--articles"},
		{"weeks without questions", nil, []string{"eval", "--beir", dir, "--weeks", "1-11"}, "--weeks applies only with --questions"},
		{"articles of a question set", map[string]string{"RAGD_MODEL_PATH": modelPath}, []string{"eval", "--questions", "../../testdata/questions.jsonl", "--articles", "1-2"}, "not one"},
		{"llm with a server", nil, []string{"eval", "--questions", "x.jsonl", "--server", "http://localhost:1", "--llm-url", "http://localhost:2/v1", "--llm-model", "m"}, "--server and --llm-url"},
		{"train with an argument", nil, []string{"train", "extra"}, "takes only flags"},
		{"train without benchmarks", map[string]string{"RAGD_MODEL_PATH": modelPath}, []string{"train", "--bench", filepath.Join(dir, "none")}, "--bench"},
		{"bench questions without a store", nil, []string{"bench", "--questions", "x.jsonl"}, "--questions is for the load test of --serve-data"},
		{"bench of no store", map[string]string{"RAGD_MODEL_PATH": modelPath}, []string{"bench", "--serve-data", filepath.Join(dir, "none")}, "no ragd data directory"},
		{"bench on weaviate without a url", nil, []string{"bench", "--store", "weaviate"}, "--weaviate-url is required with --store weaviate"},
		{"bench of a data directory on weaviate", nil, []string{"bench", "--store", "weaviate", "--weaviate-url", "http://127.0.0.1:1", "--serve-data", dir}, "--serve-data measures a data directory of the embedded store"},
		{"negative settle", nil, []string{"bench", "--settle", "-1s"}, "--settle -1s must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := ragd(t, tt.env, "", tt.args...)
			if code == 0 {
				t.Fatalf("exit 0, want non-zero")
			}
			if lines := strings.Count(strings.TrimSpace(stderr), "\n"); lines != 0 {
				t.Errorf("stderr has %d lines, want one: %q", lines+1, stderr)
			}
			if !strings.Contains(stderr, tt.wantMsg) {
				t.Errorf("stderr %q does not mention %q", stderr, tt.wantMsg)
			}
		})
	}
}

func TestEveryFlagHasAnEnvironmentVariable(t *testing.T) {
	// A value from the environment is used when the flag is absent, and the
	// flag wins when both are given.
	env := seededEnv(t)
	env["RAGD_K"] = "2"
	_, stdout, _ := ragd(t, env, "", "search", "--json", "troops")
	var got hitsJSON
	json.Unmarshal([]byte(stdout), &got)
	if len(got.Hits) != 2 {
		t.Errorf("RAGD_K=2: %d hits, want 2", len(got.Hits))
	}
	_, stdout, _ = ragd(t, env, "", "search", "--json", "-k", "3", "troops")
	json.Unmarshal([]byte(stdout), &got)
	if len(got.Hits) != 3 {
		t.Errorf("RAGD_K=2 with -k 3: %d hits, want 3", len(got.Hits))
	}
}

// TestIngestRefusesBadFiles checks that ingest names the file (and line)
// at fault, and that two files giving one document ID are refused before
// anything is stored: the second would silently replace the first.
func TestIngestRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("twice/a.txt", "First\n\nThe first article.")
	write("twice/b.txt", "Second\n\nThe second article.")
	write("twice/sub/a.txt", "Third\n\nA third article named like the first.")
	tests := []struct {
		name    string
		path    string
		wantMsg []string
	}{
		{"one id from two folders", filepath.Join(dir, "twice"), []string{`"a" comes twice`, filepath.Join("twice", "a.txt"), filepath.Join("twice", "sub", "a.txt")}},
		{"binary", write("bin.txt", "GIF89a\x00\x01\x02 not text"), []string{"bin.txt", "not a text file"}},
		{"binary html", write("prog.html", "\x7fELF\x02\x01\x01\x00\x00"), []string{"prog.html", "not a text file"}},
		{"empty text file", write("empty.txt", "  \n"), []string{"empty.txt", "has no text"}},
		{"empty html file", write("empty.html", ""), []string{"empty.html", "has no text"}},
		{"text without words", write("dots.txt", "... !!! ---\n"), []string{"dots.txt", "has no words"}},
		{"one id on two lines", write("dup.jsonl", "{\"id\":\"x\",\"text\":\"one\"}\n\n{\"id\":\"x\",\"text\":\"two\"}\n"), []string{"dup.jsonl", "line 3", `"x" comes twice`, "dup.jsonl line 1"}},
		{"empty text in jsonl", write("e.jsonl", "{\"id\":\"x\",\"text\":\"one\"}\n{\"id\":\"y\",\"text\":\" \"}\n"), []string{"e.jsonl", "line 2", `"y" has no text`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			code, _, stderr := ragd(t, map[string]string{"RAGD_MODEL_PATH": modelPath}, "", "ingest", "--data", data, tt.path)
			if code == 0 {
				t.Fatalf("exit 0, want non-zero")
			}
			if lines := strings.Count(strings.TrimSpace(stderr), "\n"); lines != 0 {
				t.Errorf("stderr has %d lines, want one: %q", lines+1, stderr)
			}
			for _, want := range tt.wantMsg {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr %q does not mention %q", stderr, want)
				}
			}
		})
	}
	// A file named twice, directly and through its folder, is one file.
	twice := filepath.Join(dir, "twice")
	if code, _, stderr := ragd(t, map[string]string{"RAGD_MODEL_PATH": modelPath}, "", "ingest", "--data", filepath.Join(t.TempDir(), "data"),
		filepath.Join(twice, "b.txt"), twice+"/", filepath.Join(twice, "sub", "..", "b.txt")); code == 0 || strings.Contains(stderr, `"b" comes twice`) {
		t.Errorf("exit %d, stderr %q: want only the clash of a.txt, not b.txt named three ways", code, stderr)
	}
	// The refused folder stored nothing, not even the files before the
	// clash.
	data := filepath.Join(t.TempDir(), "data")
	ragd(t, map[string]string{"RAGD_MODEL_PATH": modelPath}, "", "ingest", "--data", data, filepath.Join(dir, "twice"))
	logs, _ := filepath.Glob(filepath.Join(data, "log-*.ragd"))
	for _, l := range logs {
		if info, err := os.Stat(l); err != nil || info.Size() != 0 {
			t.Errorf("a refused ingest wrote to %s: %v, %d bytes", l, err, info.Size())
		}
	}
}
