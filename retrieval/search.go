package retrieval

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Fusion names a way of combining the dense and lexical rankings.
type Fusion string

// The fusion methods.
const (
	// FusionRRF is reciprocal rank fusion: the sum of 1/(RRFK + rank).
	FusionRRF Fusion = "rrf"
	// FusionConvex is a convex combination of min-max normalised scores.
	FusionConvex Fusion = "convex"
)

// Mode selects which rankings a search uses.
type Mode string

// The search modes.
const (
	Hybrid  Mode = "hybrid"
	Lexical Mode = "lexical"
	Dense   Mode = "dense"
)

// Search defaults and limits.
const (
	// DefaultFusion is the fusion used when neither the request nor the
	// store's Config names one; chosen by measurement (see README).
	DefaultFusion = FusionConvex
	// DefaultDenseWeight is the weight of the dense score in convex fusion.
	DefaultDenseWeight = 0.1
	// RRFK is the rank offset of reciprocal rank fusion.
	RRFK = 60
	// MaxK is the largest number of hits a search may ask for.
	MaxK = 100
)

// ParseFusion returns the fusion named s, or an error wrapping ErrInvalid.
func ParseFusion(s string) (Fusion, error) {
	switch f := Fusion(strings.ToLower(s)); f {
	case FusionRRF, FusionConvex:
		return f, nil
	case "":
		return "", nil
	}
	return "", fmt.Errorf("%w: fusion %q is not rrf or convex", ErrInvalid, s)
}

// ParseMode returns the mode named s, or an error wrapping ErrInvalid.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(s)); m {
	case Hybrid, Lexical, Dense:
		return m, nil
	case "":
		return "", nil
	}
	return "", fmt.Errorf("%w: mode %q is not hybrid, lexical or dense", ErrInvalid, s)
}

// Filter restricts a search to some documents. Zero fields do not restrict.
// Filters apply before ranking: a search returns the best chunks among those
// that pass, not the passing subset of the best chunks overall.
type Filter struct {
	// DocIDs keeps chunks of these documents.
	DocIDs []string
	// Source and Author keep chunks whose document has exactly this value.
	Source, Author string
	// StoryID keeps chunks of the copies of one story.
	StoryID string
	// From and To bound the document's published date, inclusive.
	// Documents without a date fail a date bound.
	From, To time.Time
}

// IsZero reports whether the filter restricts nothing.
func (f Filter) IsZero() bool {
	return len(f.DocIDs) == 0 && f.Source == "" && f.Author == "" && f.StoryID == "" && f.From.IsZero() && f.To.IsZero()
}

// SearchRequest is a query and how to run it.
type SearchRequest struct {
	Query  string
	K      int
	Filter Filter
	// Mode defaults to Hybrid.
	Mode Mode
	// Fusion defaults to the store's configured fusion.
	Fusion Fusion
	// DenseWeight overrides DefaultDenseWeight for convex fusion when positive.
	DenseWeight float64
	// DocWeight and RecencyWeight override the store's configured weights
	// (Config.DocWeight, Config.RecencyWeight) when non-zero; a negative
	// weight turns that signal off.
	DocWeight, RecencyWeight float64
	// SentenceWeight overrides Config.SentenceWeight when non-zero; a
	// negative weight turns sentence re-ranking off.
	SentenceWeight float64
	// AsOf is the time document ages are measured back from for recency:
	// when zero, the filter's To bound if it has one, else the current time.
	AsOf time.Time
	// KeepDuplicates returns every copy of a story where a collapsing
	// searcher (rank.Collapsing) would return one.
	KeepDuplicates bool
}

// Hit is a ranked chunk with its document's metadata.
type Hit struct {
	Chunk
	Title, Source, Author string
	Published             time.Time
	// StoryID is the document's story (see Document.StoryID).
	StoryID string
	// Score is the fused score; higher is better.
	Score float64
	// LexicalRank and DenseRank are 1-based ranks in each ranking, 0 if absent.
	LexicalRank, DenseRank int
}

