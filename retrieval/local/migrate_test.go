package local

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/ragd/ragd/embed"
	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/analysis"
	"github.com/ragd/ragd/retrieval/parse"

	chromem "github.com/philippgille/chromem-go"
)

// writeFormat1 writes docs into dir as ragd 0.1 stored them: ragd.json of
// format 1, a JSON record per document in docs/, and chromem-go's
// persistent database in vectors/, a gob file per chunk.
func writeFormat1(t *testing.T, dir string, emb retrieval.Embedder, docs []retrieval.Document) {
	t.Helper()
	s, err := Open(context.Background(), Config{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	db, err := chromem.NewPersistentDB(filepath.Join(dir, vectorsDir), false)
	if err != nil {
		t.Fatal(err)
	}
	coll, err := db.GetOrCreateCollection(collectionName, nil, refuseEmbedding)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, docsDir), 0o755); err != nil {
		t.Fatal(err)
	}
	dim := 0
	for i, d := range docs {
		rec, texts := s.chunkDocument(d, s.hashOf(d))
		vectors, err := s.embed(context.Background(), texts)
		if err != nil {
			t.Fatal(err)
		}
		dim = len(vectors[0])
		f := recordFile{ID: d.ID, Title: d.Title, Text: d.Text, Source: d.Source, Author: d.Author, Hash: rec.hash}
		for j, c := range rec.chunks {
			terms, err := s.vocab.encode(rec.terms[j].unpack())
			if err != nil {
				t.Fatal(err)
			}
			f.Chunks = append(f.Chunks, chunkFile{ID: c.ID, Start: c.Start, End: c.End, Section: c.Section, Terms: terms})
			doc := chromem.Document{ID: c.ID, Embedding: vectors[j], Metadata: map[string]string{"doc_id": d.ID, textKey: textFingerprint(c.Text)}}
			if err := coll.AddDocument(context.Background(), doc); err != nil {
				t.Fatal(err)
			}
		}
		terms, err := s.vocab.encode(rec.docTerms.unpack())
		if err != nil {
			t.Fatal(err)
		}
		f.Terms = &terms
		writeJSON(t, filepath.Join(dir, docsDir, "rec"+strconv.Itoa(i)+".json"), f)
	}
	writeJSON(t, filepath.Join(dir, metaFile), storeMeta{Format: 1, Embedder: emb.Name(), Dim: dim, Analysis: analysis.Version})
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// seedArticles reads the seed articles shipped in testdata/articles.
func seedArticles(tb testing.TB) []retrieval.Document {
	tb.Helper()
	paths, err := filepath.Glob("../../testdata/articles/*.txt")
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no seed articles: %v", err)
	}
	var docs []retrieval.Document
	for _, p := range paths {
		ds, err := parse.ReadFile(p)
		if err != nil {
			tb.Fatalf("ReadFile(%s): %v", p, err)
		}
		docs = append(docs, ds...)
	}
	return docs
}

func rankingOf(t *testing.T, s *Store) []string {
	t.Helper()
	hits, err := s.Search(context.Background(), retrieval.SearchRequest{Query: "peacekeeping troops in Ukraine", K: 50})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range hits {
		out = append(out, h.ID+" "+strconv.FormatFloat(h.Score, 'f', 5, 64))
	}
	return out
}

func TestOpenMigratesFormat1(t *testing.T) {
	// A data directory of format 1 is migrated once, in place, with
	// progress reported: the same documents, ranked the same, in format 2,
	// and the format 1 files gone. A chunk file a crash cut short is
	// embedded again on the way.
	emb := embed.NewHashing(64)
	docs := seedArticles(t)
	fresh, err := Open(context.Background(), Config{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.Ingest(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	want := rankingOf(t, fresh)

	for _, damaged := range []bool{false, true} {
		dir := t.TempDir()
		writeFormat1(t, dir, emb, docs)
		if damaged {
			files, _ := filepath.Glob(filepath.Join(dir, vectorsDir, "*", "*.gob"))
			slices.Sort(files)
			if err := os.WriteFile(files[len(files)-1], []byte{0x1f}, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		var progress []int
		s, err := Open(context.Background(), Config{Dir: dir, Embedder: emb, Progress: func(done, total int) {
			if total != len(docs) {
				t.Errorf("progress total %d, want %d", total, len(docs))
			}
			progress = append(progress, done)
		}})
		if err != nil {
			t.Fatalf("damaged %v: %v", damaged, err)
		}
		if got := rankingOf(t, s); !slices.Equal(got, want) {
			t.Errorf("damaged %v: ranking after migration\n%v\nwant\n%v", damaged, got, want)
		}
		if len(progress) != len(docs) || progress[len(progress)-1] != len(docs) {
			t.Errorf("progress %v", progress)
		}
		s.Close()
		for _, old := range []string{docsDir, vectorsDir} {
			if _, err := os.Stat(filepath.Join(dir, old)); !os.IsNotExist(err) {
				t.Errorf("%s remains after the migration: %v", old, err)
			}
		}
		var m storeMeta
		b, _ := os.ReadFile(filepath.Join(dir, metaFile))
		if err := json.Unmarshal(b, &m); err != nil || m.Format != formatVersion {
			t.Errorf("ragd.json after the migration: %s (%v)", b, err)
		}
		s, err = Open(context.Background(), Config{Dir: dir, Embedder: emb, Progress: func(int, int) { t.Error("migrated twice") }})
		if err != nil {
			t.Fatal(err)
		}
		if got := rankingOf(t, s); !slices.Equal(got, want) {
			t.Errorf("damaged %v: ranking after reopening differs", damaged)
		}
		s.Close()
	}
}
