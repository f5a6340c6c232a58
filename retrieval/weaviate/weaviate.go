// Package weaviate is a ragd backend on a Weaviate cluster: chunks, their
// vectors (computed by ragd's embedder) and ragd's analysed terms live in a
// Weaviate collection, searched by BM25 over those terms and by vector
// similarity, and ranked by ragd's own fusion, so that it ranks like the
// embedded store while Weaviate shards and replicates the data.
package weaviate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
	"golang.org/x/sync/singleflight"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/analysis"
	"github.com/ragd/ragd/retrieval/chunk"
	"github.com/ragd/ragd/retrieval/rank"
)

// Defaults applied to zero Config fields.
const (
	// DefaultCollection is the name of the chunk collection; documents go
	// in DefaultCollection+"Document".
	DefaultCollection = "RagdChunk"
	// DefaultConsistency is the consistency level of reads and writes: a
	// majority of a shard's replicas must answer.
	DefaultConsistency = "QUORUM"
	// DefaultBatch is how many objects one batch request writes.
	DefaultBatch = 500
	// DefaultWriters is how many groups of documents one Ingest writes
	// at once: with one batch request at a time, Weaviate waits while
	// ragd builds and sends the next.
	DefaultWriters = 4
	// DefaultTimeout bounds each request to Weaviate.
	DefaultTimeout = 60 * time.Second
	// DefaultTermSample is how many chunks the sample of term statistics
	// reads (see Backend.IDF).
	DefaultTermSample = 8192
)

// Ranking defaults: the embedded store's (package retrieval/local), so
// that both backends rank alike unless configured otherwise.
const (
	DefaultBM25K1          = 0.9
	DefaultBM25B           = 0.6
	DefaultCandidates      = 100
	DefaultDocWeight       = 0.5
	DefaultRecencyWeight   = 0.5
	DefaultRecencyHalfLife = 30 * 24 * time.Hour
	DefaultSentenceWeight  = 0.8
	DefaultEmbedBatch      = 256
)

// Config configures a Backend.
type Config struct {
	// URL is Weaviate's REST address, such as http://localhost:8080.
	// Required.
	URL string
	// APIKey authenticates with Weaviate when set.
	APIKey string
	// Collection names the chunk collection (DefaultCollection when
	// empty); it must start with an upper-case letter.
	Collection string
	// Replicas is the replication factor of collections ragd creates;
	// zero leaves Weaviate's default (1). An existing collection keeps its
	// own.
	Replicas int
	// Consistency is ONE, QUORUM or ALL (DefaultConsistency when empty).
	Consistency string
	// Embedder embeds chunks and queries. Required.
	Embedder retrieval.Embedder
	// Chunk controls chunking; zero fields take the chunk package's
	// defaults.
	Chunk chunk.Options
	// K1 and B are the BM25 parameters, set in the collections' inverted
	// index configuration (DefaultBM25K1 and DefaultBM25B when zero).
	K1, B float64
	// Fusion, DocWeight, RecencyWeight, RecencyHalfLife, SentenceWeight
	// and Candidates mean what they mean for the embedded store
	// (local.Config) and take the same defaults.
	Fusion          retrieval.Fusion
	DocWeight       float64
	RecencyWeight   float64
	RecencyHalfLife time.Duration
	SentenceWeight  float64
	Candidates      int
	// EmbedBatch is the number of texts per embedding call.
	EmbedBatch int
	// Batch is the number of objects per batch write (DefaultBatch when
	// zero).
	Batch int
	// Writers is how many groups of documents, of about Batch chunks
	// each, one Ingest writes at once, each group its chunks and then its
	// document objects (DefaultWriters when zero; 1 or less writes one
	// group at a time).
	Writers int
	// Timeout bounds each request (DefaultTimeout when zero).
	Timeout time.Duration
	// TermSample is how many chunks the sample of term statistics reads
	// (DefaultTermSample when zero): document frequencies of terms common
	// in a larger collection are estimated from it (see Backend.IDF).
	TermSample int
	// Logger receives warnings. Nil discards them.
	Logger *slog.Logger
}

