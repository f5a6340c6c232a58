package weaviate

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/analysis"
	"github.com/ragd/ragd/retrieval/chunk"
	"github.com/ragd/ragd/retrieval/rank"
)

// chunkObject is a chunk as a GraphQL Get returns it.
type chunkObject struct {
	ChunkID    string  `json:"chunkId"`
	DocID      string  `json:"docId"`
	Index      int     `json:"chunkIndex"`
	Text       string  `json:"text"`
	Section    string  `json:"section"`
	Start      int     `json:"startOffset"`
	End        int     `json:"endOffset"`
	Title      string  `json:"title"`
	Source     string  `json:"source"`
	Author     string  `json:"author"`
	Published  *string `json:"published"`
	StoryID    string  `json:"storyId"`
	Additional struct {
		Score    string   `json:"score"`
		Distance *float64 `json:"distance"`
	} `json:"_additional"`
}

func (c chunkObject) chunk() retrieval.Chunk {
	return retrieval.Chunk{ID: c.ChunkID, DocID: c.DocID, Index: c.Index, Text: c.Text, Section: c.Section, Start: c.Start, End: c.End}
}

// chunkFields are the fields a chunk query asks for; with the document's
// metadata when meta is set.
func chunkFields(meta bool, additional ...string) []graphql.Field {
	fs := []graphql.Field{{Name: propChunkID}, {Name: propDocID}, {Name: propIndex}, {Name: propText}, {Name: propSection}, {Name: propStart}, {Name: propEnd}}
	if meta {
		fs = append(fs, graphql.Field{Name: propTitle}, graphql.Field{Name: propSource}, graphql.Field{Name: propAuthor}, graphql.Field{Name: propPublished}, graphql.Field{Name: propStoryID})
	}
	if len(additional) > 0 {
		add := graphql.Field{Name: "_additional"}
		for _, a := range additional {
			add.Fields = append(add.Fields, graphql.Field{Name: a})
		}
		fs = append(fs, add)
	}
	return fs
}

// candidate is a chunk and its score in one ranking.
type candidate struct {
	obj   *chunkObject
	score float64
}

// Search ranks chunks for a query (see retrieval.Backend) the way the
// embedded store does: BM25 over ragd's analysed terms, mixed with the
// BM25 score of each chunk's whole document, and cosine similarity of the
// chunk vectors, each computed by Weaviate with the filter applied before
// ranking, then fused, re-ranked by sentence evidence and recency here.
func (b *Backend) Search(ctx context.Context, req retrieval.SearchRequest) ([]retrieval.Hit, error) {
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	mode := cmp.Or(req.Mode, retrieval.Hybrid)
	fusion := cmp.Or(req.Fusion, b.cfg.Fusion, retrieval.DefaultFusion)
	q := b.analyzer.ParseQuery(req.Query)
	if len(q.Terms) > retrieval.MaxQueryTerms {
		return nil, fmt.Errorf("search: %w: the query has more than %d terms", retrieval.ErrInvalid, retrieval.MaxQueryTerms)
	}
	sentenceWeight := cmp.Or(req.SentenceWeight, b.cfg.SentenceWeight)

	var qvec []float32
	if mode != retrieval.Lexical || sentenceWeight > 0 {
		endEmbed := retrieval.StartStage(ctx, retrieval.StageEmbed)
		vs, err := b.cfg.Embedder.Embed(ctx, []string{req.Query})
		endEmbed()
		if err != nil {
			return nil, fmt.Errorf("search: embed query: %w", err)
		}
		if len(vs) != 1 {
			return nil, fmt.Errorf("search: embed query: got %d vectors", len(vs))
		}
		qvec = vs[0]
	}
	where, phrases := b.where(req.Filter, q.Phrases)
	depth := max(b.cfg.Candidates, req.K)
	terms := rank.DistinctTerms(q.Terms)

	var lex, dense []candidate
	var idf []float64
	var lexErr, denseErr, idfErr error
	var wg sync.WaitGroup
	if sentenceWeight > 0 {
		wg.Go(func() { idf, idfErr = b.idf(ctx, terms) })
	}
	if mode != retrieval.Dense && len(terms) > 0 {
		wg.Go(func() {
			defer retrieval.StartStage(ctx, retrieval.StageLexical)()
			lex, lexErr = b.lexical(ctx, terms, where, depth)
			if lexErr == nil {
				lex = keepPhrases(lex, phrases)
				if w := cmp.Or(req.DocWeight, b.cfg.DocWeight); w > 0 {
					lex, lexErr = b.withDocScores(ctx, lex, terms, w)
				}
			}
		})
	}
	if mode != retrieval.Lexical {
		wg.Go(func() {
			defer retrieval.StartStage(ctx, retrieval.StageDense)()
			dense, denseErr = b.dense(ctx, qvec, where, depth)
			dense = keepPhrases(dense, phrases)
		})
	}
	wg.Wait()
	if lexErr != nil {
		return nil, fmt.Errorf("search: %w", lexErr)
	}
	if denseErr != nil {
		return nil, fmt.Errorf("search: %w", denseErr)
	}
	if idfErr != nil {
		return nil, fmt.Errorf("search: %w", idfErr)
	}

	var fused []candidate
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
	lexRank, denseRank := ranks(lex), ranks(dense)
	hits := make([]retrieval.Hit, len(fused))
	for i, c := range fused {
		published, err := parseTime(c.obj.Published)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		hits[i] = retrieval.Hit{
			Chunk: c.obj.chunk(), Title: c.obj.Title, Source: c.obj.Source, Author: c.obj.Author, Published: published,
			StoryID: c.obj.StoryID, Score: c.score, LexicalRank: lexRank[c.obj.ChunkID], DenseRank: denseRank[c.obj.ChunkID],
		}
	}
	if sentenceWeight > 0 && len(hits) > 0 {
		sq := rank.SentenceQuery{Terms: terms, IDF: idf, Vector: qvec}
		rr := rank.Sentences{Analyzer: &b.analyzer, Embed: b.embed, Cache: b.sentences}
		endRerank := retrieval.StartStage(ctx, retrieval.StageRerank)
		var err error
		hits, err = rr.Rerank(ctx, hits, sq, sentenceWeight)
		endRerank()
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
	}
	if w := cmp.Or(req.RecencyWeight, b.cfg.RecencyWeight); w > 0 {
		asOf := req.AsOf
		if asOf.IsZero() {
			asOf = cmp.Or(req.Filter.To, time.Now())
		}
		hits = rank.Recency(hits, w, b.cfg.RecencyHalfLife, asOf)
	}
	return hits[:min(req.K, len(hits))], nil
}

