// Package eval measures retrieval and answer quality against fixed question sets.
package eval

import (
	"cmp"
	"math"
	"slices"
)

// Relevance maps document IDs to graded relevance judgements. A grade above
// zero marks a relevant document; zero or a missing ID marks a non-relevant
// one.
type Relevance map[string]int

// relevant returns the number of relevant documents.
func (r Relevance) relevant() int {
	n := 0
	for _, g := range r {
		if g > 0 {
			n++
		}
	}
	return n
}

// FirstRelevant returns the 1-based rank of the first relevant document in
// ranked, or 0 if none is relevant.
func FirstRelevant(ranked []string, rel Relevance) int {
	for i, id := range ranked {
		if rel[id] > 0 {
			return i + 1
		}
	}
	return 0
}

// ReciprocalRank returns 1/r for the rank r of the first relevant document
// among the first k of ranked, or 0 if there is none. A k of zero or less
// looks at the whole list.
func ReciprocalRank(ranked []string, rel Relevance, k int) float64 {
	r := FirstRelevant(cutoff(ranked, k), rel)
	if r == 0 {
		return 0
	}
	return 1 / float64(r)
}

// Recall returns the share of the relevant documents found among the first k
// of ranked, or 0 when rel judges no document relevant. A k of zero or less
// looks at the whole list.
func Recall(ranked []string, rel Relevance, k int) float64 {
	total := rel.relevant()
	if total == 0 {
		return 0
	}
	found := 0
	for _, id := range cutoff(ranked, k) {
		if rel[id] > 0 {
			found++
		}
	}
	return float64(found) / float64(total)
}

// NDCG returns the normalised discounted cumulative gain of the first k of
// ranked, as trec_eval's ndcg_cut (and so BEIR) computes it: linear gain,
// DCG = Σ grade_i / log2(i+1) over ranks i = 1..k, divided by the DCG of
// the judged grades sorted best first. It is 0 when rel judges no document
// relevant.
func NDCG(ranked []string, rel Relevance, k int) float64 {
	grades := make([]int, 0, len(rel))
	for _, g := range rel {
		if g > 0 {
			grades = append(grades, g)
		}
	}
	slices.SortFunc(grades, func(a, b int) int { return cmp.Compare(b, a) })
	ideal := dcg(cutoff(grades, k))
	if ideal == 0 {
		return 0
	}
	got := make([]int, 0, k)
	for _, id := range cutoff(ranked, k) {
		got = append(got, max(rel[id], 0))
	}
	return dcg(got) / ideal
}

func dcg(grades []int) float64 {
	sum := 0.0
	for i, g := range grades {
		sum += float64(g) / math.Log2(float64(i+2))
	}
	return sum
}

func cutoff[T any](list []T, k int) []T {
	if k > 0 && k < len(list) {
		return list[:k]
	}
	return list
}

// Percentile returns the p-th percentile (0 < p <= 100) of values by the
// nearest-rank method: the smallest value such that at least p percent of
// the values are less than or equal to it, which is the value of 1-based
// rank ceil(p/100 × n) in ascending order. It returns the zero value for no
// values; values is not modified.
func Percentile[T cmp.Ordered](values []T, p float64) T {
	var zero T
	if len(values) == 0 {
		return zero
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	rank := int(math.Ceil(p * float64(len(sorted)) / 100))
	return sorted[min(max(rank, 1), len(sorted))-1]
}