// Backend stores and searches documents in Weaviate. It is safe for
// concurrent use; writes to one document are not serialised against each
// other across processes (the last writer wins), as with any client of a
// shared database.
type Backend struct {
	cfg    Config
	client *wv.Client
	chunks string // chunk collection
	docs   string // document collection
	meta   schemaMeta
	// replicated is set when the chunk collection has more than one
	// replica: reads then name the consistency level.
	replicated bool
	analyzer   analysis.Analyzer
	// sentences caches what sentence re-ranking computes of a sentence.
	sentences *rank.SentenceCache

	// idfMu guards the term statistics (see idf.go): stats, the cached
	// counts; sample, the term sample; sampling, set while it is drawn
	// in the background; sampleFailed, when a draw last failed.
	// draws lets concurrent searches wait for one draw.
	idfMu        sync.Mutex
	stats        *termStats
	sample       *termSample
	sampling     bool
	sampleFailed time.Time
	// writes counts this process's writes (the write generation).
	writes uint64
	draws  singleflight.Group
	// closed is set by Close, under idfMu: no background work starts
	// after it.
	closed bool
	// lifetime ends at Close, which waits for background work.
	lifetime   context.Context
	stop       context.CancelFunc
	background sync.WaitGroup
}

var _ retrieval.Backend = (*Backend)(nil)

// Open connects to Weaviate, creates ragd's collections when they do not
// exist and checks them when they do: a collection indexed with another
// embedder, dimension or text analysis is refused with an error wrapping
// retrieval.ErrEmbedderMismatch that says how to re-index. An unreachable
// Weaviate gives an error wrapping retrieval.ErrUnavailable.
func Open(ctx context.Context, cfg Config) (*Backend, error) {
	if cfg.Embedder == nil {
		return nil, fmt.Errorf("open weaviate: %w: no embedder", retrieval.ErrInvalid)
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("open weaviate: %w: url %q is not http(s)://host[:port]", retrieval.ErrInvalid, cfg.URL)
	}
	cfg.Collection = cmp.Or(cfg.Collection, DefaultCollection)
	if !validClassName(cfg.Collection) {
		return nil, fmt.Errorf("open weaviate: %w: collection %q must start with an upper-case letter and hold only letters, digits and _", retrieval.ErrInvalid, cfg.Collection)
	}
	cfg.Consistency = strings.ToUpper(cmp.Or(cfg.Consistency, DefaultConsistency))
	switch cfg.Consistency {
	case "ONE", "QUORUM", "ALL":
	default:
		return nil, fmt.Errorf("open weaviate: %w: consistency %q is not ONE, QUORUM or ALL", retrieval.ErrInvalid, cfg.Consistency)
	}
	if cfg.Replicas < 0 {
		return nil, fmt.Errorf("open weaviate: %w: replicas must not be negative", retrieval.ErrInvalid)
	}
	if cfg.DocWeight >= 1 || cfg.RecencyWeight >= 1 || cfg.SentenceWeight >= 1 || cfg.RecencyHalfLife < 0 {
		return nil, fmt.Errorf("open weaviate: %w: document, recency and sentence weights must be below 1 and the half-life not negative", retrieval.ErrInvalid)
	}
	cfg.Chunk.TargetTokens = cmp.Or(cfg.Chunk.TargetTokens, chunk.DefaultTokens)
	cfg.Chunk.OverlapTokens = cmp.Or(cfg.Chunk.OverlapTokens, chunk.DefaultOverlap)
	cfg.K1 = cmp.Or(cfg.K1, DefaultBM25K1)
	cfg.B = cmp.Or(cfg.B, DefaultBM25B)
	cfg.Candidates = cmp.Or(cfg.Candidates, DefaultCandidates)
	cfg.DocWeight = cmp.Or(cfg.DocWeight, DefaultDocWeight)
	cfg.RecencyWeight = cmp.Or(cfg.RecencyWeight, DefaultRecencyWeight)
	cfg.RecencyHalfLife = cmp.Or(cfg.RecencyHalfLife, DefaultRecencyHalfLife)
	cfg.TermSample = cmp.Or(cfg.TermSample, DefaultTermSample)
	cfg.SentenceWeight = cmp.Or(cfg.SentenceWeight, DefaultSentenceWeight)
	cfg.EmbedBatch = cmp.Or(cfg.EmbedBatch, DefaultEmbedBatch)
	cfg.Batch = cmp.Or(cfg.Batch, DefaultBatch)
	cfg.Writers = cmp.Or(cfg.Writers, DefaultWriters)
	cfg.Timeout = cmp.Or(cfg.Timeout, DefaultTimeout)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}

	wcfg := wv.Config{Host: u.Host, Scheme: u.Scheme, Timeout: cfg.Timeout}
	if cfg.APIKey != "" {
		// What the client's auth.ApiKey sends, without its start-up wait.
		wcfg.Headers = map[string]string{"Authorization": "Bearer " + cfg.APIKey}
	}
	client, err := wv.NewClient(wcfg)
	if err != nil {
		return nil, fmt.Errorf("open weaviate %s: %w", cfg.URL, classify(err))
	}
	b := &Backend{cfg: cfg, client: client, chunks: cfg.Collection, docs: cfg.Collection + "Document",
		sentences: rank.NewSentenceCache(rank.DefaultSentenceCache)}
	b.lifetime, b.stop = context.WithCancel(context.Background())
	if err := b.ping(ctx); err != nil {
		return nil, fmt.Errorf("open weaviate %s: %w", cfg.URL, err)
	}
	if err := b.ensureSchema(ctx); err != nil {
		return nil, fmt.Errorf("open weaviate %s: %w", cfg.URL, err)
	}
	return b, nil
}

