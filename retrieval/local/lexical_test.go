package local

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ragd/ragd/retrieval"
)

func TestMaxScoreRanksAsScoreAll(t *testing.T) {
	// MaxScore skips chunks that cannot rank; what it returns must be what
	// scoring every posting returns, for every depth, with and without a
	// filter, after removals and reused ordinals.
	rng := rand.New(rand.NewPCG(7, 8))
	l := newLexicon()
	var entries []*chunkEntry
	const vocab = 60
	for i := range 3000 {
		seen := map[uint32]bool{}
		var tfs []termFreq
		for range 1 + rng.IntN(25) {
			// Zipf-like: low IDs are common.
			id := uint32(rng.IntN(1 + rng.IntN(vocab)))
			if !seen[id] {
				seen[id] = true
				tfs = append(tfs, termFreq{id: id, count: uint32(1 + rng.IntN(4))})
			}
		}
		slices.SortFunc(tfs, func(a, b termFreq) int { return cmp.Compare(a.id, b.id) })
		c := &retrieval.Chunk{ID: fmt.Sprintf("c%05d", i)}
		entries = append(entries, l.add(c, nil, packTerms(tfs)))
		if i%7 == 3 {
			// Remove an earlier chunk; its ordinal is reused.
			j := rng.IntN(len(entries))
			if entries[j] != nil {
				l.remove(entries[j], nil)
				entries[j] = nil
			}
		}
	}
	keep := func(e *chunkEntry) bool { return e.chunk.ID[len(e.chunk.ID)-1] != '3' }
	ctx := context.Background()
	p := BM25{}.withDefaults()
	for q := range 300 {
		var terms []uint32
		for range 1 + rng.IntN(8) {
			terms = append(terms, uint32(rng.IntN(vocab+5)))
		}
		slices.Sort(terms)
		terms = slices.Compact(terms)
		for _, n := range []int{1, 10, 100} {
			for _, k := range []func(*chunkEntry) bool{nil, keep} {
				got, err := l.maxScore(ctx, terms, p, n, k)
				if err != nil {
					t.Fatal(err)
				}
				want, err := l.scoreAll(ctx, terms, p, n, k)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) {
					t.Fatalf("query %d %v, n=%d: %d hits, scoreAll %d", q, terms, n, len(got), len(want))
				}
				for i := range want {
					// scoreAll sums in float32.
					if math.Abs(got[i].score-want[i].score) > 1e-5*want[i].score {
						t.Fatalf("query %d %v, n=%d, hit %d: %s %.6f, scoreAll %s %.6f", q, terms, n, i, got[i].entry.chunk.ID, got[i].score, want[i].entry.chunk.ID, want[i].score)
					}
				}
			}
		}
	}
}
