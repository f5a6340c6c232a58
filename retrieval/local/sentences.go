package local

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/ragd/ragd/retrieval/chunk"
	"github.com/ragd/ragd/retrieval/internal/vecmath"
)

// Sentence re-ranking re-orders the best passages of a fused ranking by
// their best sentence: a question is usually answered by one sentence, which
// repeats its rare words or says the same in other words, while a passage
// that merely shares its topic spreads the same words over many. It costs an
// embedding of every sentence of those passages per query
// (Config.SentenceWeight, SearchRequest.SentenceWeight).
const (
	// SentenceDepth is how many of the best fused passages are re-scored.
	SentenceDepth = 20
	// neighbourShare is how much the terms of a sentence's neighbours (two
	// before, one after: the speaker of a quotation, a pronoun's referent)
	// count towards its coverage of the query.
	neighbourShare = 0.7
	// sentenceLexical and sentenceDense weigh a sentence's IDF-weighted
	// coverage of the query terms and its embedding similarity; they sum
	// to 1.
	sentenceLexical = 0.5625
	sentenceDense   = 0.4375
)

// sentencePassage is a passage to re-score, copied out of the index so that
// the sentences can be embedded without holding the store's lock.
type sentencePassage struct {
	entry *chunkEntry
	title string
	text  string
}

// passagesToRescore copies the best n passages of a ranking. The caller
// holds s.mu.
func passagesToRescore(list []scored, n int) []sentencePassage {
	out := make([]sentencePassage, 0, min(n, len(list)))
	for _, sc := range list[:min(n, len(list))] {
		out = append(out, sentencePassage{entry: sc.entry, title: sc.entry.doc.doc.Title, text: sc.entry.chunk.Text})
	}
	return out
}

// sentenceEvidence returns, for each passage, the score of its best
// sentence for the query: sentenceLexical times the IDF-weighted share of
// the query's terms it holds (counting the passage title, and its
// neighbours at neighbourShare) plus sentenceDense times its cosine
// similarity with the query vector (negative counts as 0). idf holds the
// weights of terms. It embeds the sentences and needs no lock.
func (s *Store) sentenceEvidence(ctx context.Context, terms []string, idf []float64, qvec []float32, ps []sentencePassage) ([]float64, error) {
	total := 0.0
	for _, w := range idf {
		total += w
	}
	type sentence struct {
		passage int
		terms   map[string]bool
	}
	var sents []sentence
	var texts []string
	titles := make([]map[string]bool, len(ps))
	for i, p := range ps {
		titles[i] = s.termSet(p.title)
		for _, sp := range chunk.Sentences(p.text) {
			texts = append(texts, p.text[sp.Start:sp.End])
			sents = append(sents, sentence{passage: i, terms: s.termSet(p.text[sp.Start:sp.End])})
		}
	}
	vecs, err := s.embed(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("sentence evidence: %w", err)
	}
	q := vecmath.Unit(qvec)
	cover := func(sets ...map[string]bool) float64 {
		if total == 0 {
			return 0
		}
		got := 0.0
		for i, t := range terms {
			for _, set := range sets {
				if set[t] {
					got += idf[i]
					break
				}
			}
		}
		return got / total
	}
	best := make([]float64, len(ps))
	for i, sn := range sents {
		title := titles[sn.passage]
		own := cover(sn.terms, title)
		ctxSets := []map[string]bool{sn.terms, title}
		for _, j := range []int{i - 2, i - 1, i + 1} {
			if j >= 0 && j < len(sents) && sents[j].passage == sn.passage {
				ctxSets = append(ctxSets, sents[j].terms)
			}
		}
		near := cover(ctxSets...)
		lexical := own + neighbourShare*(near-own)
		dense := 0.0
		if v := vecs[i]; len(v) == len(q) {
			if n := math.Sqrt(float64(vecmath.Dot(v, v))); n > 0 {
				dense = math.Max(0, float64(vecmath.Dot(q, v))/n)
			}
		}
		best[sn.passage] = math.Max(best[sn.passage], sentenceLexical*lexical+sentenceDense*dense)
	}
	return best, nil
}

// termSet is the set of analysed terms of text.
func (s *Store) termSet(text string) map[string]bool {
	m := map[string]bool{}
	for _, t := range s.analyzer.Terms(text) {
		m[t] = true
	}
	return m
}

// withSentenceEvidence re-orders the re-scored passages, the head of a
// fused list, among themselves by (1-w)*relevance + w*evidence, where
// relevance is the fused score scaled to [0, 1] over them; they keep the
// head's scores, best to the new first, so the rest of the list and the
// recency mixed in later see the same scores as without re-ranking.
// Passages removed from the index since ps was copied are dropped. The
// caller holds s.mu.
func (s *Store) withSentenceEvidence(list []scored, ps []sentencePassage, evidence []float64, w float64) []scored {
	head := list[:len(ps)]
	norm := minMax(head)
	mixed := make([]scored, len(head))
	for i, sc := range head {
		mixed[i] = scored{entry: sc.entry, score: (1-w)*norm(i, sc) + w*evidence[i]}
	}
	sortScored(mixed)
	out := make([]scored, 0, len(list))
	for i, sc := range mixed {
		out = append(out, scored{entry: sc.entry, score: head[i].score})
	}
	out = append(out, list[len(ps):]...)
	live := out[:0]
	for _, sc := range out {
		if s.byChunk[sc.entry.chunk.ID] == sc.entry {
			live = append(live, sc)
		}
	}
	return live
}

// distinct returns terms without repeats, in first-seen order.
func distinct(terms []string) []string {
	var out []string
	for _, t := range terms {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}
