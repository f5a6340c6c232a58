package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/ragd/ragd/embed"
	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/chunk"
	"github.com/ragd/ragd/retrieval/local"
	"github.com/ragd/ragd/retrieval/weaviate"
)

// Defaults of the store flags.
const (
	defaultStore    = "local"
	defaultDataDir  = "./ragd-data"
	defaultEmbedder = "glove"
)

// storeConfig holds the flags shared by every command that opens the index.
type storeConfig struct {
	Store        string
	Data         string
	Embedder     string
	ModelPath    string
	EmbedURL     string
	EmbedModel   string
	EmbedAPIKey  string
	EmbedTimeout time.Duration
	ChunkTokens  int
	ChunkOverlap int
	Fusion       string
	BM25K1       float64
	BM25B        float64
	DocWeight    float64
	Recency      float64
	HalfLife     time.Duration
	Sentence     optionalWeight
	// getenv reads the variables that locate the GloVe model
	// (XDG_DATA_HOME, HOME); registerEmbedder sets it.
	getenv func(string) string
	// chunked and ranked say whether the chunking and ranking flags
	// were registered: a command without them takes retrieval's
	// defaults, which are the flags' defaults.
	chunked, ranked bool
	// Collapse returns one passage per story (see registerCollapse).
	Collapse bool
	Weaviate weaviateFlags
	// existing, set by commands that only read or remove (search, ask,
	// delete), refuses a --data that holds no index instead of creating
	// an empty one: a mistyped path would otherwise answer "no hits".
	existing bool
}

// optionalWeight is a weight flag whose default depends on other flags.
type optionalWeight struct {
	w   float64
	set bool
}

func (o *optionalWeight) String() string {
	if o == nil || !o.set {
		return "auto"
	}
	return strconv.FormatFloat(o.w, 'g', -1, 64)
}

func (o *optionalWeight) Set(s string) error {
	if s == "auto" {
		*o = optionalWeight{}
		return nil
	}
	w, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(w) || math.IsInf(w, 0) {
		return errors.New("parse error")
	}
	o.w, o.set = w, true
	return nil
}

// register registers the flags of every command that opens the index: the
// data directory and the embedding model. Commands add the groups they use:
// registerChunk where documents are ingested, registerRank where passages
// are ranked.
func (c *storeConfig) register(fs *flagSet) {
	func() {
		defer fs.group("index")()
		fs.StringVar(&c.Store, "store", defaultStore, "storage backend: local (the embedded engine in --data) or weaviate (a Weaviate cluster at --weaviate-url)")
		fs.StringVar(&c.Data, "data", defaultDataDir, "data directory of the index")
		c.Weaviate.register(fs)
	}()
	c.registerEmbedder(fs)
}

// registerEmbedder registers the flags that choose the embedding model, the
// only ones ragd embed takes.
func (c *storeConfig) registerEmbedder(fs *flagSet) {
	defer fs.group("embedding")()
	c.getenv = fs.e.getenv
	fs.StringVar(&c.Embedder, "embedder", defaultEmbedder, "embedding model: glove (offline), ollama or openai")
	fs.StringVar(&c.ModelPath, "model-path", "", "GloVe model file written by 'make setup'; without it ragd looks for "+modelFile+" beside its binary (and in ../models), in $XDG_DATA_HOME/ragd (~/.local/share/ragd), then in ./models")
	fs.StringVar(&c.EmbedURL, "embed-url", "", "base URL of the embedding service (ollama: http://localhost:11434; openai: https://host/v1)")
	fs.StringVar(&c.EmbedModel, "embed-model", "", "embedding model name for ollama or openai (e.g. nomic-embed-text)")
	fs.StringVar(&c.EmbedAPIKey, "embed-api-key", "", "API key of the embedding service")
	fs.DurationVar(&c.EmbedTimeout, "embed-timeout", 60*time.Second, "timeout of one embedding request")
}

// registerChunk registers the flags of chunking, for the commands that
// ingest documents.
func (c *storeConfig) registerChunk(fs *flagSet) {
	defer fs.group("chunking")()
	c.chunked = true
	fs.IntVar(&c.ChunkTokens, "chunk-tokens", chunk.DefaultTokens, "target chunk size in words")
	fs.IntVar(&c.ChunkOverlap, "chunk-overlap", chunk.DefaultOverlap, "overlap between consecutive chunks in words")
}

