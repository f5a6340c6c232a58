package local

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ragd/ragd/retrieval"
)

// indexStats is what the lexicon and the document statistics say of a
// store, by term and chunk ID rather than by number, so that two stores
// that number them differently compare.
type indexStats struct {
	df               map[string]uint32
	n                int
	total            int64
	lens             map[string]int
	postings         map[string][]string // "chunk:count", sorted
	docDF            map[string]uint32
	docN             int
	docTotal         int64
	docLens          map[string]int
	badBound, badOrd []string
}

func statsOf(s *Store) indexStats {
	st := indexStats{df: map[string]uint32{}, n: s.lex.n, total: s.lex.totalLen, lens: map[string]int{}, postings: map[string][]string{},
		docDF: map[string]uint32{}, docN: s.docStats.n, docTotal: s.docStats.totalLen, docLens: map[string]int{}}
	for id, n := range s.lex.df {
		if n > 0 {
			st.df[s.vocab.term(uint32(id))] = n
		}
	}
	for id, n := range s.docStats.df {
		if n > 0 {
			st.docDF[s.vocab.term(uint32(id))] = n
		}
	}
	for id, e := range s.byChunk {
		st.lens[id] = e.length
	}
	for id, r := range s.docs {
		if r.docEntry != nil {
			st.docLens[id] = r.docEntry.length
		}
	}
	for id := range s.lex.postings {
		pl := &s.lex.postings[id]
		term := s.vocab.term(uint32(id))
		for i := range pl.blocks {
			for _, p := range pl.decode(i, nil) {
				e := s.lex.chunks[p.ord]
				if e == nil {
					st.badOrd = append(st.badOrd, fmt.Sprintf("%s: ordinal %d is free", term, p.ord))
					continue
				}
				if b := s.lex.bounds[id]; p.tf > b.maxTF || uint32(e.length) < b.minLen {
					st.badBound = append(st.badBound, term)
				}
				st.postings[term] = append(st.postings[term], fmt.Sprintf("%s:%d", e.chunk.ID, p.tf))
			}
		}
		slices.Sort(st.postings[term])
	}
	return st
}

// compareStats reports every way got differs from want.
func compareStats(t *testing.T, name string, got, want indexStats) {
	t.Helper()
	if len(got.badOrd) > 0 || len(got.badBound) > 0 {
		t.Errorf("%s: postings of free ordinals %v; bounds that do not bound %v", name, got.badOrd, got.badBound)
	}
	if got.n != want.n || got.total != want.total || got.docN != want.docN || got.docTotal != want.docTotal {
		t.Errorf("%s: %d chunks of %d terms and %d documents of %d, want %d of %d and %d of %d", name,
			got.n, got.total, got.docN, got.docTotal, want.n, want.total, want.docN, want.docTotal)
	}
	for _, m := range [][3]any{{"df", got.df, want.df}, {"chunk lengths", got.lens, want.lens}, {"postings", got.postings, want.postings},
		{"document df", got.docDF, want.docDF}, {"document lengths", got.docLens, want.docLens}} {
		if a, b := fmt.Sprint(m[1]), fmt.Sprint(m[2]); a != b {
			t.Errorf("%s: %s %s, want %s", name, m[0], a[:min(len(a), 300)], b[:min(len(b), 300)])
		}
	}
}

