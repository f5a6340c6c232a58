package local_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/philippgille/chromem-go"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/chunk"
	"github.com/ragd/ragd/retrieval/local"
	"github.com/ragd/ragd/retrieval/rank"
)

// filler is text that matches no test query.
func filler(words int) string {
	return strings.Repeat("lorem ipsum dolor sit amet. ", words/5)
}

func TestDocumentScoreCreditsTheRestOfTheArticle(t *testing.T) {
	st, err := local.Open(context.Background(), local.Config{
		Embedder: testEmbedder,
		Chunk:    chunk.Options{TargetTokens: 20, OverlapTokens: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	mustIngest(t, st,
		// One passage mentions the reactor and a shutdown;
		// the rest of the article is about something else.
		retrieval.Document{ID: "focused", Title: "Plant notes", Text: "The reactor hall saw a shutdown. " + filler(60)},
		// Every passage of this article is about the inspection, one
		// query term a passage.
		retrieval.Document{ID: "spread", Title: "Plant diary", Text: "The reactor stood idle. " + filler(20) +
			"Engineers ordered a shutdown. " + filler(20) +
			"Inspectors arrived on Monday. " + filler(20)},
	)
	query := "reactor shutdown inspectors"
	first := func(docWeight float64) string {
		hits := search(t, st, retrieval.SearchRequest{Query: query, Mode: retrieval.Lexical, DocWeight: docWeight, SentenceWeight: -1})
		if len(hits) == 0 {
			t.Fatalf("doc weight %g: no hits", docWeight)
		}
		return hits[0].DocID
	}
	if got := first(-1); got != "focused" {
		t.Fatalf("without the document score, first hit from %q, want focused (the test's premise)", got)
	}
	if got := first(0.5); got != "spread" {
		t.Errorf("with document weight 0.5, first hit from %q, want spread", got)
	}
}

func TestRecencyFavoursRecentArticles(t *testing.T) {
	st := openStore(t, t.TempDir())
	asOf := time.Date(2025, 6, 30, 23, 59, 0, 0, time.UTC)
	text := "The city council approved the new tram line on Tuesday."
	mustIngest(t, st,
		retrieval.Document{ID: "a-old", Text: text, Published: asOf.AddDate(0, 0, -400)},
		retrieval.Document{ID: "b-undated", Text: text},
		retrieval.Document{ID: "c-recent", Text: text, Published: asOf.AddDate(0, 0, -2)},
		retrieval.Document{ID: "d-future", Text: text, Published: asOf.AddDate(0, 0, 3)},
	)
	query := "tram line council"
	tests := []struct {
		name string
		req  retrieval.SearchRequest
		want []string
	}{
		// Equal relevance: ties break by chunk ID.
		{"off", retrieval.SearchRequest{RecencyWeight: -1, AsOf: asOf}, []string{"a-old", "b-undated", "c-recent", "d-future"}},
		// The 400-day-old article keeps a sliver of credit; undated and
		// later articles get none.
		{"as of", retrieval.SearchRequest{AsOf: asOf}, []string{"c-recent", "a-old", "b-undated", "d-future"}},
		{"as of the filter's end", retrieval.SearchRequest{Filter: retrieval.Filter{To: asOf}}, []string{"c-recent", "a-old"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Query = query
			got := docIDs(search(t, st, tt.req))
			if !slices.Equal(got, tt.want) {
				t.Errorf("ranking %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDocumentScoresSurviveRestart(t *testing.T) {
	cfg := local.Config{Embedder: testEmbedder, Chunk: chunk.Options{TargetTokens: 40, OverlapTokens: 5}}
	req := retrieval.SearchRequest{Query: "peacekeeping troops buffer zone", K: 20, DocWeight: 0.9}
	reopen := func(t *testing.T, dir string) []retrieval.Hit {
		t.Helper()
		cfg.Dir = dir
		st, err := local.Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		return search(t, st, req)
	}
	dir := t.TempDir()
	cfg.Dir = dir
	st, err := local.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	mustIngest(t, st, seedDocs(t)...)
	want := search(t, st, req)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	same := func(t *testing.T, got []retrieval.Hit) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%d hits, %d before the restart", len(got), len(want))
		}
		for i := range want {
			if got[i].ID != want[i].ID || got[i].Score != want[i].Score {
				t.Errorf("hit %d: %s %.6f, before the restart %s %.6f", i, got[i].ID, got[i].Score, want[i].ID, want[i].Score)
			}
		}
	}
	t.Run("stored terms", func(t *testing.T) { same(t, reopen(t, dir)) })
	t.Run("compacted", func(t *testing.T) {
		cfg.Dir = dir
		st, err := local.Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Compact(context.Background()); err != nil {
			t.Fatal(err)
		}
		same(t, search(t, st, req))
		st.Close()
		same(t, reopen(t, dir))
	})
	t.Run("terms of an older analysis", func(t *testing.T) {
		// A store analysed by an older version of Terms is analysed again
		// when it opens, and compacted: the next opening has nothing to
		// redo.
		metaPath := filepath.Join(dir, "ragd.json")
		var gen float64
		editJSON(t, metaPath, func(m map[string]any) { m["analysis"] = 1; gen = m["generation"].(float64) })
		same(t, reopen(t, dir))
		editJSON(t, metaPath, func(m map[string]any) {
			if m["analysis"] == float64(1) {
				t.Errorf("ragd.json still says analysis 1 after the documents were analysed again")
			}
			if m["generation"] == gen {
				t.Errorf("the store was not compacted after the analysis")
			}
		})
		same(t, reopen(t, dir))
	})
}

// editJSON decodes the JSON object in path, passes it to edit and writes it
// back.
func editJSON(t *testing.T, path string, edit func(map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	if data, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWeightsMustBeBelowOne(t *testing.T) {
	for _, cfg := range []local.Config{
		{Embedder: testEmbedder, DocWeight: 1},
		{Embedder: testEmbedder, RecencyWeight: 1.5},
		{Embedder: testEmbedder, SentenceWeight: 1},
		{Embedder: testEmbedder, RecencyHalfLife: -time.Hour},
	} {
		if _, err := local.Open(context.Background(), cfg); !errors.Is(err, retrieval.ErrInvalid) {
			t.Errorf("Open(doc %g, recency %g, half-life %v): %v, want ErrInvalid", cfg.DocWeight, cfg.RecencyWeight, cfg.RecencyHalfLife, err)
		}
	}
	st := openStore(t, "")
	mustIngest(t, st, retrieval.Document{ID: "one", Text: "A single short document."})
	for _, req := range []retrieval.SearchRequest{
		{Query: "document", K: 1, DocWeight: 1},
		{Query: "document", K: 1, RecencyWeight: 2},
		{Query: "document", K: 1, SentenceWeight: 1},
	} {
		if _, err := st.Search(context.Background(), req); !errors.Is(err, retrieval.ErrInvalid) {
			t.Errorf("Search(doc %g, recency %g): %v, want ErrInvalid", req.DocWeight, req.RecencyWeight, err)
		}
	}
}

func TestDenseRankingMatchesChromem(t *testing.T) {
	// Dense rankings are computed from vectors the store keeps in memory;
	// chromem-go's own query over the collection of the vector file is the
	// oracle, for a fresh store, a reopened one, a compacted one, and under
	// a filter all chunks pass.
	dir := t.TempDir()
	docs := seedDocs(t)
	for i := range docs {
		docs[i].Published = time.Date(2025, 2, 20+i, 0, 0, 0, 0, time.UTC)
	}
	st := openStore(t, dir)
	mustIngest(t, st, docs...)
	_, chunks := st.Len()
	queries := []string{"peacekeeping troops", "kiwifruit exports", "what did Trump say about the British"}
	ranked := func(t *testing.T, st *local.Store, filter retrieval.Filter) [][]retrieval.Hit {
		t.Helper()
		var out [][]retrieval.Hit
		for _, q := range queries {
			out = append(out, search(t, st, retrieval.SearchRequest{Query: q, K: chunks, Mode: retrieval.Dense, Filter: filter, RecencyWeight: -1, SentenceWeight: -1}))
		}
		return out
	}
	fresh := ranked(t, st, retrieval.Filter{})
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = openStore(t, dir)
	runs := map[string][][]retrieval.Hit{
		"fresh":    fresh,
		"reopened": ranked(t, st, retrieval.Filter{}),
		"filtered": ranked(t, st, retrieval.Filter{From: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}),
	}
	if err := st.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = openStore(t, dir)
	runs["compacted"] = ranked(t, st, retrieval.Filter{})
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	files, err := filepath.Glob(filepath.Join(dir, "vectors-*.chromem"))
	if err != nil || len(files) != 1 {
		t.Fatalf("vector files %v, %v; want one", files, err)
	}
	colls, err := local.VectorCollections(files[0])
	if err != nil || len(colls) == 0 {
		t.Fatalf("vector file: %d parts, %v", len(colls), err)
	}
	for qi, q := range queries {
		vecs, err := testEmbedder.Embed(context.Background(), []string{q})
		if err != nil {
			t.Fatal(err)
		}
		// Each part ranks its chunks; the parts' rankings merge by
		// similarity.
		var want []chromem.Result
		for _, coll := range colls {
			got, err := coll.QueryEmbedding(context.Background(), vecs[0], coll.Count(), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, got...)
		}
		slices.SortStableFunc(want, func(a, b chromem.Result) int { return cmp.Compare(b.Similarity, a.Similarity) })
		for name, hits := range runs {
			got := hits[qi]
			if len(got) != len(want) {
				t.Fatalf("%s %q: %d hits, chromem-go ranks %d", name, q, len(got), len(want))
			}
			for i := range want {
				if got[i].ID != want[i].ID || math.Abs(got[i].Score-float64(want[i].Similarity)) > 1e-5 {
					t.Errorf("%s %q hit %d: %s %.6f, chromem-go %s %.6f", name, q, i, got[i].ID, got[i].Score, want[i].ID, want[i].Similarity)
				}
			}
		}
	}
}

func TestSentenceReranking(t *testing.T) {
	// "spread" mentions every query word, several times, but in different
	// sentences; "answer" holds them in one sentence among unrelated
	// ones. BM25 prefers the first; the best sentence, the second.
	ctx := context.Background()
	st := openStore(t, "")
	filler := strings.Repeat("The committee discussed budgets, schedules and staffing at length. ", 3)
	var spread strings.Builder
	for range 2 {
		for _, w := range []string{"harbour", "pilots", "ferry", "fog", "morning"} {
			spread.WriteString("The " + w + " was mentioned. " + filler)
		}
	}
	mustIngest(t, st,
		retrieval.Document{ID: "spread", Title: "Notes", Text: spread.String()},
		retrieval.Document{ID: "answer", Title: "Minutes", Text: filler + filler + "In the morning fog the harbour pilots guided the ferry. " + filler + filler},
	)
	query := "harbour pilots ferry fog morning"
	for _, tt := range []struct {
		weight float64
		first  string
	}{{-1, "spread"}, {0.7, "answer"}, {0, "answer"}} { // 0: the store's default, DefaultSentenceWeight
		hits, err := st.Search(ctx, retrieval.SearchRequest{Query: query, K: 2, Mode: retrieval.Lexical, SentenceWeight: tt.weight})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 2 || hits[0].DocID != tt.first {
			t.Errorf("sentence weight %g: ranking %v, want %s first", tt.weight, docIDs(hits), tt.first)
		}
	}
}

func TestSentenceRerankingRacesWriters(t *testing.T) {
	// Sentence re-ranking embeds without the store's lock; documents
	// replaced or deleted meanwhile must not break it or leave hits of
	// chunks no longer indexed. Run with -race.
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	docs := seedDocs(t)
	mustIngest(t, st, docs...)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 20 {
			d := docs[i%len(docs)]
			if i%2 == 0 {
				if err := st.Delete(ctx, d.ID); err != nil {
					t.Error(err)
					return
				}
			} else {
				d.Text += " Updated."
				if _, err := st.Ingest(ctx, []retrieval.Document{d}); err != nil {
					t.Error(err)
					return
				}
			}
		}
	}()
	for {
		select {
		case <-done:
			return
		default:
		}
		hits, err := st.Search(ctx, retrieval.SearchRequest{Query: "peacekeeping troops in Ukraine", K: 10, SentenceWeight: 0.8})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			if h.ID == "" || h.DocID == "" {
				t.Fatalf("empty hit %+v", h)
			}
		}
	}
}

func TestSentenceRerankingOnlyReordersTheHead(t *testing.T) {
	// Re-ranking permutes the best SentenceDepth passages among themselves
	// and hands them the head's scores: the scores in rank order, and the
	// passages below the head, are those of the ranking without it.
	st := openStore(t, "")
	mustIngest(t, st, seedDocs(t)...)
	_, chunks := st.Len()
	if chunks <= rank.SentenceDepth {
		t.Fatalf("%d chunks, want more than %d", chunks, rank.SentenceDepth)
	}
	req := retrieval.SearchRequest{Query: "What did Macron say European troops would not do?", K: chunks, RecencyWeight: -1, SentenceWeight: -1}
	plain := search(t, st, req)
	req.SentenceWeight = 0.8
	reranked := search(t, st, req)
	if len(plain) != len(reranked) {
		t.Fatalf("%d hits re-ranked, %d without", len(reranked), len(plain))
	}
	headIDs := map[string]bool{}
	moved := false
	for i := range plain {
		if plain[i].Score != reranked[i].Score {
			t.Errorf("rank %d: score %v re-ranked, %v without", i+1, reranked[i].Score, plain[i].Score)
		}
		if i < rank.SentenceDepth {
			headIDs[plain[i].ID] = true
			moved = moved || plain[i].ID != reranked[i].ID
		} else if plain[i].ID != reranked[i].ID {
			t.Errorf("rank %d below the head: %s re-ranked, %s without", i+1, reranked[i].ID, plain[i].ID)
		}
	}
	for _, h := range reranked[:rank.SentenceDepth] {
		if !headIDs[h.ID] {
			t.Errorf("%s entered the head", h.ID)
		}
	}
	if !moved {
		t.Error("re-ranking changed nothing in the head")
	}
}
