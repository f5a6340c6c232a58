package local_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ragd/ragd/embed"
	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/chunk"
	"github.com/ragd/ragd/retrieval/local"
)

// gloveOrSkip loads the offline model the benchmarks measure with.
func gloveOrSkip(b *testing.B) *embed.GloVe {
	b.Helper()
	g, err := embed.LoadGloVe("../../" + embed.DefaultModelPath)
	if errors.Is(err, embed.ErrModelMissing) {
		b.Skip("no GloVe model: run make setup")
	}
	if err != nil {
		b.Fatal(err)
	}
	return g
}

// syntheticCorpus builds n news-like documents of about words words each by
// sampling sentences of the seed articles with a fixed seed, so that term
// statistics and chunk sizes resemble real ingests.
func syntheticCorpus(tb testing.TB, n, words int) []retrieval.Document {
	tb.Helper()
	var sentences []string
	for _, d := range seedDocs(tb) {
		for _, sp := range chunk.Sentences(d.Text) {
			sentences = append(sentences, d.Text[sp.Start:sp.End])
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	docs := make([]retrieval.Document, n)
	for i := range docs {
		var b strings.Builder
		count := 0
		for count < words {
			s := sentences[rng.IntN(len(sentences))]
			b.WriteString(s)
			if rng.IntN(3) == 0 {
				b.WriteString("\n")
			} else {
				b.WriteString(" ")
			}
			count += len(strings.Fields(s))
		}
		docs[i] = retrieval.Document{ID: fmt.Sprintf("doc-%06d", i), Title: fmt.Sprintf("Synthetic article %d", i), Text: b.String()}
	}
	return docs
}

// BenchmarkIngest measures the whole offline ingest path on disk: chunking,
// GloVe embedding, chromem-go vectors, BM25 postings, records and the sync.
// The chunks/s metric is the figure the ingest target is stated in.
func BenchmarkIngest(b *testing.B) {
	g := gloveOrSkip(b)
	docs := syntheticCorpus(b, 512, 300)
	b.ReportAllocs()
	b.ResetTimer()
	chunks := 0
	for b.Loop() {
		b.StopTimer()
		st, err := local.Open(context.Background(), local.Config{Dir: b.TempDir(), Embedder: g})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for start := 0; start < len(docs); start += 256 {
			res, err := st.Ingest(context.Background(), docs[start:min(start+256, len(docs))])
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range res {
				chunks += r.Chunks
			}
		}
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(chunks)/b.Elapsed().Seconds(), "chunks/s")
}

// BenchmarkSearch measures one hybrid query (embedding, BM25, chromem-go
// similarity and fusion) over stores of several sizes.
func BenchmarkSearch(b *testing.B) {
	g := gloveOrSkip(b)
	queries := []string{
		"how many troops would the buffer zone need",
		"What did Macron say European troops would not do?",
		"US security backstop for a peace deal in Ukraine",
		"rare earth minerals agreement Zelensky",
	}
	for _, chunks := range []int{10_000, 100_000} {
		// About 2.08 chunks per 300-word document with the default options.
		docs := syntheticCorpus(b, chunks*100/208, 300)
		// A year of articles, so that recency and date filters have work.
		first := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range docs {
			docs[i].Published = first.Add(time.Duration(i) * 365 * 24 * time.Hour / time.Duration(len(docs)))
		}
		asOf := first.AddDate(0, 9, 0) // three quarters of the articles pass
		st, err := local.Open(context.Background(), local.Config{Embedder: g})
		if err != nil {
			b.Fatal(err)
		}
		for start := 0; start < len(docs); start += 1024 {
			if _, err := st.Ingest(context.Background(), docs[start:min(start+1024, len(docs))]); err != nil {
				b.Fatal(err)
			}
		}
		_, n := st.Len()
		// The first-stage rankings, without sentence re-ranking.
		for _, mode := range []retrieval.Mode{retrieval.Hybrid, retrieval.Lexical, retrieval.Dense} {
			b.Run(fmt.Sprintf("chunks=%d/%s", n, mode), func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if _, err := st.Search(context.Background(), retrieval.SearchRequest{Query: queries[i%len(queries)], K: 10, Mode: mode, SentenceWeight: -1}); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
		// As of a day: a date filter, which dense ranking applies by
		// scanning the vectors kept in memory, and recency counted from it.
		b.Run(fmt.Sprintf("chunks=%d/hybrid-as-of", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				req := retrieval.SearchRequest{Query: queries[i%len(queries)], K: 10, Filter: retrieval.Filter{To: asOf}, SentenceWeight: -1}
				if _, err := st.Search(context.Background(), req); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		// The default search: hybrid, then sentence re-ranking
		// (DefaultSentenceWeight).
		b.Run(fmt.Sprintf("chunks=%d/hybrid-sentences", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				req := retrieval.SearchRequest{Query: queries[i%len(queries)], K: 10}
				if _, err := st.Search(context.Background(), req); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