// Search ranks chunks for a query. Quoted phrases in the query must appear
// verbatim (ignoring case and spacing) in every hit. K must be in 1..MaxK; it
// is capped at the number of chunks.
func (s *Store) Search(ctx context.Context, req SearchRequest) ([]Hit, error) {
	if req.K < 1 || req.K > MaxK {
		return nil, fmt.Errorf("search: %w: k must be between 1 and %d, got %d", ErrInvalid, MaxK, req.K)
	}
	if strings.TrimSpace(req.Query) == "" {
		return nil, fmt.Errorf("search: %w: empty query", ErrInvalid)
	}
	if !req.Filter.From.IsZero() && !req.Filter.To.IsZero() && req.Filter.To.Before(req.Filter.From) {
		return nil, fmt.Errorf("search: %w: published_to is before published_from", ErrInvalid)
	}
	if req.DocWeight >= 1 || req.RecencyWeight >= 1 || req.SentenceWeight >= 1 {
		return nil, fmt.Errorf("search: %w: document, recency and sentence weights must be below 1", ErrInvalid)
	}
	mode := cmp.Or(req.Mode, Hybrid)
	fusion := cmp.Or(req.Fusion, s.cfg.Fusion, DefaultFusion)
	q := s.analyzer.ParseQuery(req.Query)
	sentenceWeight := cmp.Or(req.SentenceWeight, s.cfg.SentenceWeight)

	var qvec []float32
	if mode != Lexical || sentenceWeight > 0 {
		vs, err := s.cfg.Embedder.Embed(ctx, []string{req.Query})
		if err != nil {
			return nil, fmt.Errorf("search: embed query: %w", err)
		}
		if len(vs) != 1 {
			return nil, fmt.Errorf("search: embed query: got %d vectors", len(vs))
		}
		qvec = vs[0]
	}

	s.mu.RLock()
	locked := true
	defer func() {
		if locked {
			s.mu.RUnlock()
		}
	}()
	if s.lex.n == 0 {
		return nil, nil
	}
	keep := s.keeper(req.Filter, q.Phrases)
	depth := max(s.cfg.Candidates, req.K)

	var lex, dense []scored
	if mode != Dense {
		ids := s.vocab.known(q.Terms)
		lex = s.lex.score(ids, s.cfg.BM25, depth, keep)
		if w := cmp.Or(req.DocWeight, s.cfg.DocWeight); w > 0 {
			lex = s.withDocScores(lex, ids, w)
		}
	}
	if mode != Lexical {
		dense = s.dense(qvec, depth, keep)
	}
	var fused []scored
	switch mode {
	case Lexical:
		fused = lex
	case Dense:
		fused = dense
	default:
		w := req.DenseWeight
		if w <= 0 {
			w = DefaultDenseWeight
		}
		fused = fuse(lex, dense, fusion, w)
	}
	if sentenceWeight > 0 && len(fused) > 0 {
		// The sentences are embedded without the lock, which writers
		// would otherwise wait on; passages removed meanwhile are dropped.
		terms := distinct(q.Terms)
		idf := make([]float64, len(terms))
		for i, t := range terms {
			idf[i] = s.termIDF(t)
		}
		ps := passagesToRescore(fused, SentenceDepth)
		s.mu.RUnlock()
		locked = false
		evidence, err := s.sentenceEvidence(ctx, terms, idf, qvec, ps)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		s.mu.RLock()
		locked = true
		fused = s.withSentenceEvidence(fused, ps, evidence, sentenceWeight)
	}
	if w := cmp.Or(req.RecencyWeight, s.cfg.RecencyWeight); w > 0 {
		asOf := req.AsOf
		if asOf.IsZero() {
			asOf = cmp.Or(req.Filter.To, time.Now())
		}
		fused = withRecency(fused, w, s.cfg.RecencyHalfLife, asOf)
	}
	lexRank := ranks(lex)
	denseRank := ranks(dense)
	k := min(req.K, len(fused))
	hits := make([]Hit, k)
	for i, sc := range fused[:k] {
		e := sc.entry
		hits[i] = Hit{
			Chunk: *e.chunk, Title: e.doc.doc.Title, Source: e.doc.doc.Source, Author: e.doc.doc.Author,
			Published: e.doc.doc.Published, StoryID: e.doc.doc.StoryID, Score: sc.score,
			LexicalRank: lexRank[e.ord], DenseRank: denseRank[e.ord],
		}
	}
	return hits, nil
}

