package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
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
