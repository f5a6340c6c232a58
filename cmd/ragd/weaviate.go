package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/chunk"
	"github.com/ragd/ragd/retrieval/weaviate"
)

// weaviateFlags are the flags of --store weaviate.
type weaviateFlags struct {
	URL         string
	APIKey      string
	Collection  string
	Replicas    int
	Consistency string
	Timeout     time.Duration
}

func (w *weaviateFlags) register(fs *flagSet) {
	fs.StringVar(&w.URL, "weaviate-url", "", "REST address of Weaviate for --store weaviate (e.g. http://localhost:8080)")
	fs.StringVar(&w.APIKey, "weaviate-api-key", "", "API key of Weaviate, when it requires one")
	fs.StringVar(&w.Collection, "weaviate-collection", weaviate.DefaultCollection, "Weaviate collection of the chunks; documents go in <collection>Document")
	fs.IntVar(&w.Replicas, "weaviate-replicas", 0, "replication factor of the collections ragd creates (0: Weaviate's default, 1)")
	fs.StringVar(&w.Consistency, "weaviate-consistency", weaviate.DefaultConsistency, "consistency level of reads and writes: ONE, QUORUM or ALL")
	fs.DurationVar(&w.Timeout, "weaviate-timeout", weaviate.DefaultTimeout, "timeout of one request to Weaviate")
}

// validate checks the flags of --store weaviate, naming the bad one.
func (w *weaviateFlags) validate() error {
	if w.URL == "" {
		return errors.New("--weaviate-url is required with --store weaviate")
	}
	if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--weaviate-url %q is not an http(s)://host[:port] URL", w.URL)
	}
	if w.Collection == "" || w.Collection[0] < 'A' || w.Collection[0] > 'Z' {
		return fmt.Errorf("--weaviate-collection %q must start with an upper-case letter", w.Collection)
	}
	if w.Replicas < 0 {
		return fmt.Errorf("--weaviate-replicas %d must not be negative", w.Replicas)
	}
	switch strings.ToUpper(w.Consistency) {
	case "ONE", "QUORUM", "ALL":
	default:
		return fmt.Errorf("--weaviate-consistency %q is not ONE, QUORUM or ALL", w.Consistency)
	}
	if w.Timeout <= 0 {
		return fmt.Errorf("--weaviate-timeout %v must be positive", w.Timeout)
	}
	return nil
}

// weaviateConfig is the Weaviate backend configuration the flags describe,
// for the given chunk collection. A command without the chunking or the
// ranking flags takes the backend's defaults, which are the flags'.
func (c *storeConfig) weaviateConfig(collection string, emb embedder, e *env) weaviate.Config {
	cfg := weaviate.Config{
		URL:         c.Weaviate.URL,
		APIKey:      c.Weaviate.APIKey,
		Collection:  collection,
		Replicas:    c.Weaviate.Replicas,
		Consistency: c.Weaviate.Consistency,
		Timeout:     c.Weaviate.Timeout,
		Embedder:    emb,
		Logger:      e.logger,
	}
	if c.chunked {
		cfg.Chunk = chunk.Options{TargetTokens: c.ChunkTokens, OverlapTokens: c.ChunkOverlap}
	}
	if c.ranked {
		cfg.Fusion, _ = retrieval.ParseFusion(c.Fusion)
		cfg.K1, cfg.B = c.BM25K1, c.BM25B
		// The flags say 0 for off; retrieval says negative.
		cfg.DocWeight = offIfZero(c.DocWeight)
		cfg.RecencyWeight = offIfZero(c.Recency)
		cfg.RecencyHalfLife = c.HalfLife
		cfg.SentenceWeight = c.sentenceWeight()
	}
	return cfg
}

// openEmptyCollection opens the Weaviate collection name for a benchmark,
// dropping first what an earlier run left in it, so that it starts empty.
func (c *storeConfig) openEmptyCollection(ctx context.Context, name string, emb embedder, e *env) (*weaviate.Backend, error) {
	cfg := c.weaviateConfig(name, emb, e)
	st, err := weaviate.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := st.Drop(ctx); err != nil {
		return nil, err
	}
	return weaviate.Open(ctx, cfg)
}

// droppedOnClose is a Weaviate backend whose collections Close deletes.
type droppedOnClose struct{ *weaviate.Backend }

func (d droppedOnClose) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return errors.Join(d.Drop(ctx), d.Backend.Close())
}

// ragd serve warms the Weaviate backend's term statistics through this
// method: a rename must not silently stop it.
var _ interface{ Warm() } = (*weaviate.Backend)(nil)
