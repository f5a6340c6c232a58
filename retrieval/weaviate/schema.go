package weaviate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/weaviate/weaviate-go-client/v5/weaviate/fault"
	"github.com/weaviate/weaviate/entities/models"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/analysis"
)

// Property names of the chunk and document collections.
const (
	propChunkID   = "chunkId"
	propDocID     = "docId"
	propIndex     = "chunkIndex"
	propText      = "text"
	propSection   = "section"
	propStart     = "startOffset"
	propEnd       = "endOffset"
	propTitle     = "title"
	propSource    = "source"
	propAuthor    = "author"
	propPublished = "published"
	propTerms     = "terms"
	propSections  = "sections"
	propHash      = "hash"
	propChunks    = "chunks"
	propChars     = "chars"
	propModified  = "modified"
	propLanguage  = "language"
	propSiteName  = "siteName"
	propStoryID   = "storyId"
)

// schemaFormat is the version of the collections' layout below.
const schemaFormat = 2

// descriptionPrefix starts the description of ragd's chunk collection; the
// rest is the JSON of a schemaMeta.
const descriptionPrefix = "ragd chunks "

// schemaMeta is what ragd records in the chunk collection's description:
// what its vectors and terms were made with.
type schemaMeta struct {
	Format   int    `json:"format"`
	Embedder string `json:"embedder"`
	Dim      int    `json:"dim"`
	Analysis int    `json:"analysis"`
}

// ensureSchema creates the collections when absent and checks them when
// present.
func (b *Backend) ensureSchema(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	vs, err := b.cfg.Embedder.Embed(ctx, []string{"ragd"})
	if err != nil {
		return fmt.Errorf("embed a probe for the dimension: %w", err)
	}
	if len(vs) != 1 || len(vs[0]) == 0 {
		return fmt.Errorf("embed a probe for the dimension: %s returned no vector", b.cfg.Embedder.Name())
	}
	want := schemaMeta{Format: schemaFormat, Embedder: b.cfg.Embedder.Name(), Dim: len(vs[0]), Analysis: analysis.Version}
	b.meta = want

	chunkClass, err := b.getClass(ctx, b.chunks)
	if err != nil {
		return err
	}
	if chunkClass == nil {
		for _, c := range []*models.Class{b.documentClass(), b.chunkClass(want)} {
			if err := b.createClass(ctx, c); err != nil {
				return err
			}
		}
		// Another ragd may have created them first, with its settings.
		if chunkClass, err = b.getClass(ctx, b.chunks); err != nil {
			return err
		}
		if chunkClass == nil {
			return fmt.Errorf("%w: collection %s vanished after its creation", retrieval.ErrUnavailable, b.chunks)
		}
	}
	b.replicated = chunkClass.ReplicationConfig != nil && chunkClass.ReplicationConfig.Factor > 1
	got, ok := parseMeta(chunkClass.Description)
	if !ok {
		return fmt.Errorf("%w: collection %s exists but was not created by ragd; choose another with --weaviate-collection",
			retrieval.ErrEmbedderMismatch, b.chunks)
	}
	reindex := fmt.Sprintf("re-index: delete the collections %s and %s (DELETE /v1/schema/%s and /v1/schema/%s) and ingest again, or use another --weaviate-collection",
		b.chunks, b.docs, b.chunks, b.docs)
	switch {
	case got.Format != want.Format:
		return fmt.Errorf("%w: collection %s has ragd layout %d, not %d; %s", retrieval.ErrEmbedderMismatch, b.chunks, got.Format, want.Format, reindex)
	case got.Embedder != want.Embedder || got.Dim != want.Dim:
		return fmt.Errorf("%w: collection %s was indexed with %q (dimension %d) but ragd is using %q (dimension %d); %s, or choose the original embedder",
			retrieval.ErrEmbedderMismatch, b.chunks, got.Embedder, got.Dim, want.Embedder, want.Dim, reindex)
	case got.Analysis != want.Analysis:
		return fmt.Errorf("%w: collection %s holds terms of text analysis version %d, ragd analyses with version %d; %s",
			retrieval.ErrEmbedderMismatch, b.chunks, got.Analysis, want.Analysis, reindex)
	}
	if err := b.checkBM25(ctx, chunkClass); err != nil {
		return err
	}
	docClass, err := b.getClass(ctx, b.docs)
	if err != nil {
		return err
	}
	if docClass == nil {
		// Created with the chunks; gone means someone deleted it.
		return b.createClass(ctx, b.documentClass())
	}
	return b.checkBM25(ctx, docClass)
}

