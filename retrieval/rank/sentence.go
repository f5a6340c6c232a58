package rank

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/analysis"
	"github.com/ragd/ragd/retrieval/chunk"
	"github.com/ragd/ragd/retrieval/internal/vecmath"
)

// Sentence re-ranking re-orders the best passages of a ranking by their
// best sentence: a question is usually answered by one sentence, which
// repeats its rare words or says the same in other words, while a passage
// that merely shares its topic spreads the same words over many. It costs an
// embedding of every sentence of those passages not in the SentenceCache.
const (
	// SentenceDepth is how many of the best passages are re-scored.
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

// Sentences re-ranks hits by the evidence of their best sentence.
type Sentences struct {
	// Analyzer analyses the sentences and titles of passages, as the
	// query's terms were analysed. Required.
	Analyzer *analysis.Analyzer
	// Embed embeds sentences, one vector per text, in order. Required.
	Embed func(ctx context.Context, texts []string) ([][]float32, error)
	// Cache, when set, keeps the terms and vectors of the sentences seen,
	// so that a passage re-ranked again is neither analysed nor embedded
	// again. It must belong to this Analyzer and Embed.
	Cache *SentenceCache
}

// SentenceCache remembers the analysed terms and unit vector of the most
// recently used sentences, by their text. Safe for concurrent use.
type SentenceCache struct {
	c *lru.Cache[string, sentenceInfo]
}

// DefaultSentenceCache is the number of sentences a store's cache keeps:
// the passages of some 1,500 queries' re-ranking, a few tens of megabytes.
const DefaultSentenceCache = 1 << 15

// NewSentenceCache returns a cache of at most size sentences.
func NewSentenceCache(size int) *SentenceCache {
	c, err := lru.New[string, sentenceInfo](max(size, 1))
	if err != nil {
		panic(err) // only for a size below 1
	}
	return &SentenceCache{c: c}
}

// Len is the number of sentences cached.
func (c *SentenceCache) Len() int { return c.c.Len() }

// sentenceInfo is what evidence needs of a sentence: its distinct
// analysed terms, sorted, and its unit vector (nil when it has none).
type sentenceInfo struct {
	terms []string
	vec   []float32
}

// SentenceQuery is the query as sentence re-ranking sees it.
type SentenceQuery struct {
	// Terms are the distinct analysed terms of the query and IDF their
	// weights, in the same order (see retrieval.Backend.IDF).
	Terms []string
	IDF   []float64
	// Vector is the query's embedding.
	Vector []float32
}

// DistinctTerms returns terms without repeats, in first-seen order.
func DistinctTerms(terms []string) []string {
	var out []string
	for _, t := range terms {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// Rerank re-orders the first SentenceDepth hits among themselves by
// (1-w)*relevance + w*evidence, where relevance is the hit's score scaled to
// [0, 1] over them and evidence the score of the passage's best sentence
// (see Evidence). They keep the head's scores, best to the new first, so
// the rest of the list and any signal mixed in later see the same scores as
// without re-ranking. It returns a new slice.
func (s Sentences) Rerank(ctx context.Context, hits []retrieval.Hit, q SentenceQuery, w float64) ([]retrieval.Hit, error) {
	head := hits[:min(SentenceDepth, len(hits))]
	evidence, err := s.Evidence(ctx, head, q)
	if err != nil {
		return nil, err
	}
	norm := minMax(head)
	mixed := make([]retrieval.Hit, len(head))
	for i, h := range head {
		mixed[i] = h
		mixed[i].Score = (1-w)*norm(h.Score) + w*evidence[i]
	}
	Sort(mixed)
	out := make([]retrieval.Hit, 0, len(hits))
	for i, h := range mixed {
		h.Score = head[i].Score
		out = append(out, h)
	}
	return append(out, hits[len(head):]...), nil
}

// Evidence returns, for each hit, the score of its best sentence for the
// query: sentenceLexical times the IDF-weighted share of the query's terms
// it holds (counting the passage title, and its neighbours at
// neighbourShare) plus sentenceDense times its cosine similarity with the
// query vector (negative counts as 0).
func (s Sentences) Evidence(ctx context.Context, hits []retrieval.Hit, q SentenceQuery) ([]float64, error) {
	total := 0.0
	for _, w := range q.IDF {
		total += w
	}
	type sentence struct {
		passage int
		info    sentenceInfo
	}
	var sents []sentence
	var missing []int // sentences neither cached nor embedded yet
	var texts []string
	titles := make([][]string, len(hits))
	for i, h := range hits {
		titles[i] = s.termSet(h.Title)
		for _, sp := range chunk.Sentences(h.Text) {
			text := h.Text[sp.Start:sp.End]
			if s.Cache != nil {
				if info, ok := s.Cache.c.Get(text); ok {
					sents = append(sents, sentence{passage: i, info: info})
					continue
				}
			}
			missing = append(missing, len(sents))
			texts = append(texts, text)
			sents = append(sents, sentence{passage: i, info: sentenceInfo{terms: s.termSet(text)}})
		}
	}
	if len(texts) > 0 {
		vecs, err := s.Embed(ctx, texts)
		if err != nil {
			return nil, fmt.Errorf("sentence evidence: %w", err)
		}
		if len(vecs) != len(texts) {
			return nil, fmt.Errorf("sentence evidence: got %d vectors for %d sentences", len(vecs), len(texts))
		}
		for k, i := range missing {
			if v := vecs[k]; len(v) > 0 && vecmath.Dot(v, v) > 0 {
				sents[i].info.vec = vecmath.Unit(v)
			}
			if s.Cache != nil {
				// A copy of the text, which may be a part of a much
				// longer string.
				s.Cache.c.Add(strings.Clone(texts[k]), sents[i].info)
			}
		}
	}
	qv := vecmath.Unit(q.Vector)
	// Which query terms each sentence and title holds, as sets of the
	// terms' positions in q.Terms (words of 64 bits each): one search per
	// term and sentence, then the coverage of a sentence with its
	// neighbours is a union of sets.
	words := (len(q.Terms) + 63) / 64
	masks := make([]uint64, len(sents)*words)
	for i, sn := range sents {
		maskOf(masks[i*words:(i+1)*words], q.Terms, sn.info.terms)
	}
	titleMasks := make([]uint64, len(titles)*words)
	for i, t := range titles {
		maskOf(titleMasks[i*words:(i+1)*words], q.Terms, t)
	}
	cover := func(m []uint64) float64 {
		if total == 0 {
			return 0
		}
		got := 0.0
		for i, w := range q.IDF {
			if m[i/64]&(1<<(i%64)) != 0 {
				got += w
			}
		}
		return got / total
	}
	own, near := make([]uint64, words), make([]uint64, words)
	best := make([]float64, len(hits))
	for i, sn := range sents {
		for k := range words {
			own[k] = masks[i*words+k] | titleMasks[sn.passage*words+k]
			near[k] = own[k]
		}
		for _, j := range []int{i - 2, i - 1, i + 1} {
			if j >= 0 && j < len(sents) && sents[j].passage == sn.passage {
				for k := range words {
					near[k] |= masks[j*words+k]
				}
			}
		}
		ownCover := cover(own)
		lexical := ownCover + neighbourShare*(cover(near)-ownCover)
		dense := 0.0
		if v := sn.info.vec; len(v) == len(qv) {
			dense = math.Max(0, float64(vecmath.Dot(qv, v)))
		}
		best[sn.passage] = math.Max(best[sn.passage], sentenceLexical*lexical+sentenceDense*dense)
	}
	return best, nil
}

// maskOf sets in m the positions in terms of those that set, sorted,
// holds.
func maskOf(m []uint64, terms, set []string) {
	for i, t := range terms {
		if _, ok := slices.BinarySearch(set, t); ok {
			m[i/64] |= 1 << (i % 64)
		}
	}
}

// termSet is the distinct analysed terms of text, sorted.
func (s Sentences) termSet(text string) []string {
	terms := s.Analyzer.Terms(text)
	slices.Sort(terms)
	return slices.Clip(slices.Compact(terms))
}
