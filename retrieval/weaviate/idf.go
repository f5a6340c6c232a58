package weaviate

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ragd/ragd/retrieval/rank"
)

// termStatsTTL is how long document frequencies read from Weaviate are
// reused; this process's own writes drop them at once. Other writers'
// changes show within it.
const termStatsTTL = time.Minute

// termStats caches the chunk count and document frequencies of terms.
type termStats struct {
	at time.Time
	n  int
	df map[string]int
}

// IDF returns the chunk-level inverse document frequency of each analysed
// term, log(1 + (N-df+0.5)/(df+0.5)), with N and df counted by Weaviate
// (cached for termStatsTTL). If Weaviate cannot be asked, every term gets
// the weight of an absent term, so that answers weigh question terms
// equally rather than fail.
func (b *Backend) IDF(terms []string) []float64 {
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.Timeout)
	defer cancel()
	out, err := b.idf(ctx, terms)
	if err != nil {
		b.cfg.Logger.Warn("weaviate: term statistics unavailable; question terms weigh alike", "err", err)
		out = make([]float64, len(terms))
		for i := range out {
			out[i] = idfOf(0, 0)
		}
	}
	return out
}

// idf is IDF with the caller's context and Weaviate's errors.
func (b *Backend) idf(ctx context.Context, terms []string) ([]float64, error) {
	n, df, err := b.termCounts(ctx, terms)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(terms))
	for i, t := range terms {
		out[i] = idfOf(n, df[t])
	}
	return out, nil
}

// idfOf is BM25's inverse document frequency of a term in df of n chunks.
func idfOf(n, df int) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// forgetTermStats drops cached statistics after a write.
func (b *Backend) forgetTermStats() {
	b.idfMu.Lock()
	b.stats = nil
	b.idfMu.Unlock()
}

// termCounts returns the number of chunks and the document frequency of
// each term, asking Weaviate in one GraphQL request for the terms the cache
// lacks.
func (b *Backend) termCounts(ctx context.Context, terms []string) (int, map[string]int, error) {
	b.idfMu.Lock()
	st := b.stats
	if st == nil || time.Since(st.at) > termStatsTTL {
		st = &termStats{at: time.Now(), n: -1, df: map[string]int{}}
		b.stats = st
	}
	var missing []string
	for _, t := range rank.DistinctTerms(terms) {
		if _, ok := st.df[t]; !ok {
			missing = append(missing, t)
		}
	}
	if len(missing) == 0 && st.n >= 0 {
		defer b.idfMu.Unlock()
		return st.n, maps.Clone(st.df), nil
	}
	b.idfMu.Unlock()
	var q strings.Builder
	q.WriteString("{Aggregate{")
	fmt.Fprintf(&q, "n:%s{meta{count}}", b.chunks)
	for i, t := range missing {
		lit, _ := json.Marshal(t) // a GraphQL string literal is a JSON string
		fmt.Fprintf(&q, " t%d:%s(where:{path:[%q],operator:Equal,valueText:%s}){meta{count}}", i, b.chunks, propTerms, lit)
	}
	q.WriteString("}}")
	resp, err := b.client.GraphQL().Raw().WithQuery(q.String()).Do(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("term statistics: %w", classify(err))
	}
	if err := graphQLError(resp.Errors); err != nil {
		return 0, nil, fmt.Errorf("term statistics: %w", err)
	}
	raw, err := json.Marshal(resp.Data["Aggregate"])
	if err != nil {
		return 0, nil, fmt.Errorf("term statistics: %w", err)
	}
	var got map[string][]struct {
		Meta struct {
			Count int `json:"count"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		return 0, nil, fmt.Errorf("term statistics: %w", err)
	}
	count := func(alias string) int {
		if rows := got[alias]; len(rows) > 0 {
			return rows[0].Meta.Count
		}
		return 0
	}
	b.idfMu.Lock()
	defer b.idfMu.Unlock()
	st.n = count("n")
	for i, t := range missing {
		st.df[t] = count("t" + strconv.Itoa(i))
	}
	return st.n, maps.Clone(st.df), nil
}