// where builds the filter of a search: the request's filter and, for each
// quoted phrase, its terms; it also returns the phrases normalised, which
// each hit's text must contain.
func (b *Backend) where(f retrieval.Filter, phrases []string) (*filters.WhereBuilder, []string) {
	var ops []*filters.WhereBuilder
	if len(f.DocIDs) > 0 {
		ops = append(ops, filters.Where().WithPath([]string{propDocID}).WithOperator(filters.ContainsAny).WithValueText(f.DocIDs...))
	}
	for _, id := range f.ExcludeDocIDs {
		ops = append(ops, filters.Where().WithPath([]string{propDocID}).WithOperator(filters.NotEqual).WithValueText(id))
	}
	if f.StoryID != "" {
		ops = append(ops, filters.Where().WithPath([]string{propStoryID}).WithOperator(filters.Equal).WithValueText(f.StoryID))
	}
	if f.Source != "" {
		ops = append(ops, filters.Where().WithPath([]string{propSource}).WithOperator(filters.Equal).WithValueText(f.Source))
	}
	if f.Author != "" {
		ops = append(ops, filters.Where().WithPath([]string{propAuthor}).WithOperator(filters.Equal).WithValueText(f.Author))
	}
	if !f.From.IsZero() {
		ops = append(ops, filters.Where().WithPath([]string{propPublished}).WithOperator(filters.GreaterThanEqual).WithValueDate(f.From))
	}
	if !f.To.IsZero() {
		ops = append(ops, filters.Where().WithPath([]string{propPublished}).WithOperator(filters.LessThanEqual).WithValueDate(f.To))
	}
	var norm []string
	for _, p := range phrases {
		n := analysis.NormalizePhrase(p)
		if n == "" {
			continue
		}
		norm = append(norm, n)
		if ts := rank.DistinctTerms(b.analyzer.Terms(p)); len(ts) > 0 {
			ops = append(ops, filters.Where().WithPath([]string{propTerms}).WithOperator(filters.ContainsAll).WithValueText(ts...))
		}
	}
	switch len(ops) {
	case 0:
		return nil, norm
	case 1:
		return ops[0], norm
	}
	return filters.Where().WithOperator(filters.And).WithOperands(ops), norm
}

// keepPhrases drops the candidates whose indexed text lacks one of the
// normalised phrases.
func keepPhrases(list []candidate, phrases []string) []candidate {
	if len(phrases) == 0 {
		return list
	}
	return slices.DeleteFunc(list, func(c candidate) bool {
		d := retrieval.Document{Title: c.obj.Title}
		ch := c.obj.chunk()
		text := analysis.NormalizePhrase(chunk.IndexText(d, &ch))
		for _, p := range phrases {
			if !strings.Contains(text, p) {
				return true
			}
		}
		return false
	})
}

