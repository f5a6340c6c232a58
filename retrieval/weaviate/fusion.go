package weaviate

import (
	"github.com/ragd/ragd/retrieval"
)

// fuse combines a lexical and a dense ranking as the embedded store does.
func fuse(lex, dense []candidate, f retrieval.Fusion, denseWeight float64) []candidate {
	byID := make(map[string]*candidate, len(lex)+len(dense))
	var order []string
	add := func(list []candidate, weight float64, value func(i int, c candidate) float64) {
		for i, c := range list {
			v := weight * value(i, c)
			if cur, ok := byID[c.obj.ChunkID]; ok {
				cur.score += v
			} else {
				byID[c.obj.ChunkID] = &candidate{obj: c.obj, score: v}
				order = append(order, c.obj.ChunkID)
			}
		}
	}
	switch f {
	case retrieval.FusionRRF:
		rrf := func(i int, _ candidate) float64 { return 1 / float64(retrieval.RRFK+i+1) }
		add(lex, 1, rrf)
		add(dense, 1, rrf)
	default:
		ln, dn := minMax(lex), minMax(dense)
		add(lex, 1-denseWeight, func(_ int, c candidate) float64 { return ln(c) })
		add(dense, denseWeight, func(_ int, c candidate) float64 { return dn(c) })
	}
	out := make([]candidate, 0, len(byID))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	sortCandidates(out)
	return out
}

// minMax returns a function giving each score of a ranking scaled to [0, 1].
func minMax(list []candidate) func(candidate) float64 {
	if len(list) == 0 {
		return func(candidate) float64 { return 0 }
	}
	hi, lo := list[0].score, list[0].score
	for _, c := range list {
		hi = max(hi, c.score)
		lo = min(lo, c.score)
	}
	return func(c candidate) float64 {
		if hi == lo {
			return 1
		}
		return (c.score - lo) / (hi - lo)
	}
}
