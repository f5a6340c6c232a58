package weaviate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"

	"github.com/ragd/ragd/retrieval/rank"
)

// Term statistics. Sentence re-ranking weighs each question term by its
// inverse document frequency over chunks. Weaviate counts the chunks that
// hold a term with a filtered Aggregate, in time that grows with the count:
// milliseconds for a rare term, seconds for a term in a third of a million
// chunks. So ragd counts only rare terms that way, and estimates the
// frequent ones from a sample of the collection: the terms of its first
// Config.TermSample chunks (DefaultTermSample) in UUID order. Chunk UUIDs
// are hashes of chunk ids, so those chunks are a uniform random sample,
// and a term seen in c of its S chunks is in about c*N/S of all N, within
// about 1/sqrt(c) of the count; at the c >= minSampled that an estimate
// needs, a term's IDF is within a few per cent. A collection no larger than the sample is sampled whole,
// and its counts are exact as of the draw: drawn again after this
// process's writes, and within termStatsTTL of other writers'.
const (
	// minSampled is how many chunks of the sample must hold a term for
	// its document frequency to be estimated rather than counted.
	minSampled = 8
	// termStatsTTL is how long the chunk count and the counted document
	// frequencies are reused; this process's own writes drop them at once.
	// Other writers' changes show within it.
	termStatsTTL = time.Minute
	// sampleTTL is how long a sample of a collection larger than the
	// sample is used before it is drawn again (in the background,
	// the old one answering meanwhile); it is drawn again sooner when the
	// chunk count has moved by more than sampleDrift of its own.
	sampleTTL   = 15 * time.Minute
	sampleDrift = 0.1
	// samplePage is how many chunks one request of the sample reads.
	samplePage = 2048
)

// termStats caches the chunk count and the counted document frequencies.
type termStats struct {
	at time.Time
	n  int
	df map[string]int
}

// sampleRetry is how long after a failed draw of the sample IDF counts
// every term instead of trying to draw it again.
const sampleRetry = 30 * time.Second

// countEveryTerm is the sample used while none can be drawn: empty and
// partial, so that every term is counted. It is never written.
var countEveryTerm = &termSample{df: map[string]int{}, size: 1}

// termSample is the sample of a collection's chunks: in how many of them
// each term occurs.
type termSample struct {
	at time.Time
	// gen is the backend's write generation when the draw began: a whole
	// sample is drawn again once this process has written since.
	gen uint64
	// n is the collection's chunk count when the sample was drawn, and
	// size how many chunks the sample holds; whole is set when it holds
	// them all (n is then size).
	n, size int
	whole   bool
	df      map[string]int
}

// IDF returns the chunk-level inverse document frequency of each analysed
// term, log(1 + (N-df+0.5)/(df+0.5)), with N and df counted by Weaviate or,
// for terms frequent in a large collection, estimated from its sample (see
// Config.TermSample). If Weaviate cannot be asked, every term gets the
// weight of an absent term, so that answers weigh question terms equally
// rather than fail.
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

// forgetTermStats drops cached counts after a write and starts a new write
// generation, which outdates a whole sample and any count or draw under
// way.
func (b *Backend) forgetTermStats() {
	b.idfMu.Lock()
	b.stats = nil
	b.writes++
	b.idfMu.Unlock()
}

// termCounts returns the number of chunks and the document frequency of
// each term: from the sample when it is whole or the term is frequent in
// it, otherwise counted by Weaviate, in one GraphQL request for the terms
// the cache lacks.
func (b *Backend) termCounts(ctx context.Context, terms []string) (int, map[string]int, error) {
	n, err := b.chunkCount(ctx)
	if err != nil {
		return 0, nil, err
	}
	sm := b.termSample(ctx, n)
	if sm.whole {
		n = sm.n // the counts and the total from one read
	}
	df := make(map[string]int, len(terms))
	b.idfMu.Lock()
	st := b.stats // nil when a write dropped it since chunkCount
	var cached map[string]int
	if st != nil {
		cached = st.df
	}
	var missing []string
	for _, t := range rank.DistinctTerms(terms) {
		switch c, counted := cached[t]; {
		case sm.whole:
			df[t] = sm.df[t]
		case sm.df[t] >= minSampled:
			df[t] = int(math.Round(float64(sm.df[t]) * float64(n) / float64(sm.size)))
		case counted:
			df[t] = c
		default:
			missing = append(missing, t)
		}
	}
	b.idfMu.Unlock()
	if len(missing) == 0 {
		return n, df, nil
	}
	counts, err := b.countTerms(ctx, missing)
	if err != nil {
		return 0, nil, err
	}
	b.idfMu.Lock()
	defer b.idfMu.Unlock()
	for i, t := range missing {
		df[t] = counts[i]
		if st != nil && b.stats == st { // not dropped by a write meanwhile
			st.df[t] = counts[i]
		}
	}
	return n, df, nil
}