// checkBM25 sets the configured k1 and b on a collection whose BM25
// parameters differ; Weaviate lets them change without re-indexing.
func (b *Backend) checkBM25(ctx context.Context, c *models.Class) error {
	k1, bb := float32(b.cfg.K1), float32(b.cfg.B)
	if c.InvertedIndexConfig != nil && c.InvertedIndexConfig.Bm25 != nil &&
		c.InvertedIndexConfig.Bm25.K1 == k1 && c.InvertedIndexConfig.Bm25.B == bb {
		return nil
	}
	if c.InvertedIndexConfig == nil {
		c.InvertedIndexConfig = &models.InvertedIndexConfig{}
	}
	c.InvertedIndexConfig.Bm25 = &models.BM25Config{K1: k1, B: bb}
	if err := b.client.Schema().ClassUpdater().WithClass(c).Do(ctx); err != nil {
		return fmt.Errorf("set bm25 k1 and b of %s: %w", c.Class, classify(err))
	}
	return nil
}

func parseMeta(desc string) (schemaMeta, bool) {
	rest, ok := strings.CutPrefix(desc, descriptionPrefix)
	if !ok {
		return schemaMeta{}, false
	}
	var m schemaMeta
	if err := json.Unmarshal([]byte(rest), &m); err != nil {
		return schemaMeta{}, false
	}
	return m, true
}

// getClass returns a collection's definition, or nil if it does not exist.
func (b *Backend) getClass(ctx context.Context, name string) (*models.Class, error) {
	c, err := b.client.Schema().ClassGetter().WithClassName(name).Do(ctx)
	var fe *fault.WeaviateClientError
	if errors.As(err, &fe) && fe.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get collection %s: %w", name, classify(err))
	}
	return c, nil
}

// createClass creates a collection; one that another ragd created
// meanwhile is fine.
func (b *Backend) createClass(ctx context.Context, c *models.Class) error {
	err := b.client.Schema().ClassCreator().WithClass(c).Do(ctx)
	if err == nil {
		return nil
	}
	var fe *fault.WeaviateClientError
	if errors.As(err, &fe) && fe.StatusCode == http.StatusUnprocessableEntity && strings.Contains(fe.Msg, "already exists") {
		return nil
	}
	return fmt.Errorf("create collection %s: %w", c.Class, classify(err))
}

func ptr[T any](v T) *T { return &v }

// stored is a property kept for reading, in no index.
func stored(name, dataType string) *models.Property {
	return &models.Property{Name: name, DataType: []string{dataType}, IndexFilterable: ptr(false), IndexSearchable: ptr(false), IndexRangeFilters: ptr(false)}
}

// field is a property filtered by its exact value.
func field(name, dataType string) *models.Property {
	p := &models.Property{Name: name, DataType: []string{dataType}, IndexFilterable: ptr(true), IndexRangeFilters: ptr(false)}
	if dataType == "text" {
		p.Tokenization = "field"
		p.IndexSearchable = ptr(false)
	}
	return p
}

// termsProperty holds ragd's analysed terms separated by spaces: Weaviate's
// whitespace tokenization gives back exactly those terms for BM25.
func termsProperty() *models.Property {
	return &models.Property{Name: propTerms, DataType: []string{"text"}, Tokenization: "whitespace",
		IndexSearchable: ptr(true), IndexFilterable: ptr(true), IndexRangeFilters: ptr(false)}
}