// withoutLexicon copies a data directory with its snapshot's lexicon
// frames left out: a snapshot as one without them (or an older ragd)
// writes, which opens by building the lexicon from the documents.
func withoutLexicon(t *testing.T, s *Store) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(s.dir)); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, lockFile))
	path := filepath.Join(dir, filepath.Base(s.genPath(snapshotPrefix, snapshotExt, s.meta.Generation)))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	lexicon := 0
	if _, err := scanFrames(data, 0, false, func(f frame) error {
		if f.kind == kindLexicon {
			lexicon++
		} else {
			out = appendFrame(out, f.kind, f.id, f.body)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if lexicon < 2 {
		t.Fatalf("the snapshot holds %d lexicon frames, want a head and postings", lexicon)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// everything is every hit of q in mode m, by chunk ID.
func everything(t *testing.T, s *Store, q string, m retrieval.Mode) map[string]float64 {
	t.Helper()
	_, chunks := s.Len()
	if chunks > 100 {
		t.Fatalf("%d chunks: more than one search returns", chunks)
	}
	hits, err := s.Search(context.Background(), retrieval.SearchRequest{Query: q, K: chunks, Mode: m})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, h := range hits {
		out[h.ID] = h.Score
	}
	return out
}

// newsCorpus is n documents of several chunks each, of sentences drawn
// from a small vocabulary with a fixed seed.
func newsCorpus(n int) []retrieval.Document {
	words := strings.Fields("minerals deal Ukraine harbour pilots fog ferry talks pay ceasefire buffer zone president said Monday council tram line budget vote strike port grain exports court ruling election poll")
	rng := rand.New(rand.NewPCG(7, 11))
	docs := make([]retrieval.Document, n)
	for i := range docs {
		var b strings.Builder
		for k := range 40 {
			for range 4 + rng.IntN(8) {
				b.WriteString(words[rng.IntN(len(words))] + " ")
			}
			b.WriteString(fmt.Sprintf("item%d.", rng.IntN(500)))
			if k%6 == 5 {
				b.WriteString("\n\n")
			} else {
				b.WriteString(" ")
			}
		}
		docs[i] = retrieval.Document{ID: fmt.Sprintf("doc-%06d", i), Title: fmt.Sprintf("Report %d", i), Text: b.String()}
	}
	return docs
}

// TestSnapshotLexicon opens a store from the lexicon its snapshot holds,
// with a log that replaced, removed and added documents since: the
// snapshot's chunks keep the ordinals they had, and the lexicon, the
// statistics and every ranking are those of a store that built them from
// the documents.
func TestSnapshotLexicon(t *testing.T) {
	ctx := context.Background()
	docs := newsCorpus(44)
	slices.Reverse(docs) // ordinals that do not follow the IDs
	s, cfg := compactedStore(t, docs[:36])
	for _, id := range []string{"doc-000017", "doc-000031"} {
		if err := s.Delete(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	ords := map[string]uint32{}
	for id, e := range s.byChunk {
		ords[id] = e.ord
	}
	// The log: a replacement, a removal, additions, one with a new term.
	changed := docs[3]
	changed.Text += "\n\nA zeppelin was sighted over the harbour."
	if _, err := s.Ingest(ctx, append([]retrieval.Document{changed}, docs[36:]...)); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, docs[10].ID); err != nil {
		t.Fatal(err)
	}
	want := statsOf(s)
	s = reopen(t, s, cfg)
	compareStats(t, "adopted", statsOf(s), want)
	kept := 0
	for id, e := range s.byChunk {
		if ord, ok := ords[id]; ok && e.doc.doc.ID != changed.ID {
			if e.ord != ord {
				t.Fatalf("chunk %s has ordinal %d, want %d as in the snapshot", id, e.ord, ord)
			}
			kept++
		}
	}
	if kept == 0 {
		t.Fatal("no chunk of the snapshot kept its ordinal: the lexicon was not adopted")
	}

	built, err := Open(ctx, Config{Dir: withoutLexicon(t, s), Embedder: cfg.Embedder})
	if err != nil {
		t.Fatal(err)
	}
	defer built.Close()
	compareStats(t, "built", statsOf(built), want)
	for _, q := range []string{"zeppelin harbour", "minerals deal Ukraine", "\"buffer zone\" ceasefire", "president said on Monday"} {
		for _, m := range []retrieval.Mode{retrieval.Lexical, retrieval.Hybrid} {
			a, b := everything(t, s, q, m), everything(t, built, q, m)
			if len(a) != len(b) {
				t.Errorf("%s %q: %d hits adopted, %d built", m, q, len(a), len(b))
			}
			for id, x := range a {
				if y, ok := b[id]; !ok || math.Abs(x-y) > 1e-9 {
					t.Errorf("%s %q: chunk %s scores %v adopted, %v built", m, q, id, x, y)
				}
			}
		}
	}

	// Written again after adopting: the next opening adopts it too.
	if _, err := s.Ingest(ctx, []retrieval.Document{docs[10]}); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	want = statsOf(s)
	compareStats(t, "compacted after adopting", statsOf(reopen(t, s, cfg)), want)
}

// TestDamagedSnapshotLexicon flips a byte of the snapshot's postings: the
// store opens whole, quarantining nothing, with the lexicon built from the
// documents, and says so.
func TestDamagedSnapshotLexicon(t *testing.T) {
	s, cfg := compactedStore(t, newsCorpus(30))
	want := statsOf(s)
	wantHits := everything(t, s, "minerals deal", retrieval.Hybrid)
	path := s.genPath(snapshotPrefix, snapshotExt, s.meta.Generation)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var last frame
	if _, err := scanFrames(data, 0, false, func(f frame) error {
		if f.kind == kindLexicon {
			last = f
		}
		return nil
	}); err != nil || last.id != lexiconPostings {
		t.Fatalf("no postings frame in the snapshot (%v)", err)
	}
	data[int(last.off)+frameHead+len(last.id)+len(last.body)/2] ^= 0x40
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&log, nil))
	s, err = Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if d := s.Damaged(); len(d) > 0 {
		t.Errorf("damaged lexicon quarantined %v; it should be built from the documents", d)
	}
	if !strings.Contains(log.String(), "lexicon") {
		t.Errorf("opening said nothing of the damaged lexicon: %s", log.String())
	}
	compareStats(t, "rebuilt", statsOf(s), want)
	if got := everything(t, s, "minerals deal", retrieval.Hybrid); fmt.Sprint(got) != fmt.Sprint(wantHits) {
		t.Errorf("hits %v, want %v", got, wantHits)
	}
}
