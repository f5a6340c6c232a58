package rank_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/analysis"
	"github.com/ragd/ragd/retrieval/rank"
)

func hit(id string, score float64, published time.Time) retrieval.Hit {
	return retrieval.Hit{Chunk: retrieval.Chunk{ID: id, DocID: id}, Score: score, Published: published}
}

func ids(hits []retrieval.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func TestSort(t *testing.T) {
	hits := []retrieval.Hit{hit("b", 1, time.Time{}), hit("c", 2, time.Time{}), hit("a", 1, time.Time{})}
	rank.Sort(hits)
	if got, want := ids(hits), []string{"c", "a", "b"}; !slices.Equal(got, want) {
		t.Errorf("Sort = %v, want %v (score, then ID)", got, want)
	}
}

func TestRecency(t *testing.T) {
	asOf := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	halfLife := 30 * 24 * time.Hour
	tests := []struct {
		name string
		hits []retrieval.Hit
		w    float64
		want []string
	}{
		{"newer wins a tie", []retrieval.Hit{hit("old", 1, asOf.AddDate(0, -6, 0)), hit("new", 1, asOf.AddDate(0, 0, -1))}, 0.5, []string{"new", "old"}},
		{"undated gets no credit", []retrieval.Hit{hit("a", 1, time.Time{}), hit("b", 1, asOf.AddDate(0, 0, -40))}, 0.5, []string{"b", "a"}},
		{"future gets no credit", []retrieval.Hit{hit("a", 1, asOf.AddDate(0, 0, 1)), hit("b", 1, asOf.AddDate(0, -1, 0))}, 0.5, []string{"b", "a"}},
		{"small weight keeps relevance", []retrieval.Hit{hit("rel", 2, time.Time{}), hit("new", 1, asOf)}, 0.1, []string{"rel", "new"}},
		{"empty", nil, 0.5, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rank.Recency(tt.hits, tt.w, halfLife, asOf)
			if !slices.Equal(ids(got), tt.want) {
				t.Errorf("Recency = %v, want %v", ids(got), tt.want)
			}
		})
	}
	// A document one half-life old gets half the credit of one dated asOf.
	got := rank.Recency([]retrieval.Hit{hit("a", 0, asOf), hit("b", 0, asOf.Add(-halfLife))}, 0.5, halfLife, asOf)
	if got[0].Score != 1 || got[1].Score != 0.75 {
		t.Errorf("scores = %v, %v; want 1 (0.5 relevance + 0.5) and 0.75", got[0].Score, got[1].Score)
	}
}

// oneHot embeds a text as a vector with a 1 in the dimension of its first
// letter: sentences that start alike are similar.
func oneHot(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, s := range texts {
		v := make([]float32, 26)
		if c := s[0] | 0x20; c >= 'a' && c <= 'z' {
			v[c-'a'] = 1
		}
		out[i] = v
	}
	return out, nil
}

func TestRerank(t *testing.T) {
	an := &analysis.Analyzer{}
	s := rank.Sentences{Analyzer: an, Embed: oneHot}
	q := "when was the treaty signed"
	terms := rank.DistinctTerms(an.Terms(q))
	query := rank.SentenceQuery{Terms: terms, IDF: slices.Repeat([]float64{1}, len(terms)), Vector: embedOne(t, q)}
	hits := []retrieval.Hit{
		{Chunk: retrieval.Chunk{ID: "topic", Text: "Talks went on for weeks. Nobody said much."}, Score: 3},
		{Chunk: retrieval.Chunk{ID: "answer", Text: "Officials met. When it came, the treaty was signed in May."}, Score: 2},
		{Chunk: retrieval.Chunk{ID: "tail", Text: "Unrelated."}, Score: 1},
	}
	got, err := s.Rerank(context.Background(), hits, query, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"answer", "topic", "tail"}; !slices.Equal(ids(got), want) {
		t.Errorf("Rerank = %v, want %v", ids(got), want)
	}
	for i := range got {
		if got[i].Score != hits[i].Score {
			t.Errorf("hit %d score = %v, want the head's %v kept in place", i, got[i].Score, hits[i].Score)
		}
	}
	if hits[0].ID != "topic" {
		t.Error("Rerank changed its input")
	}

	fail := rank.Sentences{Analyzer: an, Embed: func(context.Context, []string) ([][]float32, error) { return nil, errors.New("down") }}
	if _, err := fail.Rerank(context.Background(), hits, query, 0.8); err == nil {
		t.Error("Rerank with a failing embedder succeeded")
	}
}

func embedOne(tb testing.TB, text string) []float32 {
	tb.Helper()
	v, _ := oneHot(context.Background(), []string{text})
	return v[0]
}

// TestSentenceCache re-ranks with a cache: the evidence is the one computed
// without it, and sentences seen before are not embedded again.
func TestSentenceCache(t *testing.T) {
	an := &analysis.Analyzer{}
	embedded := 0
	counting := func(ctx context.Context, texts []string) ([][]float32, error) {
		embedded += len(texts)
		return oneHot(ctx, texts)
	}
	cache := rank.NewSentenceCache(100)
	cached := rank.Sentences{Analyzer: an, Embed: counting, Cache: cache}
	plain := rank.Sentences{Analyzer: an, Embed: oneHot}
	q := "when was the treaty signed"
	terms := rank.DistinctTerms(an.Terms(q))
	query := rank.SentenceQuery{Terms: terms, IDF: []float64{0.5, 2, 1, 1.5, 0.7}[:len(terms)], Vector: embedOne(t, q)}
	hits := []retrieval.Hit{
		{Chunk: retrieval.Chunk{ID: "topic", Text: "Talks went on for weeks. Nobody said much. The treaty waited."}, Title: "Treaty talks"},
		{Chunk: retrieval.Chunk{ID: "answer", Text: "Officials met. When it came, the treaty was signed in May."}},
	}
	want, err := plain.Evidence(context.Background(), hits, query)
	if err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		got, err := cached.Evidence(context.Background(), hits, query)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if d := got[i] - want[i]; d > 1e-6 || d < -1e-6 {
				t.Errorf("round %d, hit %d: evidence %v with the cache, %v without", round, i, got[i], want[i])
			}
		}
	}
	if embedded != 5 || cache.Len() != 5 {
		t.Errorf("%d sentences embedded, %d cached over two rounds; want the 5 sentences once", embedded, cache.Len())
	}
}