// registerRank registers the flags of ranking, for the commands that
// search.
func (c *storeConfig) registerRank(fs *flagSet) {
	defer fs.group("ranking")()
	c.ranked = true
	fs.Float64Var(&c.BM25K1, "bm25-k1", local.DefaultBM25K1, "BM25 term frequency saturation")
	fs.Float64Var(&c.BM25B, "bm25-b", local.DefaultBM25B, "BM25 length normalisation (0-1)")
	fs.StringVar(&c.Fusion, "fusion", string(retrieval.DefaultFusion), "default fusion of dense and lexical rankings: convex or rrf")
	fs.Float64Var(&c.DocWeight, "doc-weight", local.DefaultDocWeight, "share (0-1) of a passage's lexical score taken from its whole article's BM25 score; 0 turns it off")
	fs.Float64Var(&c.Recency, "recency-weight", local.DefaultRecencyWeight, "share (0-1) of a hit's score taken from its article's recency; 0 turns it off")
	fs.DurationVar(&c.HalfLife, "recency-half-life", local.DefaultRecencyHalfLife, "age at which an article's recency credit halves")
	fs.Var(&c.Sentence, "sentence-weight", fmt.Sprintf("re-order the best 20 passages by their best sentence, with this `share` (0-1) of the sorting score; auto is %g with the glove embedder and 0 with ollama or openai, where each query would embed some 200 sentences remotely; 0 turns it off", local.DefaultSentenceWeight))
}