// chunkCount returns the collection's chunk count, read again when the
// cached one is older than termStatsTTL or a write dropped it.
func (b *Backend) chunkCount(ctx context.Context) (int, error) {
	b.idfMu.Lock()
	if st := b.stats; st != nil && time.Since(st.at) <= termStatsTTL {
		b.idfMu.Unlock()
		return st.n, nil
	}
	gen := b.writes
	b.idfMu.Unlock()
	n, err := b.count(ctx, b.chunks, nil)
	if err != nil {
		return 0, fmt.Errorf("term statistics: %w", err)
	}
	b.idfMu.Lock()
	defer b.idfMu.Unlock()
	if b.writes != gen {
		return n, nil // a write landed meanwhile: not cached
	}
	if st := b.stats; st == nil || time.Since(st.at) > termStatsTTL {
		b.stats = &termStats{at: time.Now(), n: n, df: map[string]int{}}
	}
	return b.stats.n, nil
}

// termSample returns a sample fit for a collection of n chunks, never nil.
// The first sample, and a whole one that this process has written since or
// that is older than termStatsTTL, is drawn before it is returned (a small
// collection is quick to draw again); a partial one that is older than
// sampleTTL or drawn at a count far from n is drawn again in the
// background, and answers meanwhile. When a draw fails, the older sample
// answers if there is one, and otherwise an empty partial sample, with
// which every term is counted, until sampleRetry has passed.
func (b *Backend) termSample(ctx context.Context, n int) *termSample {
	b.idfMu.Lock()
	defer b.idfMu.Unlock()
	sm := b.sample
	stale := sm == nil || sm.whole && (sm.gen != b.writes || time.Since(sm.at) > termStatsTTL)
	fallback := sm
	if fallback == nil {
		fallback = countEveryTerm
	}
	switch {
	case stale && time.Since(b.sampleFailed) < sampleRetry:
		return fallback
	case stale:
		b.idfMu.Unlock()
		// Concurrent searches wait for one draw.
		v, err, _ := b.draws.Do("sample", func() (any, error) {
			return b.drawSample(ctx)
		})
		b.idfMu.Lock()
		if err != nil {
			b.sampleFailed = time.Now()
			b.cfg.Logger.Warn("weaviate: term sample unavailable; question terms are counted one by one", "err", err)
			return fallback
		}
		return v.(*termSample)
	case !sm.whole && (time.Since(sm.at) > sampleTTL || math.Abs(float64(n-sm.n)) > sampleDrift*float64(sm.n)):
		b.drawBehind()
	}
	return sm
}

// Warm starts drawing the term sample, if there is none yet, so that the
// first question does not wait for it (0.6 s at a million chunks); a
// question asked meanwhile waits for this draw rather than starting its
// own. It returns at once; Close waits for the draw.
func (b *Backend) Warm() {
	b.idfMu.Lock()
	defer b.idfMu.Unlock()
	if b.sample == nil {
		b.drawBehind()
	}
}

