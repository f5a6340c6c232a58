package local_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ragd/ragd/embed"
	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/local"
)

// renamed gives an embedder another name, to simulate a model that changed
// under the same name.
type renamed struct {
	*embed.Hashing
	name string
}

func (r renamed) Name() string { return r.name }

var testEmbedder = embed.NewHashing(64)

func openStore(tb testing.TB, dir string) *local.Store {
	tb.Helper()
	st, err := local.Open(context.Background(), local.Config{Dir: dir, Embedder: testEmbedder})
	if err != nil {
		tb.Fatalf("Open(%s): %v", dir, err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// seedDocs reads the seed articles shipped in testdata/articles.
func seedDocs(tb testing.TB) []retrieval.Document {
	tb.Helper()
	return local.SeedArticles(tb)
}

func mustIngest(tb testing.TB, st *local.Store, docs ...retrieval.Document) []retrieval.IngestResult {
	tb.Helper()
	res, err := st.Ingest(context.Background(), docs)
	if err != nil {
		tb.Fatalf("Ingest: %v", err)
	}
	return res
}

func search(tb testing.TB, st *local.Store, req retrieval.SearchRequest) []retrieval.Hit {
	tb.Helper()
	if req.K == 0 {
		req.K = 10
	}
	hits, err := st.Search(context.Background(), req)
	if err != nil {
		tb.Fatalf("Search(%q): %v", req.Query, err)
	}
	return hits
}

func docIDs(hits []retrieval.Hit) []string {
	var ids []string
	for _, h := range hits {
		if !slices.Contains(ids, h.DocID) {
			ids = append(ids, h.DocID)
		}
	}
	return ids
}

func TestIngestIsIdempotentAndReplacesChangedDocuments(t *testing.T) {
	st := openStore(t, t.TempDir())
	docs := seedDocs(t)
	first := mustIngest(t, st, docs...)
	for _, r := range first {
		if r.Status != retrieval.Added || r.Chunks == 0 {
			t.Errorf("first ingest of %s = %+v, want added with chunks", r.ID, r)
		}
	}
	_, chunksBefore := st.Len()

	again := mustIngest(t, st, docs...)
	for _, r := range again {
		if r.Status != retrieval.Unchanged {
			t.Errorf("re-ingest of %s: status %q, want unchanged", r.ID, r.Status)
		}
	}
	if _, chunks := st.Len(); chunks != chunksBefore {
		t.Errorf("chunks after re-ingest = %d, want %d", chunks, chunksBefore)
	}

	changed := docs[0]
	changed.Text = changed.Title + "\nThe zeppelin inspection found nothing unusual."
	res := mustIngest(t, st, changed)
	if res[0].Status != retrieval.Updated || res[0].Chunks != 1 {
		t.Fatalf("changed document: %+v, want updated with 1 chunk", res[0])
	}
	got, err := st.Get(context.Background(), changed.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Chunks) != 1 || got.Text != changed.Text {
		t.Errorf("stored document has %d chunks and text %q; want the new version", len(got.Chunks), got.Text)
	}
	hits := search(t, st, retrieval.SearchRequest{Query: "zeppelin", Mode: retrieval.Lexical})
	if len(hits) != 1 || hits[0].DocID != changed.ID {
		t.Errorf("search for a word only in the new version: %v, want one hit in %s", docIDs(hits), changed.ID)
	}
	// A word only the old version had must no longer be found in that document.
	for _, h := range search(t, st, retrieval.SearchRequest{Query: "Starmer", Mode: retrieval.Lexical, K: 100}) {
		if h.DocID == changed.ID {
			t.Errorf("old chunk %s still searchable after replacement", h.ID)
		}
	}
}

func TestDeleteRemovesEverything(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	docs := seedDocs(t)
	mustIngest(t, st, docs...)
	victim := docs[1].ID
	if err := st.Delete(context.Background(), victim); err != nil {
		t.Fatalf("Delete(%s): %v", victim, err)
	}
	if _, err := st.Get(context.Background(), victim); !errors.Is(err, retrieval.ErrNotFound) {
		t.Errorf("Get after delete: %v, want ErrNotFound", err)
	}
	for _, mode := range []retrieval.Mode{retrieval.Lexical, retrieval.Dense, retrieval.Hybrid} {
		for _, h := range search(t, st, retrieval.SearchRequest{Query: "Trump Starmer troops backstop", Mode: mode, K: 100}) {
			if h.DocID == victim {
				t.Errorf("%s search returned chunk %s of a deleted document", mode, h.ID)
			}
		}
	}
	if err := st.Delete(context.Background(), victim); !errors.Is(err, retrieval.ErrNotFound) {
		t.Errorf("second Delete: %v, want ErrNotFound", err)
	}
	// The deletion is durable.
	st.Close()
	re := openStore(t, dir)
	if n, _ := re.Len(); n != len(docs)-1 {
		t.Errorf("documents after reopen = %d, want %d", n, len(docs)-1)
	}
}

func TestStorePersistsAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	mustIngest(t, st, seedDocs(t)...)
	req := retrieval.SearchRequest{Query: "how many troops would the buffer zone need", K: 5}
	before := search(t, st, req)
	docsBefore, chunksBefore := st.Len()
	st.Close()

	re := openStore(t, dir)
	docs, chunks := re.Len()
	if docs != docsBefore || chunks != chunksBefore {
		t.Fatalf("after reopen: %d docs, %d chunks; want %d, %d", docs, chunks, docsBefore, chunksBefore)
	}
	after := search(t, re, req)
	if len(after) != len(before) {
		t.Fatalf("after reopen: %d hits, want %d", len(after), len(before))
	}
	for i := range before {
		if after[i].ID != before[i].ID || math.Abs(after[i].Score-before[i].Score) > 1e-6 {
			t.Errorf("hit %d after reopen = %s (%.6f), want %s (%.6f)", i, after[i].ID, after[i].Score, before[i].ID, before[i].Score)
		}
	}
}

func TestOpenRefusesAnotherEmbedder(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	mustIngest(t, st, seedDocs(t)[:1]...)
	st.Close()
	_, err := local.Open(context.Background(), local.Config{Dir: dir, Embedder: embed.NewHashing(32)})
	if !errors.Is(err, retrieval.ErrEmbedderMismatch) {
		t.Fatalf("Open with another embedder: %v, want ErrEmbedderMismatch", err)
	}
	if !strings.Contains(err.Error(), "re-index") {
		t.Errorf("error %q does not tell the user to re-index", err)
	}
}

func TestIngestRejectsAnotherDimension(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	mustIngest(t, st, seedDocs(t)[:1]...)
	st.Close()
	// Same name, other dimension: a model that changed under the same name.
	st2, err := local.Open(context.Background(), local.Config{Dir: dir, Embedder: renamed{embed.NewHashing(32), testEmbedder.Name()}})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	_, err = st2.Ingest(context.Background(), []retrieval.Document{{ID: "x", Title: "x", Text: "x y z"}})
	if !errors.Is(err, retrieval.ErrEmbedderMismatch) {
		t.Fatalf("Ingest with 32-d vectors into a 64-d index: %v, want ErrEmbedderMismatch", err)
	}
}

func TestIngestRejectsInvalidDocumentsWithoutWriting(t *testing.T) {
	st := openStore(t, t.TempDir())
	mustIngest(t, st, seedDocs(t)[:1]...)
	docs0, chunks0 := st.Len()
	tests := []struct {
		name string
		docs []retrieval.Document
	}{
		{"empty text", []retrieval.Document{{ID: "a", Title: "A", Text: "ok text"}, {ID: "b", Title: "B", Text: "  \n "}}},
		{"missing id", []retrieval.Document{{Title: "A", Text: "some text"}}},
		{"duplicate id", []retrieval.Document{{ID: "a", Text: "one"}, {ID: "a", Text: "two"}}},
		{"invalid utf-8", []retrieval.Document{{ID: "a", Text: "bad \xff text"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := st.Ingest(context.Background(), tt.docs)
			if !errors.Is(err, retrieval.ErrInvalid) {
				t.Fatalf("Ingest: %v, want ErrInvalid", err)
			}
			if docs, chunks := st.Len(); docs != docs0 || chunks != chunks0 {
				t.Errorf("store changed: %d docs, %d chunks; want %d, %d", docs, chunks, docs0, chunks0)
			}
		})
	}
}

func TestSearchFiltersApplyBeforeRanking(t *testing.T) {
	st := openStore(t, t.TempDir())
	day := func(s string) time.Time {
		t, _ := time.Parse(time.DateOnly, s)
		return t
	}
	docs := []retrieval.Document{
		{ID: "a", Title: "Apples", Text: "Apples apples apples are red fruit.", Source: "farm.example", Author: "Ann", Published: day("2025-01-10")},
		{ID: "b", Title: "Pears", Text: "Pears are green fruit, unlike apples.", Source: "orchard.example", Author: "Bob", Published: day("2025-02-10")},
		{ID: "c", Title: "Plums", Text: "Plums are purple fruit.", Source: "orchard.example", Author: "Ann"},
	}
	mustIngest(t, st, docs...)
	tests := []struct {
		name   string
		filter retrieval.Filter
		want   []string
	}{
		{"none", retrieval.Filter{}, []string{"a", "b", "c"}},
		{"doc id", retrieval.Filter{DocIDs: []string{"b"}}, []string{"b"}},
		{"two doc ids", retrieval.Filter{DocIDs: []string{"c", "b"}}, []string{"b", "c"}},
		{"source", retrieval.Filter{Source: "orchard.example"}, []string{"b", "c"}},
		{"author", retrieval.Filter{Author: "Ann"}, []string{"a", "c"}},
		{"from", retrieval.Filter{From: day("2025-02-01")}, []string{"b"}},
		{"to", retrieval.Filter{To: day("2025-01-31")}, []string{"a"}},
		{"range excludes undated", retrieval.Filter{From: day("2024-01-01"), To: day("2026-01-01")}, []string{"a", "b"}},
		{"nothing matches", retrieval.Filter{Author: "Zed"}, nil},
	}
	for _, mode := range []retrieval.Mode{retrieval.Hybrid, retrieval.Lexical, retrieval.Dense} {
		for _, tt := range tests {
			t.Run(string(mode)+"/"+tt.name, func(t *testing.T) {
				hits := search(t, st, retrieval.SearchRequest{Query: "fruit", K: 1, Filter: tt.filter, Mode: mode})
				got := docIDs(hits)
				if len(tt.want) == 0 {
					if len(got) != 0 {
						t.Errorf("hits %v, want none", got)
					}
					return
				}
				// k=1: the single hit must come from the filtered set, even
				// when better chunks exist outside it.
				if len(got) != 1 || !slices.Contains(tt.want, got[0]) {
					t.Errorf("hits %v, want one of %v", got, tt.want)
				}
				all := docIDs(search(t, st, retrieval.SearchRequest{Query: "fruit", K: 10, Filter: tt.filter, Mode: mode}))
				slices.Sort(all)
				if !slices.Equal(all, tt.want) {
					t.Errorf("all hits %v, want %v", all, tt.want)
				}
			})
		}
	}
}

func TestSearchQuotedPhraseMustMatch(t *testing.T) {
	st := openStore(t, t.TempDir())
	mustIngest(t, st,
		retrieval.Document{ID: "exact", Text: "The buffer zone would need 30,000 troops."},
		retrieval.Document{ID: "scrambled", Text: "A zone of troops would need a buffer, officials said."},
	)
	for _, mode := range []retrieval.Mode{retrieval.Hybrid, retrieval.Lexical, retrieval.Dense} {
		t.Run(string(mode), func(t *testing.T) {
			got := docIDs(search(t, st, retrieval.SearchRequest{Query: `"buffer zone" troops`, Mode: mode}))
			if !slices.Equal(got, []string{"exact"}) {
				t.Errorf("hits %v, want only [exact]", got)
			}
			got = docIDs(search(t, st, retrieval.SearchRequest{Query: `“30,000 troops”`, Mode: mode}))
			if !slices.Equal(got, []string{"exact"}) {
				t.Errorf("curly-quoted phrase: hits %v, want only [exact]", got)
			}
		})
	}
}

func TestSearchValidatesK(t *testing.T) {
	st := openStore(t, t.TempDir())
	mustIngest(t, st, retrieval.Document{ID: "one", Text: "A single short document."})
	for _, k := range []int{-1, 0, retrieval.MaxK + 1} {
		if _, err := st.Search(context.Background(), retrieval.SearchRequest{Query: "document", K: k}); !errors.Is(err, retrieval.ErrInvalid) {
			t.Errorf("k=%d: %v, want ErrInvalid", k, err)
		}
	}
	// k above the collection size is capped, not an error.
	hits := search(t, st, retrieval.SearchRequest{Query: "document", K: retrieval.MaxK})
	if len(hits) != 1 {
		t.Errorf("k=%d on a one-chunk store: %d hits, want 1", retrieval.MaxK, len(hits))
	}
}

func TestChunkOffsetsPointIntoTheDocument(t *testing.T) {
	st := openStore(t, t.TempDir())
	docs := seedDocs(t)
	mustIngest(t, st, docs...)
	for _, d := range docs {
		got, err := st.Get(context.Background(), d.ID)
		if err != nil {
			t.Fatal(err)
		}
		runes := []rune(got.Text)
		for _, c := range got.Chunks {
			if c.Start < 0 || c.End > len(runes) || c.Start >= c.End {
				t.Fatalf("%s: offsets [%d,%d) outside text of %d code points", c.ID, c.Start, c.End, len(runes))
			}
			if s := string(runes[c.Start:c.End]); s != c.Text {
				t.Errorf("%s: text at offsets = %q, chunk text = %q", c.ID, s, c.Text)
			}
		}
	}
}

func TestListPages(t *testing.T) {
	st := openStore(t, "")
	docs := seedDocs(t)
	mustIngest(t, st, docs...)
	page, total, err := st.List(context.Background(), 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if total != len(docs) || len(page) != 2 {
		t.Fatalf("List(1,2): %d items of %d, want 2 of %d", len(page), total, len(docs))
	}
	ids := []string{docs[0].ID, docs[1].ID, docs[2].ID}
	slices.Sort(ids)
	if page[0].ID != ids[1] || page[1].ID != ids[2] {
		t.Errorf("page = %s, %s; want %s, %s", page[0].ID, page[1].ID, ids[1], ids[2])
	}
	if page, _, _ := st.List(context.Background(), 100, 10); len(page) != 0 {
		t.Errorf("page past the end has %d items", len(page))
	}
}

func TestOpeningWritesNothing(t *testing.T) {
	// A document of stop words has no document-level terms; opening a
	// store that holds one, compacted or not, neither analyses nor
	// writes anything.
	dir := t.TempDir()
	st := openStore(t, dir)
	mustIngest(t, st, retrieval.Document{ID: "empty", Text: "It is what it is, and that was that."})
	st.Close()
	for _, compact := range []bool{false, true} {
		if compact {
			st := openStore(t, dir)
			if err := st.Compact(context.Background()); err != nil {
				t.Fatal(err)
			}
			st.Close()
		}
		before := dirState(t, dir)
		openStore(t, dir).Close()
		if after := dirState(t, dir); !maps.Equal(before, after) {
			t.Errorf("compacted %v: opening changed the data directory: %v, then %v", compact, before, after)
		}
	}
}

// dirState is the size and modification time of every file in dir but the
// lock, which records the process holding it.
func dirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		if e.Name() == "LOCK" {
			continue
		}
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = fmt.Sprintf("%d %s", info.Size(), info.ModTime())
	}
	return out
}

func TestIngestRefusesOverlongTitles(t *testing.T) {
	st := openStore(t, t.TempDir())
	long := retrieval.Document{ID: "long", Title: strings.Repeat("é", retrieval.MaxTitle+1), Text: "Some text."}
	if _, err := st.Ingest(context.Background(), []retrieval.Document{long}); !errors.Is(err, retrieval.ErrInvalid) || !strings.Contains(err.Error(), "title") {
		t.Errorf("Ingest with a %d-character title: %v, want ErrInvalid naming the title", retrieval.MaxTitle+1, err)
	}
	long.Title = long.Title[:len(long.Title)-len("é")]
	if _, err := st.Ingest(context.Background(), []retrieval.Document{long}); err != nil {
		t.Errorf("Ingest with a %d-character title: %v", retrieval.MaxTitle, err)
	}
}

func TestCancelledContext(t *testing.T) {
	st := openStore(t, t.TempDir())
	docs := seedDocs(t)
	mustIngest(t, st, docs[0])
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, mode := range []retrieval.Mode{retrieval.Dense, retrieval.Hybrid} {
		if _, err := st.Search(ctx, retrieval.SearchRequest{Query: "Ukraine", K: 5, Mode: mode}); !errors.Is(err, context.Canceled) {
			t.Errorf("%s search with a cancelled context: err = %v, want context.Canceled", mode, err)
		}
	}
	if _, err := st.Ingest(ctx, docs[1:]); !errors.Is(err, context.Canceled) {
		t.Errorf("ingest with a cancelled context: err = %v, want context.Canceled", err)
	}
	stats, err := st.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if stats.Documents != 1 {
		t.Errorf("after a cancelled ingest the store holds %d documents, want 1", stats.Documents)
	}
	if hits := search(t, st, retrieval.SearchRequest{Query: "Ukraine", K: 5}); len(hits) == 0 {
		t.Error("no hits after a cancelled ingest")
	}
}