// lexical ranks chunks by Weaviate's BM25 over the terms property.
func (b *Backend) lexical(ctx context.Context, terms []string, where *filters.WhereBuilder, depth int) ([]candidate, error) {
	bm25 := b.client.GraphQL().Bm25ArgBuilder().WithQuery(strings.Join(terms, " ")).WithProperties(propTerms)
	q := b.client.GraphQL().Get().WithClassName(b.chunks).WithFields(chunkFields(true, "score")...).WithBM25(bm25).WithLimit(depth)
	if where != nil {
		q = q.WithWhere(where)
	}
	var got []chunkObject
	if err := b.get(ctx, q, b.chunks, &got); err != nil {
		return nil, fmt.Errorf("lexical: %w", err)
	}
	out := make([]candidate, len(got))
	for i := range got {
		s, err := strconv.ParseFloat(got[i].Additional.Score, 64)
		if err != nil {
			return nil, fmt.Errorf("lexical: score %q: %w", got[i].Additional.Score, err)
		}
		out[i] = candidate{obj: &got[i], score: s}
	}
	sortCandidates(out)
	return out, nil
}

// dense ranks chunks by cosine similarity of their vectors to qvec.
func (b *Backend) dense(ctx context.Context, qvec []float32, where *filters.WhereBuilder, depth int) ([]candidate, error) {
	nv := b.client.GraphQL().NearVectorArgBuilder().WithVector(qvec)
	q := b.client.GraphQL().Get().WithClassName(b.chunks).WithFields(chunkFields(true, "distance")...).WithNearVector(nv).WithLimit(depth)
	if where != nil {
		q = q.WithWhere(where)
	}
	var got []chunkObject
	if err := b.get(ctx, q, b.chunks, &got); err != nil {
		return nil, fmt.Errorf("dense: %w", err)
	}
	out := make([]candidate, 0, len(got))
	for i := range got {
		if got[i].Additional.Distance == nil {
			continue
		}
		out = append(out, candidate{obj: &got[i], score: 1 - *got[i].Additional.Distance})
	}
	sortCandidates(out)
	return out, nil
}

// withDocScores mixes each chunk's document-level BM25 score into its
// lexical score as the embedded store does: (1-w)*chunk + w*document, the
// chunk score min-max scaled over the ranking and the document score
// divided by the best document's.
func (b *Backend) withDocScores(ctx context.Context, lex []candidate, terms []string, w float64) ([]candidate, error) {
	if len(lex) == 0 {
		return lex, nil
	}
	var ids []string
	for _, c := range lex {
		if !slices.Contains(ids, c.obj.DocID) {
			ids = append(ids, c.obj.DocID)
		}
	}
	bm25 := b.client.GraphQL().Bm25ArgBuilder().WithQuery(strings.Join(terms, " ")).WithProperties(propTerms)
	where := filters.Where().WithPath([]string{propDocID}).WithOperator(filters.ContainsAny).WithValueText(ids...)
	q := b.client.GraphQL().Get().WithClassName(b.docs).
		WithFields(graphql.Field{Name: propDocID}, graphql.Field{Name: "_additional", Fields: []graphql.Field{{Name: "score"}}}).
		WithBM25(bm25).WithWhere(where).WithLimit(len(ids))
	var got []struct {
		DocID      string `json:"docId"`
		Additional struct {
			Score string `json:"score"`
		} `json:"_additional"`
	}
	if err := b.get(ctx, q, b.docs, &got); err != nil {
		return nil, fmt.Errorf("document scores: %w", err)
	}
	byDoc := make(map[string]float64, len(got))
	hi := 0.0
	for _, d := range got {
		s, err := strconv.ParseFloat(d.Additional.Score, 64)
		if err != nil {
			return nil, fmt.Errorf("document scores: score %q: %w", d.Additional.Score, err)
		}
		byDoc[d.DocID] = s
		hi = max(hi, s)
	}
	norm := minMax(lex)
	out := make([]candidate, len(lex))
	for i, c := range lex {
		v := (1 - w) * norm(c)
		if hi > 0 {
			v += w * byDoc[c.obj.DocID] / hi
		}
		out[i] = candidate{obj: c.obj, score: v}
	}
	sortCandidates(out)
	return out, nil
}

// ranks maps chunk IDs to their 1-based rank in a ranking.
func ranks(list []candidate) map[string]int {
	m := make(map[string]int, len(list))
	for i, c := range list {
		m[c.obj.ChunkID] = i + 1
	}
	return m
}

// sortCandidates orders a ranking best first, ties by chunk ID as the
// embedded store breaks them.
func sortCandidates(list []candidate) {
	slices.SortStableFunc(list, func(a, b candidate) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.obj.ChunkID, b.obj.ChunkID)
	})
}
