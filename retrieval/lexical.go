package retrieval

import (
	"math"
	"slices"
	"strings"
	"sync"
)

// Default BM25 parameters: Lucene's and Anserini's values for short documents.
const (
	DefaultBM25K1 = 0.9
	DefaultBM25B  = 0.6
)

// BM25 holds the parameters of Okapi BM25 scoring. Zero fields take the defaults.
type BM25 struct {
	K1, B float64
}

// term is the BM25 contribution of a term with this idf occurring tf times
// in an entry of the given length, avg being the mean length.
func (p BM25) term(idf, tf float64, length int, avg float64) float64 {
	norm := p.K1 * (1 - p.B + p.B*float64(length)/avg)
	return idf * tf * (p.K1 + 1) / (tf + norm)
}

func (p BM25) withDefaults() BM25 {
	if p.K1 == 0 {
		p.K1 = DefaultBM25K1
	}
	if p.B == 0 {
		p.B = DefaultBM25B
	}
	return p
}

// posting is one chunk's occurrence count of a term.
type posting struct {
	ord uint32
	tf  uint32
}

// termFreq is one term of a chunk and its count, as persisted with the chunk.
type termFreq struct {
	Term  string
	Count int
}

// lexicon is an in-memory inverted index over chunks. Chunks are addressed by
// ordinals, reused after deletion. It is not safe for concurrent mutation;
// the Store serialises writers and lets readers share it.
type lexicon struct {
	postings map[string][]posting
	chunks   []*chunkEntry // by ordinal; nil when free
	free     []uint32
	n        int   // live chunks
	totalLen int64 // sum of live chunk lengths in terms
}

// chunkEntry is what the lexicon and the searcher know about a live chunk.
type chunkEntry struct {
	ord    uint32
	chunk  *Chunk
	doc    *record
	length int
	terms  []termFreq
}

func newLexicon() *lexicon {
	return &lexicon{postings: make(map[string][]posting)}
}

// add indexes a chunk and returns its entry.
func (l *lexicon) add(c *Chunk, doc *record, terms []termFreq) *chunkEntry {
	var ord uint32
	if n := len(l.free); n > 0 {
		ord = l.free[n-1]
		l.free = l.free[:n-1]
	} else {
		ord = uint32(len(l.chunks))
		l.chunks = append(l.chunks, nil)
	}
	length := 0
	for _, tf := range terms {
		length += tf.Count
		l.postings[tf.Term] = append(l.postings[tf.Term], posting{ord: ord, tf: uint32(tf.Count)})
	}
	e := &chunkEntry{ord: ord, chunk: c, doc: doc, length: length, terms: terms}
	l.chunks[ord] = e
	l.n++
	l.totalLen += int64(length)
	return e
}

// remove drops a chunk's postings and frees its ordinal.
func (l *lexicon) remove(e *chunkEntry) {
	for _, tf := range e.terms {
		ps := l.postings[tf.Term]
		i := slices.IndexFunc(ps, func(p posting) bool { return p.ord == e.ord })
		if i < 0 {
			continue
		}
		ps = slices.Delete(ps, i, i+1)
		if len(ps) == 0 {
			delete(l.postings, tf.Term)
		} else {
			l.postings[tf.Term] = ps
		}
	}
	l.chunks[e.ord] = nil
	l.free = append(l.free, e.ord)
	l.n--
	l.totalLen -= int64(e.length)
}

// countTerms turns a term sequence into sorted term frequencies.
func countTerms(terms []string) []termFreq {
	counts := make(map[string]int, len(terms))
	for _, t := range terms {
		counts[t]++
	}
	out := make([]termFreq, 0, len(counts))
	for t, c := range counts {
		out = append(out, termFreq{Term: t, Count: c})
	}
	slices.SortFunc(out, func(a, b termFreq) int {
		switch {
		case a.Term < b.Term:
			return -1
		case a.Term > b.Term:
			return 1
		}
		return 0
	})
	return out
}

// scoreBufs and touchedBufs hold per-chunk score buffers and lists of
// ordinals for reuse across queries.
var (
	scoreBufs   = sync.Pool{New: func() any { return new([]float32) }}
	touchedBufs = sync.Pool{New: func() any { return new([]uint32) }}
)

// score ranks live chunks by BM25 against the query terms. Only chunks for
// which keep returns true are considered (keep may be nil). It returns at
// most n entries, best first.
func (l *lexicon) score(terms []string, p BM25, n int, keep func(*chunkEntry) bool) []scored {
	if l.n == 0 || n <= 0 {
		return nil
	}
	p = p.withDefaults()
	avg := float64(l.totalLen) / float64(l.n)
	if avg == 0 {
		avg = 1
	}
	bufp := scoreBufs.Get().(*[]float32)
	defer scoreBufs.Put(bufp)
	acc := *bufp
	if cap(acc) < len(l.chunks) {
		acc = make([]float32, len(l.chunks))
	}
	acc = acc[:len(l.chunks)]
	clear(acc)
	*bufp = acc

	touchedp := touchedBufs.Get().(*[]uint32)
	defer touchedBufs.Put(touchedp)
	touched := (*touchedp)[:0]
	defer func() { *touchedp = touched[:0] }()
	seen := make(map[string]bool, len(terms))
	for _, t := range terms {
		if seen[t] {
			continue // BM25 over the set of query terms
		}
		seen[t] = true
		ps := l.postings[t]
		if len(ps) == 0 {
			continue
		}
		idf := l.idf(t)
		for _, ps := range ps {
			if acc[ps.ord] == 0 {
				touched = append(touched, ps.ord)
			}
			acc[ps.ord] += float32(p.term(idf, float64(ps.tf), l.chunks[ps.ord].length, avg))
		}
	}
	top := newTopK(n)
	for _, ord := range touched {
		// The filter follows pointers: ask it only about chunks good
		// enough to be kept.
		if !top.admits(float64(acc[ord])) {
			continue
		}
		e := l.chunks[ord]
		if keep != nil && !keep(e) {
			continue
		}
		top.push(scored{entry: e, score: float64(acc[ord])})
	}
	return top.sorted()
}

// idf returns the inverse document frequency of a term over chunks.
func (l *lexicon) idf(term string) float64 {
	df := float64(len(l.postings[term]))
	return math.Log(1 + (float64(l.n)-df+0.5)/(df+0.5))
}

// scoreEntry returns one entry's BM25 score against the query terms; the
// same as score gives it, without ranking the whole index.
func (l *lexicon) scoreEntry(e *chunkEntry, terms []string, p BM25) float64 {
	if l.n == 0 {
		return 0
	}
	p = p.withDefaults()
	avg := float64(l.totalLen) / float64(l.n)
	if avg == 0 {
		avg = 1
	}
	total := 0.0
	for i, t := range terms {
		if slices.Contains(terms[:i], t) {
			continue // BM25 over the set of query terms
		}
		j, found := slices.BinarySearchFunc(e.terms, t, func(tf termFreq, t string) int { return strings.Compare(tf.Term, t) })
		if !found {
			continue
		}
		total += p.term(l.idf(t), float64(e.terms[j].Count), e.length, avg)
	}
	return total
}
