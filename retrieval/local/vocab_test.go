package local

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/ragd/ragd/retrieval"

	"github.com/ragd/ragd/embed"
)

func TestVocabularyRoundTrip(t *testing.T) {
	v := newVocabulary()
	tfs := v.count([]string{"troop", "ukrain", "troop", "peac", "troop"})
	if len(tfs) != 3 || !slices.IsSortedFunc(tfs, func(a, b termFreq) int { return int(a.id) - int(b.id) }) {
		t.Fatalf("count = %v, want three terms sorted by ID", tfs)
	}
	// Records spell terms out, in term order, as they always have.
	enc, err := v.encode(tfs)
	if err != nil || enc != "peac 1 troop 3 ukrain 1" {
		t.Errorf("encode = %q", enc)
	}
	// Another store (a fresh vocabulary) reads the same counts back.
	w := newVocabulary()
	w.count([]string{"zelenski"}) // other IDs than v's
	got, err := w.decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := w.encode(got); err != nil || again != enc {
		t.Errorf("decode then encode = %q, want %q", again, enc)
	}
	if id, ok := w.lookup("troop"); !ok {
		t.Error("decode did not number troop")
	} else if n, ok := (&chunkEntry{terms: packTerms(got)}).count(id); !ok || n != 3 {
		t.Errorf("count(troop) = %d, %v; want 3", n, ok)
	}
	if ids := w.known([]string{"troop", "missing", "troop", "peac"}); len(ids) != 2 {
		t.Errorf("known = %v, want troop and peac once each", ids)
	}

	for _, bad := range []string{"troop", "troop x", "troop 0", "troop -1", "troop 1 troop 2"} {
		if _, err := v.decode(bad); err == nil {
			t.Errorf("decode(%q) accepted", bad)
		}
	}
	if tfs, err := v.decode(""); err != nil || len(tfs) != 0 {
		t.Errorf("decode(\"\") = %v, %v; want no terms", tfs, err)
	}
}

func TestVocabularyConcurrentNumbering(t *testing.T) {
	// Loaders number terms concurrently: each term gets one ID.
	v := newVocabulary()
	words := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	var wg sync.WaitGroup
	results := make([][]uint32, 8)
	for i := range results {
		wg.Go(func() {
			order := slices.Clone(words)
			slices.Reverse(order[:i])
			ids := v.intern(order)
			m := make([]uint32, len(words))
			for j, w := range order {
				m[slices.Index(words, w)] = ids[j]
			}
			results[i] = m
		})
	}
	wg.Wait()
	for i := range results {
		if !slices.Equal(results[i], results[0]) {
			t.Fatalf("goroutine %d numbered %v, goroutine 0 %v", i, results[i], results[0])
		}
	}
	if len(v.terms) != len(words) {
		t.Errorf("%d terms numbered, want %d", len(v.terms), len(words))
	}
}

func TestVocabularyForgetsAndReusesIDs(t *testing.T) {
	v := newVocabulary()
	ids := v.intern([]string{"alpha", "beta", "gamma"})
	g := v.generation()
	v.forget([]uint32{ids[1]})
	if v.generation() == g {
		t.Error("forgetting did not start a new generation")
	}
	if _, ok := v.lookup("beta"); ok || v.size() != 2 {
		t.Errorf("beta still numbered, or %d terms; want 2", v.size())
	}
	if id := v.intern([]string{"delta"})[0]; id != ids[1] {
		t.Errorf("delta got ID %d, want beta's freed %d", id, ids[1])
	}
	if enc, err := v.encode([]termFreq{{id: ids[1], count: 2}}); err != nil || enc != "delta 2" {
		t.Errorf("encode of the reused ID = %q, %v; want delta", enc, err)
	}
	v.forget([]uint32{ids[2]})
	if _, err := v.encode([]termFreq{{id: ids[2], count: 1}}); err == nil {
		t.Error("a freed ID was encoded")
	}
	g = v.generation()
	v.forget(nil)
	v.forget([]uint32{ids[2]}) // already free
	if v.generation() != g {
		t.Error("forgetting nothing started a new generation")
	}
}

func TestVocabularyFreedSince(t *testing.T) {
	// A list numbered before a forget is stale only if the forget freed
	// one of its own IDs.
	v := newVocabulary()
	ids := v.intern([]string{"alpha", "beta", "gamma"})
	g0 := v.generation()
	v.forget([]uint32{ids[1]})
	mine := packTerms([]termFreq{{id: ids[0], count: 1}, {id: ids[2], count: 1}})
	if v.freedSince(g0, mine) {
		t.Error("a list without the freed ID is stale")
	}
	if !v.freedSince(g0, mine, packTerms([]termFreq{{id: ids[1], count: 1}})) {
		t.Error("a list with the freed ID is not stale")
	}
	if v.freedSince(v.generation(), packTerms([]termFreq{{id: ids[1], count: 1}})) {
		t.Error("a list numbered after the forget is stale")
	}
}

func storeSearch(t *testing.T, s *Store, query string) []string {
	t.Helper()
	hits, err := s.Search(context.Background(), retrieval.SearchRequest{Query: query, K: 10, Mode: retrieval.Lexical, SentenceWeight: -1})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, h := range hits {
		if !slices.Contains(ids, h.DocID) {
			ids = append(ids, h.DocID)
		}
	}
	return ids
}

