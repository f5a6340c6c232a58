package rank_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/rank"
)

func storyHit(doc, story string, score float64, day int) retrieval.Hit {
	h := retrieval.Hit{Chunk: retrieval.Chunk{DocID: doc}, StoryID: story, Score: score}
	if day > 0 {
		h.Published = time.Date(2025, 3, day, 0, 0, 0, 0, time.UTC)
	}
	return h
}

func docs(hits []retrieval.Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.DocID)
	}
	return out
}

func TestCollapse(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []retrieval.Hit
		want []string
	}{
		{"no stories", []retrieval.Hit{storyHit("a", "", 3, 0), storyHit("b", "", 2, 0)}, []string{"a", "b"}},
		{"one story, earliest copy cited at the best rank", []retrieval.Hit{
			storyHit("syndicated", "s1", 0.9, 5), storyHit("other", "s2", 0.8, 1), storyHit("wire", "s1", 0.7, 3), storyHit("edited", "s1", 0.6, 4),
		}, []string{"wire", "other"}},
		{"undated copy counts as latest", []retrieval.Hit{storyHit("undated", "s", 0.9, 0), storyHit("dated", "s", 0.5, 9)}, []string{"dated"}},
		{"two passages of one document", []retrieval.Hit{storyHit("a", "s", 0.9, 2), storyHit("a", "s", 0.8, 2), storyHit("b", "", 0.7, 0)}, []string{"a", "b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := rank.Collapse(tc.in)
			if !slices.Equal(docs(got), tc.want) {
				t.Errorf("got %v, want %v", docs(got), tc.want)
			}
			if len(got) > 0 && got[0].Score != tc.in[0].Score {
				t.Errorf("first hit's score %g, want the story's best %g", got[0].Score, tc.in[0].Score)
			}
		})
	}
}

type fakeSearcher struct {
	hits []retrieval.Hit
	asks []int
}

func (f *fakeSearcher) Search(_ context.Context, req retrieval.SearchRequest) ([]retrieval.Hit, error) {
	f.asks = append(f.asks, req.K)
	return f.hits[:min(req.K, len(f.hits))], nil
}

func TestCollapsing(t *testing.T) {
	var hits []retrieval.Hit
	for i := range 30 { // ten stories of three copies each, ranked together
		hits = append(hits, storyHit(fmt.Sprintf("d%02d", i), fmt.Sprintf("s%d", i/3), float64(100-i), 1+i%3))
	}
	f := &fakeSearcher{hits: hits}
	c := rank.Collapsing{Searcher: f}
	got, err := c.Search(context.Background(), retrieval.SearchRequest{Query: "q", K: 5})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"d00", "d03", "d06", "d09", "d12"}; !slices.Equal(docs(got), want) {
		t.Errorf("collapsed: got %v, want %v", docs(got), want)
	}
	if f.asks[0] <= 5 {
		t.Errorf("asked the searcher for %d hits, want more than 5", f.asks[0])
	}
	all, _ := c.Search(context.Background(), retrieval.SearchRequest{Query: "q", K: 5, KeepDuplicates: true})
	if want := []string{"d00", "d01", "d02", "d03", "d04"}; !slices.Equal(docs(all), want) {
		t.Errorf("kept duplicates: got %v, want %v", docs(all), want)
	}
}
