package local

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ragd/ragd/embed"
	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/chunk"
)

// TestAnalysisInPieces checks what analyse relies on, on real articles and
// at two chunk sizes: analysing a document's title, section headings and
// chunks in pieces, each once, gives every chunk and the document the
// terms that analysing each chunk's index text and the whole document
// gives.
func TestAnalysisInPieces(t *testing.T) {
	type beir struct {
		ID    string `json:"_id"`
		Title string `json:"title"`
		Text  string `json:"text"`
	}
	var docs []retrieval.Document
	paths, _ := filepath.Glob("../../testdata/articles/*.txt")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, retrieval.Document{ID: filepath.Base(p), Title: "Seed article", Text: string(b)})
	}
	for _, d := range readJSONL[beir](t, rtqaDir+"corpus.jsonl", 1500) {
		docs = append(docs, retrieval.Document{ID: d.ID, Title: d.Title, Text: d.Text})
	}
	for _, d := range readJSONL[beir](t, "../../../shared/bench/squad-v1.1/beir/corpus.jsonl", 300) {
		docs = append(docs, retrieval.Document{ID: d.ID, Title: d.Title, Text: d.Text})
	}
	for _, opt := range []chunk.Options{{}, {TargetTokens: 50, OverlapTokens: 30}} {
		s, err := Open(context.Background(), Config{Embedder: embed.NewHashing(8), Chunk: opt})
		if err != nil {
			t.Fatal(err)
		}
		pieces, chunks, differ := 0, 0, 0
		for _, d := range docs {
			if err := retrieval.NormalizeDocument(&d); err != nil {
				continue
			}
			rec, _ := s.chunkDocument(d, "")
			whole := &record{doc: rec.doc, chunks: rec.chunks}
			s.analyseWhole(whole)
			for i := range rec.chunks {
				chunks++
				if !bytes.Equal(rec.terms[i], whole.terms[i]) {
					differ++
					if differ <= 3 {
						t.Errorf("%+v: document %s chunk %d: terms %v in pieces, %v whole", opt, d.ID, i, s.spell(rec.terms[i]), s.spell(whole.terms[i]))
					}
				}
			}
			if len(rec.chunks) > 0 && !bytes.Equal(rec.docTerms, whole.docTerms) {
				differ++
				if differ <= 3 {
					t.Errorf("%+v: document %s: terms %v in pieces, %v whole", opt, d.ID, s.spell(rec.docTerms), s.spell(whole.docTerms))
				}
			}
			pieces++
		}
		s.Close()
		if differ > 0 {
			t.Errorf("%+v: %d of %d chunks and %d documents analysed differently in pieces", opt, differ, chunks, pieces)
		}
		if pieces < 100 {
			t.Fatalf("only %d documents", pieces)
		}
	}
}

// spell lists packed terms as words with counts.
func (s *Store) spell(p packedTerms) map[string]uint32 {
	out := map[string]uint32{}
	for tf := range p.all() {
		out[s.vocab.term(tf.id)] = tf.count
	}
	return out
}
