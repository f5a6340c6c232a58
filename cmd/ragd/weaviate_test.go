package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ragd/ragd/embed"
	"github.com/ragd/ragd/qa"
	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/weaviate"
	"github.com/ragd/ragd/retrieval/weaviate/weaviatetest"
	"github.com/ragd/ragd/web"
)

func TestWeaviateUnreachableIsOneLine(t *testing.T) {
	code, _, stderr := ragd(t, map[string]string{"RAGD_MODEL_PATH": modelPath}, "", "search", "--store", "weaviate", "--weaviate-url", "http://127.0.0.1:1", "tram")
	msg := strings.TrimSpace(stderr)
	if code == 0 || !strings.Contains(msg, "backend unavailable") || strings.Contains(msg, "\n") {
		t.Errorf("search with Weaviate down: exit %d, stderr %q; want a non-zero exit and one line saying the backend is unavailable", code, stderr)
	}
}

// TestServeOnWeaviate serves the API over a real Weaviate node: searches
// and listings answer while it runs, and 503 with the reason once it is
// gone, not 500.
func TestServeOnWeaviate(t *testing.T) {
	ctx := context.Background()
	node := weaviatetest.Start(t)
	emb := embed.NewHashing(64)
	st, err := weaviate.Open(ctx, weaviate.Config{URL: node.URL(), Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	doc := retrieval.Document{ID: "tram", Title: "New tram line", Text: "The city's new tram line opened to passengers after six years of construction."}
	if _, err := st.Ingest(ctx, []retrieval.Document{doc}); err != nil {
		t.Fatal(err)
	}
	answerer, err := qa.New(qa.Config{Retriever: st, Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(web.Config{Searcher: st, Writer: st, Reader: st, Answerer: answerer}))
	defer srv.Close()
	call := func(method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	requests := []struct{ method, path, body string }{
		{http.MethodPost, "/api/search", `{"query": "tram passengers"}`},
		{http.MethodGet, "/api/documents", ""},
		{http.MethodGet, "/api/documents/tram", ""},
		{http.MethodPost, "/api/ask", `{"question": "When did the tram line open?"}`},
	}
	for _, r := range requests {
		if code, body := call(r.method, r.path, r.body); code != http.StatusOK {
			t.Errorf("%s %s with Weaviate up: %d %v, want 200", r.method, r.path, code, body)
		}
	}
	node.Kill()
	for _, r := range requests {
		code, body := call(r.method, r.path, r.body)
		msg, _ := body["error"].(string)
		if code != http.StatusServiceUnavailable || !strings.Contains(msg, "backend unavailable") {
			t.Errorf("%s %s with Weaviate down: %d %v, want 503 saying the backend is unavailable", r.method, r.path, code, body)
		}
	}
}

// TestBenchOnWeaviate runs ragd bench, as a real process, through a real
// Weaviate node: the output carries an ingest rate, the in-process
// latencies of each mode and a load test without errors; a collection
// left from an earlier run is emptied first, a kept one stays, and
// without --keep the collection is dropped at the end.
func TestBenchOnWeaviate(t *testing.T) {
	if testing.Short() {
		t.Skip("ragd bench on Weaviate takes half a minute")
	}
	if _, err := os.Stat(benchDir); err != nil {
		t.Skipf("no shared benchmarks at %s: %v", benchDir, err)
	}
	requireModel(t)
	node := weaviatetest.Start(t)
	model, _ := filepath.Abs(modelPath)
	const collection = "RagdChunkBench1000"
	bench := func(t *testing.T, extra ...string) string {
		t.Helper()
		args := append([]string{"bench", "--store", "weaviate", "--weaviate-url", node.URL(), "--sizes", "1000",
			"--queries", "5", "--requests", "20", "--settle", "1s", "--bench", benchDir, "--model-path", model}, extra...)
		cmd := exec.Command(binary(t), args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("ragd %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
		}
		t.Logf("ragd bench:\n%s", out)
		return string(out)
	}
	// count is the number of objects in a class, -1 when it does not exist.
	count := func(t *testing.T, class string) int {
		t.Helper()
		resp, err := http.Get(node.URL() + "/v1/schema/" + class)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound {
			return -1
		}
		q, _ := json.Marshal(map[string]string{"query": "{Aggregate{" + class + "{meta{count}}}}"})
		resp, err = http.Post(node.URL()+"/v1/graphql", "application/json", bytes.NewReader(q))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got struct {
			Data struct {
				Aggregate map[string][]struct{ Meta struct{ Count int } }
			}
		}
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || len(got.Data.Aggregate[class]) != 1 {
			t.Fatalf("count %s: %v %+v", class, err, got)
		}
		return got.Data.Aggregate[class][0].Meta.Count
	}
	// The documents and chunks the run reports.
	corpus := func(t *testing.T, out string) (docs, chunks int) {
		t.Helper()
		f := benchFigure(t, out, `corpus: (\d+) documents, (\d+) chunks`)
		return int(f[0]), int(f[1])
	}

	t.Run("dropped at the end", func(t *testing.T) {
		out := bench(t)
		if docs, chunks := corpus(t, out); docs < 1 || chunks < 1000 {
			t.Errorf("corpus of %d documents, %d chunks; want some documents and at least 1000 chunks", docs, chunks)
		}
		if !strings.Contains(out, "collection      "+collection+" (dropped at the end), Weaviate 1.") {
			t.Errorf("the output does not name the collection %s as dropped, on its Weaviate version", collection)
		}
		checkBenchFigures(t, out)
		if strings.Contains(out, "data directory") || strings.Contains(out, "RSS") {
			t.Errorf("the output reports the embedded store's files or memory")
		}
		if n := count(t, collection); n != -1 {
			t.Errorf("%s holds %d objects after the run, want it dropped", collection, n)
		}
		if n := count(t, collection+"Document"); n != -1 {
			t.Errorf("%sDocument holds %d objects after the run, want it dropped", collection, n)
		}
	})

	t.Run("emptied first and kept", func(t *testing.T) {
		// What an earlier run or another ingest left in the collection.
		env := map[string]string{"RAGD_MODEL_PATH": modelPath}
		if code, _, stderr := ragd(t, env, "", "ingest", "--store", "weaviate", "--weaviate-url", node.URL(),
			"--weaviate-collection", collection, "../../testdata/articles"); code != 0 {
			t.Fatalf("ingest: exit %d: %s", code, stderr)
		}
		out := bench(t, "--keep")
		docs, chunks := corpus(t, out)
		if !strings.Contains(out, "collection      "+collection+" (kept)") {
			t.Errorf("the output does not name the collection %s as kept", collection)
		}
		if got := count(t, collection+"Document"); got != docs {
			t.Errorf("%sDocument holds %d documents, want the run's %d alone", collection, got, docs)
		}
		if got := count(t, collection); got != chunks {
			t.Errorf("%s holds %d chunks, want the run's %d alone", collection, got, chunks)
		}

		t.Run("reused", func(t *testing.T) {
			out := bench(t, "--reuse")
			if d, c := corpus(t, out); d != docs || c != chunks {
				t.Errorf("reused corpus of %d documents, %d chunks; want the kept %d, %d", d, c, docs, chunks)
			}
			if !strings.Contains(out, "ingest          not measured") || strings.Contains(out, "chunks/s") {
				t.Errorf("the output reports an ingest rate of a reused collection")
			}
			checkSearchFigures(t, out)
			if got := count(t, collection); got != chunks {
				t.Errorf("%s holds %d chunks after the reuse, want the kept %d", collection, got, chunks)
			}
		})
	})

	t.Run("reuse of nothing kept", func(t *testing.T) {
		env := map[string]string{"RAGD_MODEL_PATH": modelPath}
		code, _, stderr := ragd(t, env, "", "bench", "--store", "weaviate", "--weaviate-url", node.URL(), "--sizes", "2000",
			"--reuse", "--bench", benchDir)
		if code != 1 || !strings.Contains(stderr, "holds 0 chunks") {
			t.Errorf("--reuse of a size never kept: exit %d, %q; want 1 and that the collection holds 0 chunks", code, stderr)
		}
		if n := count(t, "RagdChunkBench2000"); n != -1 {
			t.Errorf("RagdChunkBench2000 holds %d objects after a failed --reuse, want it not made", n)
		}
		if code, _, stderr := ragd(t, env, "", "bench", "--reuse", "--sizes", "2000"); code != 2 || !strings.Contains(stderr, "--reuse is for --store weaviate") {
			t.Errorf("--reuse on the embedded store: exit %d, %q; want a usage error", code, stderr)
		}
	})
}
