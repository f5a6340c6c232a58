package rank

import (
	"context"

	"github.com/ragd/ragd/retrieval"
)

// Collapse returns hits, ranked best first, with one hit per story: each
// story (hits with one non-empty StoryID) stands at the rank of its best
// hit, represented by the best hit of its earliest published copy (an
// undated copy counts as the latest), carrying the story's best score.
// Hits without a story are kept as they are.
func Collapse(hits []retrieval.Hit) []retrieval.Hit {
	type group struct {
		at   int // index in out
		best float64
	}
	groups := make(map[string]*group)
	out := make([]retrieval.Hit, 0, len(hits))
	for _, h := range hits {
		if h.StoryID == "" {
			out = append(out, h)
			continue
		}
		g, ok := groups[h.StoryID]
		if !ok {
			groups[h.StoryID] = &group{at: len(out), best: h.Score}
			out = append(out, h)
			continue
		}
		if earlier(h, out[g.at]) {
			h.Score = g.best
			out[g.at] = h
		}
	}
	return out
}

// earlier reports whether a's document was published before b's: a dated
// copy before an undated one.
func earlier(a, b retrieval.Hit) bool {
	switch {
	case a.Published.IsZero():
		return false
	case b.Published.IsZero():
		return true
	}
	return a.Published.Before(b.Published)
}

// Searcher ranks chunks for a query.
type Searcher interface {
	Search(ctx context.Context, req retrieval.SearchRequest) ([]retrieval.Hit, error)
}

// Collapsing is a Searcher that returns one passage per story (see
// Collapse) unless a request sets KeepDuplicates. It asks the searcher it
// wraps for more hits than requested, so that collapsing still leaves K.
type Collapsing struct {
	Searcher Searcher
}

// Search runs req and collapses copies of one story.
func (c Collapsing) Search(ctx context.Context, req retrieval.SearchRequest) ([]retrieval.Hit, error) {
	if req.KeepDuplicates || req.K < 1 || req.K > retrieval.MaxK {
		return c.Searcher.Search(ctx, req)
	}
	k := req.K
	req.K = min(retrieval.MaxK, max(4*k, k+20))
	hits, err := c.Searcher.Search(ctx, req)
	if err != nil {
		return nil, err
	}
	hits = Collapse(hits)
	return hits[:min(k, len(hits))], nil
}
