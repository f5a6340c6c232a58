// Package rank re-orders the hits of a search by signals that any backend
// can supply: the recency of a hit's document and the evidence of its best
// sentence. It works on []retrieval.Hit, so every backend gets the same
// ranking on top of its own.
package rank

import (
	"slices"

	"github.com/ragd/ragd/retrieval"
)

// Sort orders hits best first: higher Score first, then chunk ID, so that
// rankings are deterministic.
func Sort(hits []retrieval.Hit) {
	slices.SortFunc(hits, func(a, b retrieval.Hit) int {
		if better(a, b) {
			return -1
		}
		if better(b, a) {
			return 1
		}
		return 0
	})
}

// better reports whether a ranks before b.
func better(a, b retrieval.Hit) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.ID < b.ID
}

// minMax returns a function giving each score of hits scaled to [0, 1]
// over them; all scores scale to 1 when they are equal.
func minMax(hits []retrieval.Hit) func(score float64) float64 {
	if len(hits) == 0 {
		return func(float64) float64 { return 0 }
	}
	hi, lo := hits[0].Score, hits[0].Score
	for _, h := range hits {
		hi = max(hi, h.Score)
		lo = min(lo, h.Score)
	}
	return func(score float64) float64 {
		if hi == lo {
			return 1
		}
		return (score - lo) / (hi - lo)
	}
}