// ping checks that Weaviate answers and is ready.
func (b *Backend) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	ready, err := b.client.Misc().ReadyChecker().Do(ctx)
	if err != nil {
		return classify(err)
	}
	if !ready {
		return fmt.Errorf("%w: weaviate is not ready", retrieval.ErrUnavailable)
	}
	return nil
}

// ServerVersion is the version of Weaviate that the backend talks to, as
// its meta endpoint reports it.
func (b *Backend) ServerVersion(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	meta, err := b.client.Misc().MetaGetter().Do(ctx)
	if err != nil {
		return "", classify(err)
	}
	return meta.Version, nil
}

// Close stops background work and releases the client. Acknowledged
// writes are already in Weaviate.
func (b *Backend) Close() error {
	b.idfMu.Lock()
	b.closed = true
	b.idfMu.Unlock()
	b.stop()
	b.background.Wait()
	return nil
}

// Stats counts the stored documents and chunks.
func (b *Backend) Stats(ctx context.Context) (retrieval.Stats, error) {
	docs, err := b.count(ctx, b.docs, nil)
	if err != nil {
		return retrieval.Stats{}, fmt.Errorf("stats: %w", err)
	}
	chunks, err := b.count(ctx, b.chunks, nil)
	if err != nil {
		return retrieval.Stats{}, fmt.Errorf("stats: %w", err)
	}
	return retrieval.Stats{Documents: docs, Chunks: chunks, Embedder: b.meta.Embedder, Analysis: b.meta.Analysis}, nil
}

// Embedder returns the name of the embedding model the collection holds
// vectors of.
func (b *Backend) Embedder() string { return b.meta.Embedder }

// validClassName reports whether s is a Weaviate class name ragd accepts.
func validClassName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' || len(s) > 200 {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// errNoClass is returned by queries on a collection that does not exist.
var errNoClass = errors.New("collection does not exist")
