package weaviate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-openapi/strfmt"
	"github.com/google/uuid"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"
	"github.com/weaviate/weaviate/entities/models"
	"golang.org/x/sync/errgroup"

	"github.com/ragd/ragd/embed"
	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/chunk"
)

// namespace is the UUIDv5 namespace of ragd's object IDs: an object's ID
// is a function of its chunk or document ID, so a re-ingest overwrites.
var namespace = uuid.MustParse("6f0c1d7e-5a52-4b0e-9d3e-72616764a001")

// chunkUUID is the object ID of the chunk with this ID.
func chunkUUID(chunkID string) strfmt.UUID {
	return strfmt.UUID(uuid.NewSHA1(namespace, []byte("chunk\x00"+chunkID)).String())
}

// docUUID is the object ID of the document with this ID.
func docUUID(docID string) strfmt.UUID {
	return strfmt.UUID(uuid.NewSHA1(namespace, []byte("document\x00"+docID)).String())
}

// storedDoc is what the document collection says of a stored document.
type storedDoc struct {
	DocID     string  `json:"docId"`
	Title     string  `json:"title"`
	Text      string  `json:"text"`
	Source    string  `json:"source"`
	Author    string  `json:"author"`
	Published *string `json:"published"`
	Sections  string  `json:"sections"`
	Hash      string  `json:"hash"`
	Chunks    int     `json:"chunks"`
	Chars     int     `json:"chars"`
	Modified  *string `json:"modified"`
	Language  string  `json:"language"`
	SiteName  string  `json:"siteName"`
	StoryID   string  `json:"storyId"`
}

// change is a document to write.
type change struct {
	doc     retrieval.Document
	hash    string
	chunks  []*retrieval.Chunk
	vectors [][]float32
	// oldChunks is the stored version's number of chunks (0 when new).
	oldChunks int
}