// keeper returns the predicate a chunk must pass, or nil if all pass.
func (s *Store) keeper(f Filter, phrases []string) func(*chunkEntry) bool {
	var norm []string
	var need []uint32 // terms every phrase-matching chunk must contain
	impossible := false
	for _, p := range phrases {
		if n := NormalizePhrase(p); n != "" {
			norm = append(norm, n)
			for _, t := range s.analyzer.Terms(p) {
				id, ok := s.vocab.lookup(t)
				// A term no document has contained: no chunk matches.
				impossible = impossible || !ok
				need = append(need, id)
			}
		}
	}
	if f.IsZero() && len(norm) == 0 {
		return nil
	}
	return func(e *chunkEntry) bool {
		if impossible {
			return false
		}
		d := &e.doc.doc
		if len(f.DocIDs) > 0 && !slices.Contains(f.DocIDs, d.ID) {
			return false
		}
		if f.Source != "" && d.Source != f.Source {
			return false
		}
		if f.Author != "" && d.Author != f.Author {
			return false
		}
		if f.StoryID != "" && d.StoryID != f.StoryID {
			return false
		}
		if !f.From.IsZero() && (d.Published.IsZero() || d.Published.Before(f.From)) {
			return false
		}
		if !f.To.IsZero() && (d.Published.IsZero() || d.Published.After(f.To)) {
			return false
		}
		for _, t := range need {
			if _, found := e.count(t); !found {
				return false
			}
		}
		if len(norm) > 0 {
			text := NormalizePhrase(s.indexText(*d, e.chunk))
			for _, p := range norm {
				if !strings.Contains(text, p) {
					return false
				}
			}
		}
		return true
	}
}

// dense ranks chunks by cosine similarity to the query vector, scoring
// every chunk that keep accepts (keep may be nil) from the vectors the store
// keeps in memory beside its chromem-go collection. A scan here is several
// times faster than chromem-go's exhaustive query, which sends every
// document through a channel into a locked heap, and applies any filter
// before ranking, where chromem-go's equality filters cover only some.
func (s *Store) dense(qvec []float32, depth int, keep func(*chunkEntry) bool) []scored {
	q := s.vecs.query(qvec)
	if q == nil {
		return nil
	}
	// All similarities in one pass over the vectors, in memory order (free
	// ordinals are scored too, then skipped); the filter, which follows
	// pointers, is asked only about chunks good enough to be kept.
	chunks := s.lex.chunks
	bufp := scoreBufs.Get().(*[]float32)
	defer scoreBufs.Put(bufp)
	sims := slices.Grow((*bufp)[:0], len(chunks))[:len(chunks)]
	*bufp = sims
	dotRows(q, s.vecs.data, sims)
	top := newTopK(depth)
	for ord, e := range chunks {
		if e == nil || !top.admits(float64(sims[ord])) || (keep != nil && !keep(e)) {
			continue
		}
		top.push(scored{entry: e, score: float64(sims[ord])})
	}
	return top.sorted()
}

// ranks maps chunk ordinals to their 1-based rank in a ranking.
func ranks(list []scored) map[uint32]int {
	m := make(map[uint32]int, len(list))
	for i, sc := range list {
		m[sc.entry.ord] = i + 1
	}
	return m
}

