package weaviate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ragd/ragd/embed"
	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/backendtest"
	"github.com/ragd/ragd/retrieval/chunk"
	"github.com/ragd/ragd/retrieval/local"
	"github.com/ragd/ragd/retrieval/weaviate"
	"github.com/ragd/ragd/retrieval/weaviate/weaviatetest"
)

var testEmbedder = embed.NewHashing(64)

// opener returns a backendtest.Open that gives each caller a new
// collection on the node.
func opener(node *weaviatetest.Node, name string) backendtest.Open {
	var n atomic.Int64
	return func(tb testing.TB) retrieval.Backend {
		tb.Helper()
		b, err := weaviate.Open(context.Background(), weaviate.Config{
			URL:        node.URL(),
			Collection: fmt.Sprintf("%s%d", name, n.Add(1)),
			Embedder:   testEmbedder,
		})
		if err != nil {
			tb.Fatalf("Open: %v", err)
		}
		tb.Cleanup(func() { b.Close() })
		return b
	}
}

func TestContract(t *testing.T) {
	node := weaviatetest.Start(t)
	backendtest.Run(t, opener(node, "Contract"))
}

// TestDefaultsMatchLocal keeps the ranking defaults equal to the embedded
// store's, which this package cannot import.
func TestDefaultsMatchLocal(t *testing.T) {
	tests := []struct {
		name      string
		got, want float64
	}{
		{"k1", weaviate.DefaultBM25K1, local.DefaultBM25K1},
		{"b", weaviate.DefaultBM25B, local.DefaultBM25B},
		{"candidates", weaviate.DefaultCandidates, local.DefaultCandidates},
		{"doc weight", weaviate.DefaultDocWeight, local.DefaultDocWeight},
		{"recency weight", weaviate.DefaultRecencyWeight, local.DefaultRecencyWeight},
		{"recency half-life", float64(weaviate.DefaultRecencyHalfLife), float64(local.DefaultRecencyHalfLife)},
		{"sentence weight", weaviate.DefaultSentenceWeight, local.DefaultSentenceWeight},
		{"embed batch", weaviate.DefaultEmbedBatch, local.DefaultEmbedBatch},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want the embedded store's %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestOpenChecksTheSchema(t *testing.T) {
	ctx := context.Background()
	node := weaviatetest.Start(t)
	open := func(cfg weaviate.Config) (*weaviate.Backend, error) {
		cfg.URL = node.URL()
		cfg.Collection = "Schema"
		return weaviate.Open(ctx, cfg)
	}
	b, err := open(weaviate.Config{Embedder: testEmbedder})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if _, err := b.Ingest(ctx, backendtest.Corpus()); err != nil {
		t.Fatal(err)
	}
	t.Run("another dimension", func(t *testing.T) {
		_, err := open(weaviate.Config{Embedder: embed.NewHashing(32)})
		if !errors.Is(err, retrieval.ErrEmbedderMismatch) || !strings.Contains(err.Error(), "re-index") {
			t.Errorf("Open with a 32-d embedder: %v, want ErrEmbedderMismatch saying how to re-index", err)
		}
	})
	t.Run("another embedder", func(t *testing.T) {
		_, err := open(weaviate.Config{Embedder: renamed{embed.NewHashing(64), "other-model"}})
		if !errors.Is(err, retrieval.ErrEmbedderMismatch) {
			t.Errorf("Open with another embedder's name: %v, want ErrEmbedderMismatch", err)
		}
	})
	t.Run("new bm25 parameters are set in place", func(t *testing.T) {
		if _, err := open(weaviate.Config{Embedder: testEmbedder, K1: 1.2, B: 0.75}); err != nil {
			t.Fatalf("Open with k1 1.2: %v", err)
		}
		resp, err := http.Get(node.URL() + "/v1/schema/Schema")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var class struct {
			InvertedIndexConfig struct {
				BM25 struct{ K1, B float64 } `json:"bm25"`
			} `json:"invertedIndexConfig"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&class); err != nil {
			t.Fatal(err)
		}
		if got := class.InvertedIndexConfig.BM25; math.Abs(got.K1-1.2) > 1e-6 || math.Abs(got.B-0.75) > 1e-6 {
			t.Errorf("bm25 after reopening with k1 1.2, b 0.75: got %+v", got)
		}
	})
	t.Run("a collection ragd did not create", func(t *testing.T) {
		body := strings.NewReader(`{"class": "Foreign", "vectorizer": "none", "properties": [{"name": "x", "dataType": ["text"]}]}`)
		resp, err := http.Post(node.URL()+"/v1/schema", "application/json", body)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		_, err = weaviate.Open(ctx, weaviate.Config{URL: node.URL(), Collection: "Foreign", Embedder: testEmbedder})
		if err == nil || !strings.Contains(err.Error(), "not created by ragd") {
			t.Errorf("Open of a foreign collection: %v, want a refusal", err)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		_, err := weaviate.Open(ctx, weaviate.Config{URL: "http://127.0.0.1:1", Embedder: testEmbedder})
		if !errors.Is(err, retrieval.ErrUnavailable) {
			t.Errorf("Open of a closed port: %v, want ErrUnavailable", err)
		}
	})
}

// renamed gives an embedder another name.
type renamed struct {
	*embed.Hashing
	name string
}

func (r renamed) Name() string { return r.name }

// TestScanPastTheQueryWindow scans more documents than the server's query
// window (QUERY_MAXIMUM_RESULTS) lets a sorted, offset listing reach: the
// cursor reads them all.
func TestScanPastTheQueryWindow(t *testing.T) {
	ctx := context.Background()
	node := weaviatetest.Start(t, "QUERY_MAXIMUM_RESULTS=4")
	b := opener(node, "Window")(t)
	var docs []retrieval.Document
	for i := range 11 {
		docs = append(docs, retrieval.Document{ID: fmt.Sprintf("doc-%02d", i), Title: fmt.Sprintf("Report %d", i),
			Text: fmt.Sprintf("Report number %d on the harbour strike and the talks that followed it.", i)})
	}
	for i := 0; i < len(docs); i += 4 { // each write reads back at most the window
		if _, err := b.Ingest(ctx, docs[i:min(i+4, len(docs))]); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := b.List(ctx, 4, 4); err == nil {
		t.Fatal("List past the server's query window: got no error; the window this test needs is not in force")
	}
	seen := map[string]bool{}
	if err := b.Scan(ctx, 3, func(page []retrieval.Document) error {
		for _, d := range page {
			seen[d.ID] = true
		}
		return nil
	}); err != nil {
		t.Fatalf("Scan: %v", err)
	}
	for _, d := range docs {
		if !seen[d.ID] {
			t.Errorf("Scan did not see %s", d.ID)
		}
	}
	if len(seen) != len(docs) {
		t.Errorf("Scan saw %d documents, want %d", len(seen), len(docs))
	}
}

// TestIngestWritesGroupsAtOnce ingests, in one call, documents of several
// chunks each in more groups of Batch chunks than there are Writers, then
// shortens some of them: every document is stored with exactly its
// chunks, whichever group wrote it and in whatever order the groups ran.
func TestIngestWritesGroupsAtOnce(t *testing.T) {
	ctx := context.Background()
	node := weaviatetest.Start(t)
	b, err := weaviate.Open(ctx, weaviate.Config{URL: node.URL(), Collection: "Groups", Embedder: testEmbedder,
		Chunk: chunk.Options{TargetTokens: 16, OverlapTokens: 4}, Batch: 4, Writers: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	sentence := func(doc, i int) string {
		return fmt.Sprintf("Report %d tells in its part %d how the harbour strike went on for another week.", doc, i)
	}
	docs := func(sentences func(doc int) int) []retrieval.Document {
		var out []retrieval.Document
		for d := range 20 {
			var parts []string
			for i := range sentences(d) {
				parts = append(parts, sentence(d, i))
			}
			out = append(out, retrieval.Document{ID: fmt.Sprintf("doc-%02d", d), Title: fmt.Sprintf("Report %d", d), Text: strings.Join(parts, " ")})
		}
		return out
	}
	check := func(t *testing.T, res []retrieval.IngestResult) {
		t.Helper()
		total := 0
		for _, r := range res {
			got, err := b.Get(ctx, r.ID)
			if err != nil {
				t.Fatalf("Get %s: %v", r.ID, err)
			}
			if len(got.Chunks) != r.Chunks || r.Chunks < 2 {
				t.Errorf("%s: %d chunks stored, ingest reported %d (want at least 2)", r.ID, len(got.Chunks), r.Chunks)
			}
			for i, c := range got.Chunks {
				if c.Index != i {
					t.Errorf("%s: chunk %d has index %d", r.ID, i, c.Index)
				}
			}
			total += r.Chunks
		}
		st, err := b.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Documents != len(res) || st.Chunks != total {
			t.Errorf("Stats: %d documents, %d chunks; want %d, %d", st.Documents, st.Chunks, len(res), total)
		}
	}
	t.Run("new", func(t *testing.T) {
		res, err := b.Ingest(ctx, docs(func(int) int { return 6 }))
		if err != nil {
			t.Fatal(err)
		}
		check(t, res)
	})
	t.Run("shortened", func(t *testing.T) {
		res, err := b.Ingest(ctx, docs(func(d int) int { return 6 - d%2*3 }))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			want := retrieval.Unchanged
			if r.ID[len(r.ID)-1]%2 == 1 {
				want = retrieval.Updated
			}
			if r.Status != want {
				t.Errorf("%s: status %v, want %v", r.ID, r.Status, want)
			}
		}
		check(t, res)
	})
}

// termCounter is a reverse proxy to a node that counts the terms whose
// chunks Weaviate is asked to count (a filtered Aggregate on terms).
type termCounter struct {
	*httptest.Server
	terms atomic.Int64
	// pages counts the page requests of term sample draws.
	pages atomic.Int64
}

func newTermCounter(t *testing.T, node *weaviatetest.Node) *termCounter {
	t.Helper()
	target, err := url.Parse(node.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	c := &termCounter{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/graphql" {
			body, _ := io.ReadAll(r.Body)
			switch q := string(body); {
			case strings.Contains(q, "Aggregate"):
				c.terms.Add(int64(strings.Count(q, "operator:Equal")))
			case strings.Contains(q, "Get") && strings.Contains(q, "{terms _additional{id}}"):
				c.pages.Add(1)
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(c.Close)
	return c
}

// TestIDFFromASample gives a collection four times the size of its term
// sample: a term in every chunk, one in a quarter of them and one in four.
// The frequent terms' document frequencies are estimated from the sample,
// without asking Weaviate to count them (the term in every chunk exactly),
// the rare one is counted once, and a delete shows in the count at once.
// A collection no larger than the sample is sampled whole: no term is
// counted, and a write shows at once.
func TestIDFFromASample(t *testing.T) {
	ctx := context.Background()
	node := weaviatetest.Start(t)
	counter := newTermCounter(t, node)
	open := func(t *testing.T, collection string, sample int) *weaviate.Backend {
		b, err := weaviate.Open(ctx, weaviate.Config{URL: counter.URL, Collection: collection, Embedder: testEmbedder, TermSample: sample})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b
	}
	// counted runs fn and returns how many terms Weaviate was asked to
	// count meanwhile.
	counted := func(fn func()) int64 {
		before := counter.terms.Load()
		fn()
		return counter.terms.Load() - before
	}
	logIDF := func(n, df float64) float64 { return math.Log(1 + (n-df+0.5)/(df+0.5)) }
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

	t.Run("sampled", func(t *testing.T) {
		b := open(t, "Sample", 100)
		const n = 400
		var docs []retrieval.Document
		for i := range n {
			text := fmt.Sprintf("Dispatch %d from the harbour.", i)
			if i%4 == 0 {
				text += " The strike went on."
			}
			if i%100 == 7 {
				text += " A zeppelin flew over."
			}
			docs = append(docs, retrieval.Document{ID: fmt.Sprintf("doc-%03d", i), Title: "Dispatch", Text: text})
		}
		if _, err := b.Ingest(ctx, docs); err != nil {
			t.Fatal(err)
		}
		if st, err := b.Stats(ctx); err != nil || st.Chunks != n {
			t.Fatalf("Stats: %+v, %v; want %d chunks", st, err, n)
		}
		// Drawn ahead, one page of the cursor; the question uses that
		// draw, or waits for it, rather than starting its own.
		pages := counter.pages.Load()
		b.Warm()
		for deadline := time.Now().Add(10 * time.Second); counter.pages.Load() == pages; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("Warm read no page of the term sample in 10 s")
			}
		}
		var got []float64
		if c := counted(func() { got = b.IDF([]string{"harbor", "strike", "zeppelin"}) }); c != 1 { // analysed terms
			t.Errorf("Weaviate counted %d terms, want 1: the rare zeppelin alone", c)
		}
		if drawn := counter.pages.Load() - pages; drawn != 1 {
			t.Errorf("Warm and a question read %d pages of the term sample, want the 1 of one draw", drawn)
		}
		if want := logIDF(n, n); !near(got[0], want) {
			t.Errorf("IDF(harbor), in every chunk: got %v, want %v", got[0], want)
		}
		if got[1] < logIDF(n, 150) || got[1] > logIDF(n, 50) {
			t.Errorf("IDF(strike), in 100 chunks: got %v, want within the IDF of 50 to 150 chunks (%v to %v)", got[1], logIDF(n, 150), logIDF(n, 50))
		}
		if want := logIDF(n, 4); !near(got[2], want) {
			t.Errorf("IDF(zeppelin), in 4 chunks: got %v, want %v", got[2], want)
		}
		if c := counted(func() { b.IDF([]string{"zeppelin"}) }); c != 0 {
			t.Errorf("asked again at once, Weaviate counted %d terms, want the cached count", c)
		}
		if err := b.Delete(ctx, "doc-007"); err != nil {
			t.Fatal(err)
		}
		// One chunk fewer, and one zeppelin fewer.
		if got, want := b.IDF([]string{"zeppelin"})[0], logIDF(n-1, 3); !near(got, want) {
			t.Errorf("IDF(zeppelin) after a delete: got %v, want %v", got, want)
		}
	})

	t.Run("whole", func(t *testing.T) {
		b := open(t, "Whole", 0)
		docs := []retrieval.Document{
			{ID: "a", Title: "Harbour", Text: "The harbour strike went on."},
			{ID: "b", Title: "Harbour", Text: "The harbour reopened."},
			{ID: "c", Title: "Weather", Text: "Rain fell on the hills."},
		}
		if _, err := b.Ingest(ctx, docs); err != nil {
			t.Fatal(err)
		}
		var got []float64
		if c := counted(func() { got = b.IDF([]string{"harbor", "strike", "zeppelin"}) }); c != 0 {
			t.Errorf("Weaviate counted %d terms of a collection sampled whole, want 0", c)
		}
		for i, want := range []float64{logIDF(3, 2), logIDF(3, 1), logIDF(3, 0)} {
			if !near(got[i], want) {
				t.Errorf("IDF term %d: got %v, want %v", i, got[i], want)
			}
		}
		if _, err := b.Ingest(ctx, []retrieval.Document{{ID: "d", Title: "Sky", Text: "A zeppelin flew over the harbour."}}); err != nil {
			t.Fatal(err)
		}
		got = b.IDF([]string{"harbor", "zeppelin"})
		if !near(got[0], logIDF(4, 3)) || !near(got[1], logIDF(4, 1)) {
			t.Errorf("IDF after an ingest: got %v, want %v", got, []float64{logIDF(4, 3), logIDF(4, 1)})
		}
	})
}