// drawBehind starts a draw of the sample in the background, through the
// draws group that questions needing a sample at once also wait on, unless
// one is under way or the backend is closed. The caller holds idfMu.
func (b *Backend) drawBehind() {
	if b.closed || b.sampling {
		return
	}
	b.sampling = true
	ctx, cancel := context.WithTimeout(b.lifetime, 10*b.cfg.Timeout)
	done := b.draws.DoChan("sample", func() (any, error) { return b.drawSample(ctx) })
	b.background.Go(func() {
		defer cancel()
		r := <-done
		b.idfMu.Lock()
		b.sampling = false
		b.idfMu.Unlock()
		if r.Err != nil && b.lifetime.Err() == nil {
			b.cfg.Logger.Warn("weaviate: term sample not drawn in the background; the older one, if any, stays", "err", r.Err)
		}
	})
}

// drawSample reads the analysed terms of the first cfg.TermSample chunks in
// UUID order, a page at a time through Weaviate's cursor, and counts in how
// many of them each term occurs.
func (b *Backend) drawSample(ctx context.Context) (*termSample, error) {
	b.idfMu.Lock()
	sm := &termSample{at: time.Now(), gen: b.writes, df: map[string]int{}}
	b.idfMu.Unlock()
	n, err := b.count(ctx, b.chunks, nil)
	if err != nil {
		return nil, fmt.Errorf("term sample: %w", err)
	}
	sm.n = n
	fields := []graphql.Field{{Name: propTerms}, {Name: "_additional", Fields: []graphql.Field{{Name: "id"}}}}
	seen := map[string]bool{}
	after := ""
	for sm.size < b.cfg.TermSample {
		page := min(samplePage, b.cfg.TermSample-sm.size)
		q := b.client.GraphQL().Get().WithClassName(b.chunks).WithFields(fields...).WithLimit(page)
		if after != "" {
			q = q.WithAfter(after)
		}
		var got []struct {
			Terms      string `json:"terms"`
			Additional struct {
				ID string `json:"id"`
			} `json:"_additional"`
		}
		if err := b.get(ctx, q, b.chunks, &got); err != nil {
			if errors.Is(err, errNoClass) {
				break // nothing ingested yet
			}
			return nil, fmt.Errorf("term sample: %w", err)
		}
		for _, c := range got {
			clear(seen)
			for t := range strings.FieldsSeq(c.Terms) {
				if !seen[t] {
					seen[t] = true
					sm.df[t]++
				}
			}
		}
		sm.size += len(got)
		if len(got) < page {
			break
		}
		after = got[len(got)-1].Additional.ID
	}
	// Whole when the cursor ran out before the sample's size, or the
	// count says nothing is left (writers may have moved it meanwhile).
	sm.whole = sm.size < b.cfg.TermSample || sm.size >= n
	if sm.whole {
		sm.n = sm.size
	}
	b.idfMu.Lock()
	if b.sample == nil || !b.sample.at.After(sm.at) { // not over a later draw
		b.sample = sm // (a whole one begun before a write is outdated already)
	}
	b.idfMu.Unlock()
	return sm, nil
}

// countTerms asks Weaviate, in one GraphQL request, how many chunks hold
// each term.
func (b *Backend) countTerms(ctx context.Context, terms []string) ([]int, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	var q strings.Builder
	q.WriteString("{Aggregate{")
	for i, t := range terms {
		lit, _ := json.Marshal(t) // a GraphQL string literal is a JSON string
		fmt.Fprintf(&q, " t%d:%s(where:{path:[%q],operator:Equal,valueText:%s}){meta{count}}", i, b.chunks, propTerms, lit)
	}
	q.WriteString("}}")
	resp, err := b.client.GraphQL().Raw().WithQuery(q.String()).Do(ctx)
	if err != nil {
		return nil, fmt.Errorf("term statistics: %w", classify(err))
	}
	if err := graphQLError(resp.Errors); err != nil {
		return nil, fmt.Errorf("term statistics: %w", err)
	}
	raw, err := json.Marshal(resp.Data["Aggregate"])
	if err != nil {
		return nil, fmt.Errorf("term statistics: %w", err)
	}
	var got map[string][]struct {
		Meta struct {
			Count int `json:"count"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		return nil, fmt.Errorf("term statistics: %w", err)
	}
	out := make([]int, len(terms))
	for i := range terms {
		if rows := got["t"+strconv.Itoa(i)]; len(rows) > 0 {
			out[i] = rows[0].Meta.Count
		}
	}
	return out, nil
}
