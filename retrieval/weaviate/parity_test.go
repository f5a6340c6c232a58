package weaviate_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/local"
	"github.com/ragd/ragd/retrieval/parse"
	"github.com/ragd/ragd/retrieval/weaviate"
	"github.com/ragd/ragd/retrieval/weaviate/weaviatetest"
)

// TestRanksLikeTheEmbeddedStore indexes the seed articles in both backends
// and asks every seed question in each mode: the hits, in order, must be
// the same. The node flushes its memory tables after a second, since
// Weaviate 1.35's BM25 can miss matches among objects not yet flushed (see
// docs/weaviate.md).
func TestRanksLikeTheEmbeddedStore(t *testing.T) {
	ctx := context.Background()
	node := weaviatetest.Start(t, "PERSISTENCE_MEMTABLES_FLUSH_DIRTY_AFTER_SECONDS=1")
	paths, err := filepath.Glob("../../testdata/articles/*.txt")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no seed articles: %v", err)
	}
	var docs []retrieval.Document
	for _, p := range paths {
		ds, err := parse.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, ds...)
	}
	wb, err := weaviate.Open(ctx, weaviate.Config{URL: node.URL(), Collection: "Parity", Embedder: testEmbedder})
	if err != nil {
		t.Fatal(err)
	}
	lb, err := local.Open(ctx, local.Config{Embedder: testEmbedder})
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	for _, b := range []retrieval.Backend{wb, lb} {
		if _, err := b.Ingest(ctx, slices.Clone(docs)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(3 * time.Second) // flushed

	f, err := os.Open("../../testdata/questions.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var questions []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var q struct{ Question string }
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			t.Fatal(err)
		}
		questions = append(questions, q.Question)
	}
	asOf := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	compared, same := 0, 0
	for _, mode := range []retrieval.Mode{retrieval.Lexical, retrieval.Dense, retrieval.Hybrid} {
		for _, q := range questions {
			req := retrieval.SearchRequest{Query: q, K: 5, Mode: mode, AsOf: asOf}
			want, err := lb.Search(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := wb.Search(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			compared++
			if slices.Equal(chunkIDs(got), chunkIDs(want)) {
				same++
			} else {
				t.Errorf("%s %q: weaviate %v, embedded %v", mode, q, chunkIDs(got), chunkIDs(want))
			}
		}
	}
	t.Logf("%d of %d searches rank the same top 5", same, compared)
}

func chunkIDs(hits []retrieval.Hit) []string {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	return ids
}
