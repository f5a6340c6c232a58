package local

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	chromem "github.com/philippgille/chromem-go"

	"github.com/ragd/ragd/embed"
	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/internal/vecmath"
)

// TestVectorFileParts writes a vector file of several parts, reads it back
// whole, then damages one part: only the documents with a vector in it
// are quarantined, and the others are served.
func TestVectorFileParts(t *testing.T) {
	defer func(n int) { vectorPartSize = n }(vectorPartSize)
	vectorPartSize = 4
	ctx := context.Background()
	var docs []retrieval.Document
	for i := range 24 {
		docs = append(docs, retrieval.Document{ID: fmt.Sprintf("d%02d", i), Text: fmt.Sprintf("Bulletin %d: the harbour pilots reported fog number %d at dawn.", i, i*7919)})
	}
	s, cfg := compactedStore(t, docs)
	want := map[string][]float32{}
	for id, e := range s.byChunk {
		want[id] = slices.Clone(s.vecs.row(e.ord)[:s.vecs.dim])
	}
	path := s.genPath(vectorsPrefix, vectorsExt, s.meta.Generation)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	v, err := readVectorFile(path)
	if err != nil || v.err() != nil {
		t.Fatalf("readVectorFile: %v, %v", err, v.err())
	}
	if len(v.colls) != 6 {
		t.Fatalf("%d parts, want 6 (24 chunks, 4 a part)", len(v.colls))
	}
	for id, w := range want {
		if got := v.get(ctx, id); !slices.Equal(got, w) {
			t.Fatalf("chunk %s: vector %v, want %v", id, got, w)
		}
	}

	// Damage the second part's export: its chunks' documents are
	// quarantined, the others open.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lost := map[string]bool{}
	for id := range want {
		if partOf(id, len(v.colls)) == 1 {
			lost[s.byChunk[id].doc.doc.ID] = true
		}
	}
	if len(lost) == 0 {
		t.Fatal("no chunk hashes to part 1")
	}
	off := len(vectorMagic) + 4
	off += 8 + int(binary.LittleEndian.Uint64(data[off:]))
	second := int(binary.LittleEndian.Uint64(data[off:]))
	clear(data[off+8+second/2 : off+8+second]) // the second part's documents

	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open with a damaged part: %v", err)
	}
	defer s.Close()
	var damaged []string
	for _, d := range s.Damaged() {
		damaged = append(damaged, d.DocID)
	}
	slices.Sort(damaged)
	var wantDamaged []string
	for id := range lost {
		wantDamaged = append(wantDamaged, id)
	}
	slices.Sort(wantDamaged)
	if !slices.Equal(damaged, wantDamaged) {
		t.Errorf("quarantined %v, want the documents of part 1 %v", damaged, wantDamaged)
	}
	if docs, _ := s.Len(); docs != 24-len(lost) {
		t.Errorf("%d documents served, want %d", docs, 24-len(lost))
	}
}

// TestVectorFileOneExport reads a vector file that is a single chromem-go
// export, as stores wrote before parts.
func TestVectorFileOneExport(t *testing.T) {
	ctx := context.Background()
	db := chromem.NewDB()
	coll, err := db.CreateCollection(collectionName, nil, refuseEmbedding)
	if err != nil {
		t.Fatal(err)
	}
	vec := []float32{0.6, 0.8}
	if err := coll.AddDocument(ctx, chromem.Document{ID: "c1", Embedding: vec}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "vectors-1.chromem")
	if err := db.ExportToFile(path, false, "", collectionName); err != nil {
		t.Fatal(err)
	}
	v, err := readVectorFile(path)
	if err != nil || v.err() != nil {
		t.Fatalf("readVectorFile: %v, %v", err, v.err())
	}
	if got := v.get(ctx, "c1"); len(v.colls) != 1 || !slices.Equal(got, vec) {
		t.Errorf("%d parts, vector %v; want 1 part and %v", len(v.colls), got, vec)
	}
}

