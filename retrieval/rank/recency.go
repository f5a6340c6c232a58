package rank

import (
	"math"
	"time"

	"github.com/ragd/ragd/retrieval"
)

// Recency re-ranks hits, best first, by mixing in each document's recency:
// (1-w)*relevance + w*0.5^(age/halfLife), where relevance is the hit's
// score scaled to [0, 1] over hits and age is measured back from asOf.
// Documents without a date, or dated after asOf, get no credit. It returns
// a new slice; the new scores replace the old.
func Recency(hits []retrieval.Hit, w float64, halfLife time.Duration, asOf time.Time) []retrieval.Hit {
	if len(hits) == 0 {
		return hits
	}
	norm := minMax(hits)
	out := make([]retrieval.Hit, len(hits))
	for i, h := range hits {
		v := (1 - w) * norm(h.Score)
		if p := h.Published; !p.IsZero() && !p.After(asOf) {
			v += w * math.Exp2(-float64(asOf.Sub(p))/float64(halfLife))
		}
		out[i] = h
		out[i].Score = v
	}
	Sort(out)
	return out
}