func TestStoreForgetsTermsOfRemovedDocuments(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Config{Embedder: embed.NewHashing(64)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base := retrieval.Document{ID: "base", Text: "The council met on Tuesday to discuss the budget."}
	if _, err := s.Ingest(ctx, []retrieval.Document{base}); err != nil {
		t.Fatal(err)
	}
	before := s.vocab.size()
	doc := retrieval.Document{ID: "news", Text: "The council approved 31415 new trams for Zanzibarville."}
	if _, err := s.Ingest(ctx, []retrieval.Document{doc}); err != nil {
		t.Fatal(err)
	}
	// An update that drops a term forgets it; the new one is found.
	doc.Text = "The council approved 27182 new trams for Zanzibarville."
	if _, err := s.Ingest(ctx, []retrieval.Document{doc}); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.vocab.lookup("31415"); ok {
		t.Error("the replaced version's number is still numbered")
	}
	if got := storeSearch(t, s, "27182"); !slices.Equal(got, []string{"news"}) {
		t.Errorf("search 27182 = %v, want news", got)
	}
	if err := s.Delete(ctx, "news"); err != nil {
		t.Fatal(err)
	}
	if got := s.vocab.size(); got != before {
		t.Errorf("%d terms after deleting the document, want %d as before it", got, before)
	}
	if got := storeSearch(t, s, "council budget"); !slices.Equal(got, []string{"base"}) {
		t.Errorf("search = %v, want base", got)
	}
}

func TestApplyNumbersAgainAfterForgetting(t *testing.T) {
	// A document is analysed outside the store's lock. If a delete
	// forgets one of its terms meanwhile and a new term takes the freed ID,
	// its term list must be numbered again before it is indexed.
	ctx := context.Background()
	s, err := Open(ctx, Config{Embedder: embed.NewHashing(64)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Ingest(ctx, []retrieval.Document{{ID: "old", Text: "Zebrafinch sightings rose."}}); err != nil {
		t.Fatal(err)
	}
	gen := s.vocab.generation()
	rec, texts := s.chunkDocument(retrieval.Document{ID: "new", Text: "Zebrafinch flocks returned."}, "h")
	vectors, err := s.embed(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "old"); err != nil { // forgets "zebrafinch"
		t.Fatal(err)
	}
	if _, err := s.Ingest(ctx, []retrieval.Document{{ID: "other", Text: "Yakherd prices fell."}}); err != nil { // reuses its ID
		t.Fatal(err)
	}
	s.mu.Lock()
	err = s.commit(ctx, []*prepared{{rec: rec, vectors: vectors, gen: gen}})
	s.forgetDeadTerms()
	s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if got := storeSearch(t, s, "zebrafinch"); !slices.Equal(got, []string{"new"}) {
		t.Errorf("search zebrafinch = %v, want new", got)
	}
	if got := storeSearch(t, s, "yakherd"); !slices.Equal(got, []string{"other"}) {
		t.Errorf("search yakherd = %v, want other only", got)
	}
}

// flakyEmbedder embeds with a hashing embedder until failing is set.
type flakyEmbedder struct {
	retrieval.Embedder
	failing bool
}

func (f *flakyEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if f.failing {
		return nil, errors.New("embedding service down")
	}
	return f.Embedder.Embed(ctx, texts)
}

func TestFailedIngestLeavesNoTerms(t *testing.T) {
	ctx := context.Background()
	emb := &flakyEmbedder{Embedder: embed.NewHashing(64)}
	s, err := Open(ctx, Config{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Ingest(ctx, []retrieval.Document{{ID: "base", Text: "The council met on Tuesday."}}); err != nil {
		t.Fatal(err)
	}
	before := s.vocab.size()
	emb.failing = true
	if _, err := s.Ingest(ctx, []retrieval.Document{{ID: "new", Text: "Quokkaville council approved 31415 trams."}}); err == nil {
		t.Fatal("ingest succeeded with the embedder down")
	}
	if got := s.vocab.size(); got != before {
		t.Errorf("%d terms after a failed ingest, want %d", got, before)
	}
	if _, ok := s.vocab.lookup("council"); !ok {
		t.Error("a term of a stored document was forgotten")
	}
}

func TestPackedTerms(t *testing.T) {
	tfs := []termFreq{{id: 0, count: 1}, {id: 3, count: 2}, {id: 200, count: 70000}, {id: 1 << 30, count: 5}}
	p := packTerms(tfs)
	if got := p.unpack(); !slices.Equal(got, tfs) {
		t.Errorf("unpack = %v, want %v", got, tfs)
	}
	e := &chunkEntry{terms: p}
	for _, tf := range tfs {
		if n, ok := e.count(tf.id); !ok || n != tf.count {
			t.Errorf("count(%d) = %d, %v; want %d", tf.id, n, ok, tf.count)
		}
	}
	for _, id := range []uint32{1, 4, 199, 201, 1<<30 + 1} {
		if n, ok := e.count(id); ok {
			t.Errorf("count(%d) = %d, found; want absent", id, n)
		}
	}
	if packTerms(nil).unpack() != nil {
		t.Error("empty terms unpack to something")
	}
}