// validate checks the flags, naming the bad one.
func (c *storeConfig) validate() error {
	switch c.Store {
	case "local":
	case "weaviate":
		if err := c.Weaviate.validate(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown store %q: --store must be local or weaviate", c.Store)
	}
	if err := c.validateEmbedder(); err != nil {
		return err
	}
	return c.validateIndex()
}

// validateEmbedder checks the flags of registerEmbedder.
func (c *storeConfig) validateEmbedder() error {
	switch c.Embedder {
	case "glove":
	case "ollama", "openai":
		if c.EmbedURL == "" {
			return fmt.Errorf("--embed-url is required with --embedder %s", c.Embedder)
		}
		if u, err := url.Parse(c.EmbedURL); err != nil || u.Scheme == "" || u.Host == "" {
			return fmt.Errorf("--embed-url %q is not an absolute URL", c.EmbedURL)
		}
		if c.EmbedModel == "" {
			return fmt.Errorf("--embed-model is required with --embedder %s", c.Embedder)
		}
	default:
		return fmt.Errorf("--embedder %q is not glove, ollama or openai", c.Embedder)
	}
	return nil
}

// validateIndex checks the flags of register other than the embedder's,
// and those of registerChunk and registerRank when they were registered.
func (c *storeConfig) validateIndex() error {
	if c.Data == "" {
		return errors.New("--data must not be empty")
	}
	if c.chunked {
		if err := c.validateChunk(); err != nil {
			return err
		}
	}
	if c.ranked {
		return c.validateRank()
	}
	return nil
}

// validateChunk checks the flags of registerChunk.
func (c *storeConfig) validateChunk() error {
	if c.ChunkTokens < 16 {
		return fmt.Errorf("--chunk-tokens %d is below 16", c.ChunkTokens)
	}
	if c.ChunkOverlap < 0 || c.ChunkOverlap >= c.ChunkTokens {
		return fmt.Errorf("--chunk-overlap %d must be between 0 and --chunk-tokens", c.ChunkOverlap)
	}
	return nil
}

// validateRank checks the flags of registerRank.
func (c *storeConfig) validateRank() error {
	if c.BM25K1 <= 0 {
		return fmt.Errorf("--bm25-k1 %g must be positive", c.BM25K1)
	}
	if c.BM25B < 0 || c.BM25B > 1 {
		return fmt.Errorf("--bm25-b %g must be between 0 and 1", c.BM25B)
	}
	if _, err := retrieval.ParseFusion(c.Fusion); err != nil {
		return fmt.Errorf("--fusion: %v", err)
	}
	if c.DocWeight < 0 || c.DocWeight >= 1 {
		return fmt.Errorf("--doc-weight %g must be at least 0 and below 1", c.DocWeight)
	}
	if c.Recency < 0 || c.Recency >= 1 {
		return fmt.Errorf("--recency-weight %g must be at least 0 and below 1", c.Recency)
	}
	if c.Sentence.w < 0 || c.Sentence.w >= 1 {
		return fmt.Errorf("--sentence-weight %g must be at least 0 and below 1", c.Sentence.w)
	}
	if c.HalfLife <= 0 {
		return fmt.Errorf("--recency-half-life %v must be positive", c.HalfLife)
	}
	return nil
}

// embedder is what the store and the answerer need from an embedding model.
type embedder interface {
	Name() string
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// newEmbedder builds the configured embedding model once.
func (c *storeConfig) newEmbedder() (embedder, error) {
	client := &http.Client{Timeout: c.EmbedTimeout}
	switch c.Embedder {
	case "ollama":
		return embed.NewOllama(embed.OllamaConfig{BaseURL: c.EmbedURL, Model: c.EmbedModel, HTTPClient: client})
	case "openai":
		return embed.NewOpenAI(embed.OpenAIConfig{BaseURL: c.EmbedURL, APIKey: c.EmbedAPIKey, Model: c.EmbedModel, HTTPClient: client})
	}
	getenv := c.getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	path, err := findModel(c.ModelPath, getenv)
	if err != nil {
		return nil, err
	}
	g, err := embed.LoadGloVe(path)
	if errors.Is(err, embed.ErrModelMissing) {
		return nil, fmt.Errorf("no embedding model at %s: run 'make setup' first", path)
	}
	return g, err
}

// openStore validates the flags and opens the backend they choose.
func (c *storeConfig) openStore(ctx context.Context, e *env) (retrieval.Backend, embedder, error) {
	if err := c.validate(); err != nil {
		return nil, nil, usage(err)
	}
	emb, err := c.newEmbedder()
	if err != nil {
		return nil, nil, err
	}
	if c.Store == "weaviate" {
		st, err := weaviate.Open(ctx, c.weaviateConfig(c.Weaviate.Collection, emb, e))
		if err != nil {
			return nil, nil, err
		}
		return st, emb, nil
	}
	if c.existing && c.Data != "" && !local.Exists(c.Data) {
		return nil, nil, fmt.Errorf("no index in %s: ingest documents first (ragd ingest --data %s PATH...), or give the right --data", c.Data, c.Data)
	}
	st, err := local.Open(ctx, c.retrievalConfig(c.Data, emb, e))
	if err != nil {
		return nil, nil, err
	}
	return st, emb, nil
}

// retrievalConfig is the store configuration the flags describe, for the
// index in dir ("" keeps it in memory).
func (c *storeConfig) retrievalConfig(dir string, emb embedder, e *env) local.Config {
	cfg := local.Config{Dir: dir, Embedder: emb, Logger: e.logger}
	var migration *progress
	cfg.Progress = func(done, total int) {
		if migration == nil {
			migration = newProgress(e, total, "migrating the data directory", "docs")
		}
		migration.add(1)
		if done == total {
			migration.finish()
		}
	}
	if c.chunked {
		cfg.Chunk = chunk.Options{TargetTokens: c.ChunkTokens, OverlapTokens: c.ChunkOverlap}
	}
	if c.ranked {
		cfg.Fusion, _ = retrieval.ParseFusion(c.Fusion)
		cfg.BM25 = local.BM25{K1: c.BM25K1, B: c.BM25B}
		// The flags say 0 for off; retrieval says negative.
		cfg.DocWeight = offIfZero(c.DocWeight)
		cfg.RecencyWeight = offIfZero(c.Recency)
		cfg.RecencyHalfLife = c.HalfLife
		cfg.SentenceWeight = c.sentenceWeight()
	}
	return cfg
}

// sentenceWeight is retrieval's sentence weight for the flags: the one
// given, else retrieval's default with the local GloVe embedder and off
// with a remote one, where sentence re-ranking costs an embedding request
// of some 200 sentences per query.
func (c *storeConfig) sentenceWeight() float64 {
	switch {
	case c.Sentence.set:
		return offIfZero(c.Sentence.w)
	case c.Embedder == "glove":
		return local.DefaultSentenceWeight
	default:
		return -1
	}
}

// offIfZero maps a flag's 0 ("off") to retrieval's negative weight.
func offIfZero(w float64) float64 {
	if w == 0 {
		return -1
	}
	return w
}