// TestReopenCountsAsIngest checks that the bulk load counts the same term
// statistics, chunk lengths and postings as ingesting one by one did.
func TestReopenCountsAsIngest(t *testing.T) {
	var docs []retrieval.Document
	for i := range 300 {
		docs = append(docs, retrieval.Document{ID: fmt.Sprintf("d%03d", i), Title: fmt.Sprintf("Report %d", i%17),
			Text: fmt.Sprintf("Bulletin %d: the harbour pilots reported fog %d at dawn. The ferry %d waited.\n\nTalks on pay resumed on day %d.", i, i%13, i%7, i%29)})
	}
	s, cfg := compactedStore(t, docs)
	type stats struct {
		df           map[string]uint32
		n            int
		total        int64
		lens, postLn map[string]int
	}
	snap := func(s *Store, ts *termStats, entries func(yield func(id string, e *chunkEntry))) stats {
		st := stats{df: map[string]uint32{}, n: ts.n, total: ts.totalLen, lens: map[string]int{}, postLn: map[string]int{}}
		for id, n := range ts.df {
			if n > 0 {
				st.df[s.vocab.term(uint32(id))] = n
			}
		}
		entries(func(id string, e *chunkEntry) { st.lens[id] = e.length })
		return st
	}
	chunkStats := func(s *Store) stats {
		st := snap(s, &s.lex.termStats, func(yield func(string, *chunkEntry)) {
			for id, e := range s.byChunk {
				yield(id, e)
			}
		})
		for id, pl := range s.lex.postings {
			n := 0
			for _, b := range pl.blocks {
				n += int(b.n)
			}
			if n > 0 {
				st.postLn[s.vocab.term(uint32(id))] = n
			}
		}
		return st
	}
	docStats := func(s *Store) stats {
		return snap(s, s.docStats, func(yield func(string, *chunkEntry)) {
			for id, r := range s.docs {
				yield(id, r.docEntry)
			}
		})
	}
	wantChunks, wantDocs := chunkStats(s), docStats(s)
	s = reopen(t, s, cfg)
	for name, pair := range map[string][2]stats{"chunks": {chunkStats(s), wantChunks}, "documents": {docStats(s), wantDocs}} {
		got, want := pair[0], pair[1]
		if got.n != want.n || got.total != want.total {
			t.Errorf("%s: %d entries of %d terms, want %d of %d", name, got.n, got.total, want.n, want.total)
		}
		for _, m := range [][2]any{{got.df, want.df}, {got.lens, want.lens}, {got.postLn, want.postLn}} {
			if fmt.Sprint(m[0]) != fmt.Sprint(m[1]) {
				t.Errorf("%s: after reopening %v, want %v", name, m[0], m[1])
			}
		}
	}
}

// TestCodesOnAxesFromAxesMin grows a store past axesMin: its codes move to
// principal axes then, and again when it is opened, and the dense ranking
// stays the exact one throughout.
func TestCodesOnAxesFromAxesMin(t *testing.T) {
	if !useCodes {
		t.Skip("no int8 kernel in this build")
	}
	defer func(n int) { axesMin = n }(axesMin)
	axesMin = 200
	ctx := context.Background()
	dir := t.TempDir()
	cfg := Config{Dir: dir, Embedder: embed.NewHashing(64)}
	s, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	batch := func(from, to int) []retrieval.Document {
		var docs []retrieval.Document
		for i := from; i < to; i++ {
			docs = append(docs, retrieval.Document{ID: fmt.Sprintf("d%04d", i),
				Text: fmt.Sprintf("Bulletin %d: pilots %d reported fog %d at the harbour %d at dawn.", i, i%31, i%17, i%7)})
		}
		return docs
	}
	ranking := func(s *Store) []string {
		vs, err := s.cfg.Embedder.Embed(ctx, []string{"pilots fog harbour 12"})
		if err != nil {
			t.Fatal(err)
		}
		coded, err := s.dense(ctx, vs[0], 20, nil)
		if err != nil {
			t.Fatal(err)
		}
		codes := s.vecs.codes
		s.vecs.codes = nil
		exact, err := s.dense(ctx, vs[0], 20, nil)
		s.vecs.codes = codes
		if err != nil {
			t.Fatal(err)
		}
		var got, want []string
		for i := range exact {
			got = append(got, fmt.Sprintf("%s %.6f", coded[i].entry.chunk.ID, coded[i].score))
			want = append(want, fmt.Sprintf("%s %.6f", exact[i].entry.chunk.ID, exact[i].score))
		}
		if !slices.Equal(got, want) {
			t.Errorf("dense ranking from the codes %v, exact %v", got, want)
		}
		return got
	}
	if _, err := s.Ingest(ctx, batch(0, 150)); err != nil {
		t.Fatal(err)
	}
	if s.vecs.axes != nil {
		t.Fatalf("codes on axes at %d chunks, below axesMin", s.lex.n)
	}
	ranking(s)
	if _, err := s.Ingest(ctx, batch(150, 300)); err != nil {
		t.Fatal(err)
	}
	if s.vecs.axes == nil || s.vecs.k != axesFor(64) || s.vecs.codeStride != vecmath.CodeStride(axesFor(64)) {
		t.Fatalf("past axesMin: %d axes, codes of %d, want %d axes", s.vecs.k, s.vecs.codeStride, axesFor(64))
	}
	before := ranking(s)
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, cfg)
	if s.vecs.axes == nil {
		t.Fatal("reopened: the codes are not on axes")
	}
	if after := ranking(s); !slices.Equal(after, before) {
		t.Errorf("reopened: dense ranking %v, before %v", after, before)
	}
}

// compactedStore opens a store in a new data directory with the hashing
// embedder, ingests docs and compacts it, and returns it with its
// configuration for opening it again.
func compactedStore(t *testing.T, docs []retrieval.Document) (*Store, Config) {
	t.Helper()
	ctx := context.Background()
	cfg := Config{Dir: t.TempDir(), Embedder: embed.NewHashing(64)}
	s, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Ingest(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	return s, cfg
}

// reopen closes s and opens its data directory again, closed when the test
// ends.
func reopen(t *testing.T, s *Store, cfg Config) *Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
