package retrieval

import "context"

// Backend is a document store that ragd ingests into and searches: the
// embedded engine (package retrieval/local) is one, a Weaviate cluster
// another. cmd holds a Backend and hands it to web, qa and eval, which
// declare the smaller interfaces they use.
//
// Every method but Close is safe for concurrent use. Methods return errors
// wrapping the package's sentinels (ErrNotFound, ErrInvalid,
// ErrEmbedderMismatch, ErrLocked) where one applies, so that callers map
// them with errors.Is whatever the backend.
type Backend interface {
	// Ingest chunks, embeds and indexes documents, replacing stored
	// documents with the same ID, and reports what it did with each, in
	// order. A document whose text and metadata are unchanged is reported
	// Unchanged and not embedded again. Documents are validated first (see
	// ValidateDocument): one invalid document fails the whole call with an
	// error wrapping ErrInvalid and stores nothing. A result is returned
	// only once the documents are durable; on error, documents already
	// acknowledged by earlier calls are untouched.
	Ingest(ctx context.Context, docs []Document) ([]IngestResult, error)

	// Delete removes a document and its chunks, or returns an error
	// wrapping ErrNotFound.
	Delete(ctx context.Context, id string) error

	// Get returns a stored document with its chunks in order, or an error
	// wrapping ErrNotFound.
	Get(ctx context.Context, id string) (StoredDocument, error)

	// List returns documents ordered by ID, skipping offset and returning
	// at most limit, with the total number of documents.
	List(ctx context.Context, offset, limit int) ([]DocumentInfo, int, error)

	// Scan calls fn with every stored document, without its chunks, at
	// most page documents a call, in an order of the backend's choosing,
	// until every document has been seen, fn returns an error (which Scan
	// returns as is) or ctx ends. A document written or deleted during a
	// scan may or may not be seen. Whole-store passes (the story index)
	// scan, in time linear in the store, where paging List by offset is
	// quadratic and, on Weaviate, ends at its query window.
	Scan(ctx context.Context, page int, fn func([]Document) error) error

	// Search ranks chunks for a query (see SearchRequest): K must be in
	// 1..MaxK, the filter applies before ranking, and quoted phrases must
	// appear verbatim in every hit. An empty store returns no hits and no
	// error. The backend applies the request's weights (or its configured
	// ones): document weight (DocWeight) is its own, since it mixes each
	// document's BM25 score into the lexical ranking before fusion;
	// sentence re-ranking and recency, applied in that order to the fused
	// ranking, are package retrieval/rank's, so that every backend ranks
	// alike.
	Search(ctx context.Context, req SearchRequest) ([]Hit, error)

	// IDF returns the chunk-level inverse document frequency of each
	// analysed term (see package retrieval/analysis), as BM25 computes it:
	// log(1 + (N-df+0.5)/(df+0.5)) over the N chunks stored. A term absent
	// from the index weighs the most. The answerer weighs question terms
	// with it.
	IDF(terms []string) []float64

	// Stats describes what the backend holds.
	Stats(ctx context.Context) (Stats, error)

	// Close releases the backend's resources (files, locks, connections).
	// Acknowledged writes are already durable. The backend must not be
	// used after Close.
	Close() error
}

// Stats describes the contents of a backend.
type Stats struct {
	// Documents and Chunks count what is stored.
	Documents, Chunks int
	// Embedder names the embedding model the backend's chunks are
	// embedded with (Embedder.Name).
	Embedder string
	// Analysis is the version of the text analysis that produced the
	// stored terms (analysis.Version).
	Analysis int
}

// Embedder turns texts into vectors, one per text, in order.
// Name identifies the model; the store records it and refuses another.
type Embedder interface {
	Name() string
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}