// Ingest adds or replaces documents (see retrieval.Backend). Each changed
// document's chunks are written first, then its leftover old chunks are
// deleted, then its document object, which carries the content hash: an
// interrupted ingest leaves the old hash, so the next ingest of the same
// document writes it again.
func (b *Backend) Ingest(ctx context.Context, docs []retrieval.Document) ([]retrieval.IngestResult, error) {
	seen := make(map[string]int, len(docs))
	for i := range docs {
		if err := retrieval.NormalizeDocument(&docs[i]); err != nil {
			return nil, fmt.Errorf("ingest: %w", err)
		}
		if j, dup := seen[docs[i].ID]; dup {
			return nil, fmt.Errorf("ingest: %w: document %q appears twice (items %d and %d)", retrieval.ErrInvalid, docs[i].ID, j, i)
		}
		seen[docs[i].ID] = i
	}
	results := make([]retrieval.IngestResult, len(docs))
	if len(docs) == 0 {
		return results, nil
	}
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	old, err := b.storedDocs(ctx, ids, propHash, propChunks)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	var changes []*change
	var texts []string
	for i, d := range docs {
		h := b.hashOf(d)
		results[i] = retrieval.IngestResult{ID: d.ID, Status: retrieval.Added}
		ch := &change{doc: d, hash: h}
		if o, ok := old[d.ID]; ok {
			if o.Hash == h {
				results[i] = retrieval.IngestResult{ID: d.ID, Chunks: o.Chunks, Status: retrieval.Unchanged}
				continue
			}
			results[i].Status = retrieval.Updated
			ch.oldChunks = o.Chunks
		}
		ch.chunks = chunk.Document(d, b.cfg.Chunk)
		results[i].Chunks = len(ch.chunks)
		for _, c := range ch.chunks {
			texts = append(texts, chunk.IndexText(d, c))
		}
		changes = append(changes, ch)
	}
	if len(changes) == 0 {
		return results, nil
	}
	vectors, err := b.embed(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	for _, ch := range changes {
		ch.vectors, vectors = vectors[:len(ch.chunks)], vectors[len(ch.chunks):]
		for _, v := range ch.vectors {
			if len(v) != b.meta.Dim {
				return nil, fmt.Errorf("ingest: %w: the collection holds %d-dimensional vectors from %q but got %d dimensions; re-index into a new collection",
					retrieval.ErrEmbedderMismatch, b.meta.Dim, b.meta.Embedder, len(v))
			}
		}
	}
	if err := b.write(ctx, changes); err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	b.forgetTermStats()
	return results, nil
}

// write stores changed documents in groups of about cfg.Batch chunks,
// cfg.Writers groups at a time (see writeGroup).
func (b *Backend) write(ctx context.Context, changes []*change) error {
	var groups [][]*change
	start, n := 0, 0
	for i, ch := range changes {
		if i > start && n+len(ch.chunks) > b.cfg.Batch {
			groups = append(groups, changes[start:i])
			start, n = i, 0
		}
		n += len(ch.chunks)
	}
	groups = append(groups, changes[start:])
	// After a group fails, the others under way are cancelled and no
	// further one starts.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, b.cfg.Writers))
	for _, group := range groups {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return b.writeGroup(gctx, group) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// writeGroup stores changed documents: chunks, then the removal of
// leftover chunks, then the document objects, so that a document's object,
// which carries its content hash, is written only once its chunks are.
func (b *Backend) writeGroup(ctx context.Context, changes []*change) error {
	var objs []*models.Object
	for _, ch := range changes {
		for i, c := range ch.chunks {
			objs = append(objs, b.chunkObject(ch.doc, c, ch.vectors[i]))
		}
	}
	if err := b.batch(ctx, objs); err != nil {
		return err
	}
	for _, ch := range changes {
		if ch.oldChunks > len(ch.chunks) {
			where := filters.Where().WithOperator(filters.And).WithOperands([]*filters.WhereBuilder{
				filters.Where().WithPath([]string{propDocID}).WithOperator(filters.Equal).WithValueText(ch.doc.ID),
				filters.Where().WithPath([]string{propIndex}).WithOperator(filters.GreaterThanEqual).WithValueInt(int64(len(ch.chunks))),
			})
			if err := b.deleteWhere(ctx, b.chunks, where); err != nil {
				return fmt.Errorf("delete the old chunks of %q: %w", ch.doc.ID, err)
			}
		}
	}
	docObjs := make([]*models.Object, len(changes))
	for i, ch := range changes {
		docObjs[i] = b.documentObject(ch)
	}
	return b.batch(ctx, docObjs)
}

// batch writes objects in batches of cfg.Batch, failing on the first
// object Weaviate refuses. A batch that fails for want of replicas, or
// times out, is sent again, up to writeAttempts times: the object IDs are
// deterministic, so a batch written twice is written once.
func (b *Backend) batch(ctx context.Context, objs []*models.Object) error {
	for start := 0; start < len(objs); start += b.cfg.Batch {
		part := objs[start:min(start+b.cfg.Batch, len(objs))]
		var err error
		for attempt := range writeAttempts {
			if attempt > 0 {
				b.cfg.Logger.Warn("weaviate: writing a batch again", "attempt", attempt+1, "err", err)
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(time.Duration(attempt) * time.Second):
				}
			}
			if err = b.batchOnce(ctx, part); err == nil || !retryable(ctx, err) {
				break
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// writeAttempts is how many times a batch is sent before its error is
// returned.
const writeAttempts = 3

// retryable reports whether a write that failed with err may succeed if
// sent again: the cluster was unavailable or the request timed out while
// the caller's context is still live.
func retryable(ctx context.Context, err error) bool {
	return ctx.Err() == nil && (errors.Is(err, retrieval.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded))
}

// batchOnce sends one batch.
func (b *Backend) batchOnce(ctx context.Context, objs []*models.Object) error {
	rctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	resp, err := b.client.Batch().ObjectsBatcher().WithObjects(objs...).WithConsistencyLevel(b.cfg.Consistency).Do(rctx)
	if err != nil {
		return fmt.Errorf("write objects: %w", classify(err))
	}
	for _, r := range resp {
		if r.Result != nil && r.Result.Errors != nil && len(r.Result.Errors.Error) > 0 {
			var msgs []string
			for _, e := range r.Result.Errors.Error {
				msgs = append(msgs, e.Message)
			}
			msg := strings.Join(msgs, "; ")
			if unavailableMessage(msg) {
				return fmt.Errorf("write object %s: %w: %s", r.ID, retrieval.ErrUnavailable, msg)
			}
			return fmt.Errorf("write object %s: %w: weaviate refused it: %s", r.ID, retrieval.ErrInvalid, msg)
		}
	}
	return nil
}

// embed embeds texts in batches of cfg.EmbedBatch.
func (b *Backend) embed(ctx context.Context, texts []string) ([][]float32, error) {
	out, err := embed.Batches(ctx, texts, b.cfg.EmbedBatch, b.cfg.Embedder.Embed)
	if err != nil {
		return nil, fmt.Errorf("embed: %s: %w", b.cfg.Embedder.Name(), err)
	}
	return out, nil
}

// chunkObject is the Weaviate object of a chunk of d.
func (b *Backend) chunkObject(d retrieval.Document, c *retrieval.Chunk, vec []float32) *models.Object {
	props := map[string]any{
		propChunkID: c.ID,
		propDocID:   d.ID,
		propIndex:   c.Index,
		propText:    c.Text,
		propSection: c.Section,
		propStart:   c.Start,
		propEnd:     c.End,
		propTitle:   d.Title,
		propSource:  d.Source,
		propAuthor:  d.Author,
		propTerms:   strings.Join(b.analyzer.Terms(chunk.IndexText(d, c)), " "),
	}
	if !d.Published.IsZero() {
		props[propPublished] = d.Published.UTC().Format(time.RFC3339Nano)
	}
	if d.StoryID != "" {
		props[propStoryID] = d.StoryID
	}
	return &models.Object{Class: b.chunks, ID: chunkUUID(c.ID), Vector: vec, Properties: props}
}

// documentObject is the Weaviate object of a changed document.
func (b *Backend) documentObject(ch *change) *models.Object {
	d := ch.doc
	sections, _ := json.Marshal(sectionsJSON(d.Sections))
	props := map[string]any{
		propDocID:    d.ID,
		propTitle:    d.Title,
		propText:     d.Text,
		propSource:   d.Source,
		propAuthor:   d.Author,
		propSections: string(sections),
		propHash:     ch.hash,
		propChunks:   len(ch.chunks),
		propChars:    utf8.RuneCountInString(d.Text),
		propTerms:    strings.Join(b.analyzer.Terms(documentText(d)), " "),
		propLanguage: d.Language,
		propSiteName: d.SiteName,
		propStoryID:  d.StoryID,
	}
	if !d.Published.IsZero() {
		props[propPublished] = d.Published.UTC().Format(time.RFC3339Nano)
	}
	if !d.Modified.IsZero() {
		props[propModified] = d.Modified.UTC().Format(time.RFC3339Nano)
	}
	return &models.Object{Class: b.docs, ID: docUUID(d.ID), Properties: props}
}

// documentText is what the document-level BM25 index holds of d: its
// title, unless the text starts with it, and its text.
func documentText(d retrieval.Document) string {
	if d.Title != "" && !strings.HasPrefix(d.Text, d.Title) {
		return d.Title + "\n" + d.Text
	}
	return d.Text
}

type sectionJSON struct {
	Heading string `json:"heading"`
	Start   int    `json:"start"`
	End     int    `json:"end"`
}

func sectionsJSON(ss []retrieval.Section) []sectionJSON {
	out := make([]sectionJSON, len(ss))
	for i, s := range ss {
		out[i] = sectionJSON{s.Heading, s.Start, s.End}
	}
	return out
}

// hashOf fingerprints everything that determines a document's stored form.
func (b *Backend) hashOf(d retrieval.Document) string {
	h := sha256.New()
	fmt.Fprintf(h, "v2\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%d\x00%d\x00%s\x00%s\x00%s\x00%s\x00",
		d.ID, d.Title, d.Text, d.Source, d.Author, d.Published.UTC().Format(time.RFC3339Nano),
		b.cfg.Chunk.TargetTokens, b.cfg.Chunk.OverlapTokens,
		d.Modified.UTC().Format(time.RFC3339Nano), d.Language, d.SiteName, d.StoryID)
	for _, sec := range d.Sections {
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00", sec.Heading, sec.Start, sec.End)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Delete removes a document and all its chunks, or returns an error
// wrapping retrieval.ErrNotFound. The chunks go first: an interrupted
// delete leaves the document, which a second delete removes.
func (b *Backend) Delete(ctx context.Context, id string) error {
	old, err := b.storedDocs(ctx, []string{id}, propChunks)
	if err != nil {
		return fmt.Errorf("delete %q: %w", id, err)
	}
	if _, ok := old[id]; !ok {
		return fmt.Errorf("delete %q: %w", id, retrieval.ErrNotFound)
	}
	where := filters.Where().WithPath([]string{propDocID}).WithOperator(filters.Equal).WithValueText(id)
	if err := b.deleteWhere(ctx, b.chunks, where); err != nil {
		return fmt.Errorf("delete %q: %w", id, err)
	}
	if err := b.deleteWhere(ctx, b.docs, where); err != nil {
		return fmt.Errorf("delete %q: %w", id, err)
	}
	b.forgetTermStats()
	return nil
}

// deleteWhere deletes the objects of a collection that match where, in as
// many batch deletes as Weaviate's per-request limit needs.
func (b *Backend) deleteWhere(ctx context.Context, class string, where *filters.WhereBuilder) error {
	for {
		rctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
		resp, err := b.client.Batch().ObjectsBatchDeleter().WithClassName(class).WithWhere(where).
			WithOutput("minimal").WithConsistencyLevel(b.cfg.Consistency).Do(rctx)
		cancel()
		if err != nil {
			return fmt.Errorf("delete objects: %w", classify(err))
		}
		if resp.Results == nil {
			return nil
		}
		if resp.Results.Failed > 0 {
			return fmt.Errorf("delete objects: %w: weaviate failed to delete %d of %d", retrieval.ErrUnavailable, resp.Results.Failed, resp.Results.Matches)
		}
		if resp.Results.Limit == 0 || resp.Results.Matches < resp.Results.Limit {
			return nil
		}
	}
}

// storedDocs returns the stored documents among ids, by ID, with the given
// properties (and docId) filled in.
func (b *Backend) storedDocs(ctx context.Context, ids []string, props ...string) (map[string]storedDoc, error) {
	out := make(map[string]storedDoc, len(ids))
	const page = 1000
	fields := []graphql.Field{{Name: propDocID}}
	for _, p := range props {
		fields = append(fields, graphql.Field{Name: p})
	}
	for start := 0; start < len(ids); start += page {
		part := ids[start:min(start+page, len(ids))]
		where := filters.Where().WithPath([]string{propDocID}).WithOperator(filters.ContainsAny).WithValueText(part...)
		var got []storedDoc
		q := b.client.GraphQL().Get().WithClassName(b.docs).WithFields(fields...).WithWhere(where).WithLimit(len(part))
		if err := b.get(ctx, q, b.docs, &got); err != nil {
			return nil, err
		}
		for _, d := range got {
			out[d.DocID] = d
		}
	}
	return out, nil
}

// get runs a GraphQL Get and decodes the objects of class into out.
func (b *Backend) get(ctx context.Context, q *graphql.GetBuilder, class string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	if b.replicated {
		// GraphQL has the argument only for replicated collections.
		q = q.WithConsistencyLevel(b.cfg.Consistency)
	}
	resp, err := q.Do(ctx)
	if err != nil {
		return fmt.Errorf("query %s: %w", class, classify(err))
	}
	if err := graphQLError(resp.Errors); err != nil {
		return fmt.Errorf("query %s: %w", class, err)
	}
	return decodeGet(resp, "Get", class, out)
}

// decodeGet decodes data[op][class] of a GraphQL answer into out.
func decodeGet(resp *models.GraphQLResponse, op, class string, out any) error {
	raw, err := json.Marshal(resp.Data[op])
	if err != nil {
		return fmt.Errorf("decode %s answer: %w", op, err)
	}
	var byClass map[string]json.RawMessage
	if err := json.Unmarshal(raw, &byClass); err != nil {
		return fmt.Errorf("decode %s answer: %w", op, err)
	}
	objs, ok := byClass[class]
	if !ok || string(objs) == "null" {
		return nil
	}
	if err := json.Unmarshal(objs, out); err != nil {
		return fmt.Errorf("decode %s answer of %s: %w", op, class, err)
	}
	return nil
}
