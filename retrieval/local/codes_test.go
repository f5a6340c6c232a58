package local

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/ragd/ragd/embed"
	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/internal/vecmath"
)

// rtqaDir is RealTime QA's news articles and questions in BEIR layout,
// beside the repository.
const rtqaDir = "../../../shared/bench/realtimeqa/ragd/"

// readJSONL decodes each line of a JSON-lines file into a new T.
func readJSONL[T any](tb testing.TB, path string, limit int) []T {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Skipf("benchmark data not found beside the repository: %v", err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() && len(out) < limit {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			tb.Fatal(err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestCodesRecall measures the int8 scan against the exact float32 scan on
// GloVe vectors of news: the top ten chunks of RealTime QA questions over
// the chunks of 3,000 of its articles, with codes of the vectors and with
// codes on their principal axes. The scan keeps rescoreFactor (or
// axesRescoreFactor) times the depth and scores those exactly; recall@10
// and recall@100 must stay at 0.98 or more, and the scores returned must
// be the exact ones.
func TestCodesRecall(t *testing.T) {
	if !useCodes {
		t.Skip("no int8 kernel in this build: the dense scan is the float32 one")
	}
	g, err := embed.LoadGloVe("../../" + embed.DefaultModelPath)
	if errors.Is(err, embed.ErrModelMissing) {
		t.Skip("no GloVe model: run make setup")
	}
	if err != nil {
		t.Fatal(err)
	}
	type beir struct {
		ID    string `json:"_id"`
		Title string `json:"title"`
		Text  string `json:"text"`
	}
	corpus := readJSONL[beir](t, rtqaDir+"corpus.jsonl", 3000)
	queries := readJSONL[beir](t, rtqaDir+"queries.jsonl", 300)
	ctx := context.Background()
	s, err := Open(ctx, Config{Embedder: g})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	docs := make([]retrieval.Document, len(corpus))
	for i, c := range corpus {
		docs[i] = retrieval.Document{ID: c.ID, Title: c.Title, Text: c.Text}
	}
	if _, err := s.Ingest(ctx, docs); err != nil {
		t.Fatal(err)
	}
	recall := func(k int) float64 {
		found, total := 0, 0
		for _, q := range queries {
			vs, err := g.Embed(ctx, []string{q.Text})
			if err != nil {
				t.Fatal(err)
			}
			coded, err := s.dense(ctx, vs[0], k, nil)
			if err != nil {
				t.Fatal(err)
			}
			codes := s.vecs.codes
			s.vecs.codes = nil
			exact, err := s.dense(ctx, vs[0], k, nil)
			s.vecs.codes = codes
			if err != nil {
				t.Fatal(err)
			}
			want := make(map[uint32]float64, len(exact))
			for _, sc := range exact {
				want[sc.entry.ord] = sc.score
			}
			for _, sc := range coded {
				if w, ok := want[sc.entry.ord]; ok {
					found++
					if w != sc.score {
						t.Errorf("query %s, chunk %s: score %v, exact scan %v", q.ID, sc.entry.chunk.ID, sc.score, w)
					}
				}
			}
			total += len(exact)
		}
		return float64(found) / float64(total)
	}
	if s.vecs.axes != nil {
		t.Fatalf("%d chunks, below axesMin %d: the codes are on principal axes", s.lex.n, axesMin)
	}
	for _, k := range []int{10, DefaultCandidates} {
		r := recall(k)
		t.Logf("int8 scan, %d chunks, %d queries: recall@%d %.4f against the float32 scan", s.lex.n, len(queries), k, r)
		if r < 0.98 {
			t.Errorf("recall@%d %.4f, want 0.98 or more", k, r)
		}
	}
	// The codes on the principal axes of the chunks, as from axesMin on.
	s.vecs.fitAxes(s.vecs.sampleRows(len(s.lex.chunks)), s.vecs.dim)
	if s.vecs.axes == nil || s.vecs.codeStride >= vecmath.CodeStride(s.vecs.dim) {
		t.Fatalf("codes of %d values on %d axes, want fewer than the vectors' %d", s.vecs.codeStride, s.vecs.k, s.vecs.dim)
	}
	for _, k := range []int{10, DefaultCandidates} {
		r := recall(k)
		t.Logf("int8 scan on %d principal axes: recall@%d %.4f against the float32 scan", s.vecs.k, k, r)
		if r < 0.98 {
			t.Errorf("on principal axes: recall@%d %.4f, want 0.98 or more", k, r)
		}
	}
}