// fuse combines a lexical and a dense ranking.
func fuse(lex, dense []scored, f Fusion, denseWeight float64) []scored {
	byOrd := make(map[uint32]*scored, len(lex)+len(dense))
	add := func(list []scored, weight float64, value func(i int, sc scored) float64) {
		for i, sc := range list {
			v := weight * value(i, sc)
			if cur, ok := byOrd[sc.entry.ord]; ok {
				cur.score += v
			} else {
				byOrd[sc.entry.ord] = &scored{entry: sc.entry, score: v}
			}
		}
	}
	switch f {
	case FusionRRF:
		rrf := func(i int, _ scored) float64 { return 1 / float64(RRFK+i+1) }
		add(lex, 1, rrf)
		add(dense, 1, rrf)
	default:
		add(lex, 1-denseWeight, minMax(lex))
		add(dense, denseWeight, minMax(dense))
	}
	out := make([]scored, 0, len(byOrd))
	for _, sc := range byOrd {
		out = append(out, *sc)
	}
	sortScored(out)
	return out
}

// minMax returns a function giving each score of a ranking scaled to [0, 1].
func minMax(list []scored) func(int, scored) float64 {
	if len(list) == 0 {
		return func(int, scored) float64 { return 0 }
	}
	hi, lo := list[0].score, list[0].score
	for _, sc := range list {
		hi = max(hi, sc.score)
		lo = min(lo, sc.score)
	}
	return func(_ int, sc scored) float64 {
		if hi == lo {
			return 1
		}
		return (sc.score - lo) / (hi - lo)
	}
}

// withDocScores mixes each chunk's document-level BM25 score into its
// lexical score, (1-w)*chunk + w*document, the chunk score min-max scaled
// over the ranking and the document score divided by the best document's.
// Long articles spread their evidence over several chunks; the document
// score credits a chunk for what the rest of its article says.
func (s *Store) withDocScores(lex []scored, terms []uint32, w float64) []scored {
	if len(lex) == 0 {
		return lex
	}
	byDoc := make(map[*record]float64, len(lex))
	hi := 0.0
	for _, sc := range lex {
		rec := sc.entry.doc
		if _, done := byDoc[rec]; !done && rec.docEntry != nil {
			v := s.docLex.scoreEntry(rec.docEntry, terms, s.cfg.BM25)
			byDoc[rec] = v
			hi = max(hi, v)
		}
	}
	norm := minMax(lex)
	out := make([]scored, len(lex))
	for i, sc := range lex {
		v := (1 - w) * norm(i, sc)
		if hi > 0 {
			v += w * byDoc[sc.entry.doc] / hi
		}
		out[i] = scored{entry: sc.entry, score: v}
	}
	sortScored(out)
	return out
}

// withRecency re-ranks a fused list, best first, by mixing in each
// document's recency: (1-w)*relevance + w*0.5^(age/halfLife), where
// relevance is the fused score scaled to [0, 1] and age is measured back
// from asOf. Documents without a date, or dated after asOf, get no credit.
func withRecency(list []scored, w float64, halfLife time.Duration, asOf time.Time) []scored {
	if len(list) == 0 {
		return list
	}
	norm := minMax(list)
	out := make([]scored, len(list))
	for i, sc := range list {
		v := (1 - w) * norm(i, sc)
		if p := sc.entry.doc.doc.Published; !p.IsZero() && !p.After(asOf) {
			v += w * math.Exp2(-float64(asOf.Sub(p))/float64(halfLife))
		}
		out[i] = scored{entry: sc.entry, score: v}
	}
	sortScored(out)
	return out
}

// sortScored orders a ranking best first.
func sortScored(list []scored) {
	slices.SortFunc(list, func(a, b scored) int {
		if better(a, b) {
			return -1
		}
		if better(b, a) {
			return 1
		}
		return 0
	})
}