func (b *Backend) invertedIndex() *models.InvertedIndexConfig {
	return &models.InvertedIndexConfig{
		Bm25: &models.BM25Config{K1: float32(b.cfg.K1), B: float32(b.cfg.B)},
		// ragd's analysis drops stop words itself; Weaviate's English
		// list would drop more.
		Stopwords:           &models.StopwordConfig{Preset: "none"},
		IndexPropertyLength: false,
	}
}

func (b *Backend) replication() *models.ReplicationConfig {
	if b.cfg.Replicas == 0 {
		return nil
	}
	// Async replication brings a replica that missed writes (a node that
	// was down) up to date; a delete wins over a write it conflicts with,
	// so that a delete a node missed is not undone by that node.
	return &models.ReplicationConfig{Factor: int64(b.cfg.Replicas), AsyncEnabled: b.cfg.Replicas > 1, DeletionStrategy: models.ReplicationConfigDeletionStrategyDeleteOnConflict}
}

// chunkClass is the definition of the chunk collection: a vector per chunk
// (cosine distance, HNSW), ragd's terms for BM25, and the document fields
// that filters and hits need, so that a search reads one collection.
func (b *Backend) chunkClass(m schemaMeta) *models.Class {
	meta, _ := json.Marshal(m)
	return &models.Class{
		Class:               b.chunks,
		Description:         descriptionPrefix + string(meta),
		Vectorizer:          "none",
		VectorIndexType:     "hnsw",
		VectorIndexConfig:   map[string]any{"distance": "cosine"},
		InvertedIndexConfig: b.invertedIndex(),
		ReplicationConfig:   b.replication(),
		Properties: []*models.Property{
			field(propChunkID, "text"),
			field(propDocID, "text"),
			field(propIndex, "int"),
			stored(propText, "text"),
			stored(propSection, "text"),
			stored(propStart, "int"),
			stored(propEnd, "int"),
			stored(propTitle, "text"),
			field(propSource, "text"),
			field(propAuthor, "text"),
			{Name: propPublished, DataType: []string{"date"}, IndexFilterable: ptr(true), IndexRangeFilters: ptr(true)},
			field(propStoryID, "text"),
			termsProperty(),
		},
	}
}

// documentClass is the definition of the document collection: a
// document's text, metadata and content hash, and its terms for the
// document-level BM25 signal. Its objects have no vectors.
func (b *Backend) documentClass() *models.Class {
	return &models.Class{
		Class:               b.docs,
		Description:         "ragd documents of " + b.chunks,
		Vectorizer:          "none",
		VectorIndexConfig:   map[string]any{"skip": true},
		InvertedIndexConfig: b.invertedIndex(),
		ReplicationConfig:   b.replication(),
		Properties: []*models.Property{
			{Name: propDocID, DataType: []string{"text"}, Tokenization: "field", IndexFilterable: ptr(true), IndexSearchable: ptr(false), IndexRangeFilters: ptr(false)},
			stored(propTitle, "text"),
			stored(propText, "text"),
			stored(propSource, "text"),
			stored(propAuthor, "text"),
			stored(propPublished, "date"),
			stored(propSections, "text"),
			stored(propHash, "text"),
			stored(propChunks, "int"),
			stored(propChars, "int"),
			stored(propModified, "date"),
			stored(propLanguage, "text"),
			stored(propSiteName, "text"),
			field(propStoryID, "text"),
			termsProperty(),
		},
	}
}

// Drop deletes the backend's collections and everything in them. The
// backend must not be used afterwards.
func (b *Backend) Drop(ctx context.Context) error {
	for _, class := range []string{b.chunks, b.docs} {
		err := b.client.Schema().ClassDeleter().WithClassName(class).Do(ctx)
		var fe *fault.WeaviateClientError
		if err != nil && !(errors.As(err, &fe) && fe.StatusCode == http.StatusNotFound) {
			return fmt.Errorf("drop collection %s: %w", class, classify(err))
		}
	}
	return nil
}
