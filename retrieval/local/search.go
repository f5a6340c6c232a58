package local

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/analysis"
	"github.com/ragd/ragd/retrieval/internal/vecmath"
	"github.com/ragd/ragd/retrieval/rank"
)

// Search ranks chunks for a query. Quoted phrases in the query must appear
// verbatim (ignoring case and spacing) in every hit. K must be in 1..MaxK; it
// is capped at the number of chunks.
func (s *Store) Search(ctx context.Context, req retrieval.SearchRequest) ([]retrieval.Hit, error) {
	if req.K < 1 || req.K > retrieval.MaxK {
		return nil, fmt.Errorf("search: %w: k must be between 1 and %d, got %d", retrieval.ErrInvalid, retrieval.MaxK, req.K)
	}
	if strings.TrimSpace(req.Query) == "" {
		return nil, fmt.Errorf("search: %w: empty query", retrieval.ErrInvalid)
	}
	if !req.Filter.From.IsZero() && !req.Filter.To.IsZero() && req.Filter.To.Before(req.Filter.From) {
		return nil, fmt.Errorf("search: %w: published_to is before published_from", retrieval.ErrInvalid)
	}
	if req.DocWeight >= 1 || req.RecencyWeight >= 1 || req.SentenceWeight >= 1 {
		return nil, fmt.Errorf("search: %w: document, recency and sentence weights must be below 1", retrieval.ErrInvalid)
	}
	mode := cmp.Or(req.Mode, retrieval.Hybrid)
	fusion := cmp.Or(req.Fusion, s.cfg.Fusion, retrieval.DefaultFusion)
	q := s.analyzer.ParseQuery(req.Query)
	if len(q.Terms) > retrieval.MaxQueryTerms {
		return nil, fmt.Errorf("search: %w: the query has more than %d terms", retrieval.ErrInvalid, retrieval.MaxQueryTerms)
	}
	sentenceWeight := cmp.Or(req.SentenceWeight, s.cfg.SentenceWeight)

	var qvec []float32
	if mode != retrieval.Lexical || sentenceWeight > 0 {
		endEmbed := retrieval.StartStage(ctx, retrieval.StageEmbed)
		vs, err := s.cfg.Embedder.Embed(ctx, []string{req.Query})
		endEmbed()
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

	// The dense scan runs beside the lexical ranking: on a large store
	// each is several milliseconds, and they share only what the read
	// lock holds still.
	var lex, dense []scored
	var denseErr error
	denseDone := make(chan struct{})
	if mode != retrieval.Lexical {
		go func() {
			defer close(denseDone)
			endDense := retrieval.StartStage(ctx, retrieval.StageDense)
			dense, denseErr = s.dense(ctx, qvec, depth, keep)
			endDense()
		}()
	} else {
		close(denseDone)
	}
	if mode != retrieval.Dense {
		endLexical := retrieval.StartStage(ctx, retrieval.StageLexical)
		ids := s.vocab.known(q.Terms)
		var err error
		if lex, err = s.lex.score(ctx, ids, s.cfg.BM25, depth, keep); err != nil {
			<-denseDone
			return nil, fmt.Errorf("search: %w", err)
		}
		if w := cmp.Or(req.DocWeight, s.cfg.DocWeight); w > 0 {
			lex = s.withDocScores(lex, ids, w)
		}
		endLexical()
	}
	<-denseDone
	if denseErr != nil {
		return nil, fmt.Errorf("search: %w", denseErr)
	}
	var fused []scored
	switch mode {
	case retrieval.Lexical:
		fused = lex
	case retrieval.Dense:
		fused = dense
	default:
		w := req.DenseWeight
		if w <= 0 {
			w = retrieval.DefaultDenseWeight
		}
		endFuse := retrieval.StartStage(ctx, retrieval.StageFuse)
		fused = fuse(lex, dense, fusion, w)
		endFuse()
	}
	lexRank := ranks(lex)
	denseRank := ranks(dense)
	hits := make([]retrieval.Hit, len(fused))
	for i, sc := range fused {
		e := sc.entry
		hits[i] = retrieval.Hit{
			Chunk: *e.chunk, Title: e.doc.doc.Title, Source: e.doc.doc.Source, Author: e.doc.doc.Author,
			Published: e.doc.doc.Published, StoryID: e.doc.doc.StoryID, Score: sc.score,
			LexicalRank: lexRank[e.ord], DenseRank: denseRank[e.ord],
		}
	}
	if sentenceWeight > 0 && len(hits) > 0 {
		// The sentences are embedded without the lock, which writers
		// would otherwise wait on; passages removed meanwhile are dropped.
		terms := rank.DistinctTerms(q.Terms)
		idf := make([]float64, len(terms))
		for i, t := range terms {
			idf[i] = s.termIDF(t)
		}
		entries := make(map[string]*chunkEntry, len(fused))
		for _, sc := range fused {
			entries[sc.entry.chunk.ID] = sc.entry
		}
		s.mu.RUnlock()
		locked = false
		rr := rank.Sentences{Analyzer: &s.analyzer, Embed: s.embed, Cache: s.sentences}
		endRerank := retrieval.StartStage(ctx, retrieval.StageRerank)
		var err error
		hits, err = rr.Rerank(ctx, hits, rank.SentenceQuery{Terms: terms, IDF: idf, Vector: qvec}, sentenceWeight)
		endRerank()
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		s.mu.RLock()
		locked = true
		live := hits[:0]
		for _, h := range hits {
			if s.byChunk[h.ID] == entries[h.ID] {
				live = append(live, h)
			}
		}
		hits = live
	}
	if w := cmp.Or(req.RecencyWeight, s.cfg.RecencyWeight); w > 0 {
		asOf := req.AsOf
		if asOf.IsZero() {
			asOf = cmp.Or(req.Filter.To, time.Now())
		}
		hits = rank.Recency(hits, w, s.cfg.RecencyHalfLife, asOf)
	}
	return hits[:min(req.K, len(hits))], nil
}

// keeper returns the predicate a chunk must pass, or nil if all pass.
func (s *Store) keeper(f retrieval.Filter, phrases []string) func(*chunkEntry) bool {
	var norm []string
	var need []uint32 // terms every phrase-matching chunk must contain
	impossible := false
	for _, p := range phrases {
		if n := analysis.NormalizePhrase(p); n != "" {
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
	var holds []uint64
	if len(need) > 0 && !impossible {
		holds = s.lex.holdingAll(need)
	}
	return func(e *chunkEntry) bool {
		if impossible {
			return false
		}
		if holds != nil && holds[e.ord/64]&(1<<(e.ord%64)) == 0 {
			return false // lacks a term of a phrase
		}
		d := &e.doc.doc
		if len(f.DocIDs) > 0 && !slices.Contains(f.DocIDs, d.ID) {
			return false
		}
		if slices.Contains(f.ExcludeDocIDs, d.ID) {
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
		if len(norm) > 0 {
			text := analysis.NormalizePhrase(s.indexText(*d, e.chunk))
			for _, p := range norm {
				if !strings.Contains(text, p) {
					return false
				}
			}
		}
		return true
	}
}

// parallelScan is the number of chunks from which the dense scan is shared
// by the cores: below it, starting goroutines costs more than it saves.
const parallelScan = 1 << 16

// rescoreFactor is how many candidates per wanted chunk the int8 scan
// passes to the exact float32 scoring. On GloVe vectors of news
// (TestCodesRecall) recall@10 against the exact scan is 0.986 with no
// second pass and 1.0 from twice the depth; four times leaves a margin for
// larger stores, at a few microseconds.
const rescoreFactor = 4

// axesRescoreFactor is rescoreFactor for codes taken on principal axes,
// which rank more coarsely: on 64 axes of GloVe's 100 dimensions
// (TestCodesRecall), recall@10 / @100 against the exact scan is 0.984 /
// 0.999 from twice the depth and 1.0 / 1.0 from four times; six leaves a
// margin for stores thirty times as large.
const axesRescoreFactor = 6

// dense ranks chunks by cosine similarity to the query vector, scoring
// every chunk that keep accepts (keep may be nil) from the vectors the store
// keeps in memory beside its chromem-go collection. A scan here is several
// times faster than chromem-go's exhaustive query, which sends every
// document through a channel into a locked heap, and applies any filter
// before ranking, where chromem-go's equality filters cover only some.
//
// With int8 codes (vectorSlab), the scan reads the codes and keeps
// rescoreFactor times depth candidates, which are scored again on their
// float32 vectors: the similarities returned are exact, and equal to the
// float32 scan's whichever path computed them.
func (s *Store) dense(ctx context.Context, qvec []float32, depth int, keep func(*chunkEntry) bool) ([]scored, error) {
	q := s.vecs.query(qvec)
	if q == nil {
		return nil, nil
	}
	// All similarities in one pass over the vectors, in memory order (free
	// ordinals are scored too, then skipped); each core keeps the best of
	// its blocks as it goes, and the filter, which follows pointers, is
	// asked only about chunks good enough to be kept. The cores' bests
	// hold the overall best, which a merge picks out.
	chunks := s.lex.chunks
	coded := s.vecs.codes != nil
	want := depth
	if coded {
		want = depth * rescoreFactor
		if s.vecs.axes != nil {
			want = depth * axesRescoreFactor
		}
	}
	workers := scanWorkers(len(chunks))
	var scan func(w, start, end int)
	var tops []*topK
	var candidates []*ordTop
	if coded {
		// The int8 scan keeps ordinals; the filter, which follows
		// pointers, is asked only about those good enough to be kept.
		candidates = make([]*ordTop, workers)
		for i := range candidates {
			candidates[i] = &ordTop{n: want, h: make([]ordScore, 0, want)}
		}
		qc, qscale := s.vecs.queryCodes(q)
		cs := s.vecs.codeStride
		scan = func(w, start, end int) {
			dots := codeBufs.Get().(*[ctxEvery]int32)
			defer codeBufs.Put(dots)
			top := candidates[w]
			vecmath.DotCodeRows(qc, s.vecs.codes[start*cs:], dots[:end-start])
			for i, d := range dots[:end-start] {
				sim := float32(d) * qscale * s.vecs.scales[start+i]
				if !top.admits(sim) {
					continue
				}
				if e := chunks[start+i]; e != nil && (keep == nil || keep(e)) {
					top.push(ordScore{score: sim, ord: uint32(start + i)})
				}
			}
		}
	} else {
		tops = make([]*topK, workers)
		for i := range tops {
			tops[i] = newTopK(want)
		}
		scan = func(w, start, end int) {
			sims := simBufs.Get().(*[ctxEvery]float32)
			defer simBufs.Put(sims)
			vecmath.DotRows(q, s.vecs.data[start*len(q):], sims[:end-start])
			top := tops[w]
			for i, sim := range sims[:end-start] {
				if !top.admits(float64(sim)) {
					continue
				}
				if e := chunks[start+i]; e != nil && (keep == nil || keep(e)) {
					top.push(scored{entry: e, score: float64(sim)})
				}
			}
		}
	}
	if err := scanBlocks(ctx, len(chunks), workers, scan); err != nil {
		return nil, err
	}
	if !coded {
		top := tops[0]
		for _, t := range tops[1:] {
			for _, sc := range t.h {
				top.push(sc)
			}
		}
		return top.sorted(), nil
	}
	top := candidates[0]
	for _, t := range candidates[1:] {
		for _, c := range t.h {
			top.push(c)
		}
	}
	exact := newTopK(depth)
	for _, c := range top.h {
		exact.push(scored{entry: chunks[c.ord], score: float64(vecmath.Dot(q, s.vecs.row(c.ord)))})
	}
	return exact.sorted(), nil
}

// codeBufs hold a block's int8 inner products, simBufs its similarities.
var (
	codeBufs = sync.Pool{New: func() any { return new([ctxEvery]int32) }}
	simBufs  = sync.Pool{New: func() any { return new([ctxEvery]float32) }}
)

// scanWorkers is how many cores scanBlocks shares n rows among: from
// parallelScan rows, every core, one block or more each.
func scanWorkers(n int) int {
	if n < parallelScan {
		return 1
	}
	return min(parallelism(), (n+ctxEvery-1)/ctxEvery)
}

// scanBlocks calls scan over [0, n) in blocks of ctxEvery on this many
// workers, checking the context between blocks; scan is told which worker
// runs it (0 to workers-1), and one worker's calls never overlap. Each row
// scores the same whatever block it falls in.
func scanBlocks(ctx context.Context, n, workers int, scan func(w, start, end int)) error {
	blocks := (n + ctxEvery - 1) / ctxEvery
	workers = max(1, min(workers, blocks))
	var next atomic.Int64
	var wg sync.WaitGroup
	var scanErr atomic.Pointer[error]
	for w := range workers {
		wg.Go(func() {
			for {
				b := int(next.Add(1) - 1)
				if b >= blocks {
					return
				}
				if err := ctx.Err(); err != nil {
					scanErr.CompareAndSwap(nil, &err)
					return
				}
				start := b * ctxEvery
				scan(w, start, min(start+ctxEvery, n))
			}
		})
	}
	wg.Wait()
	if err := scanErr.Load(); err != nil {
		return *err
	}
	return nil
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
func fuse(lex, dense []scored, f retrieval.Fusion, denseWeight float64) []scored {
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
	case retrieval.FusionRRF:
		rrf := func(i int, _ scored) float64 { return 1 / float64(retrieval.RRFK+i+1) }
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
			v := s.docStats.scoreEntry(rec.docEntry, terms, s.cfg.BM25)
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
