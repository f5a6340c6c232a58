package dedup

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"

	"github.com/ragd/ragd/retrieval"
)

// DefaultThreshold is the estimated Jaccard similarity of word shingles
// at and above which two texts are copies of one story. Lightly edited and
// re-furnished copies score 0.6 and more; separate reports of one event,
// which share facts but not sentences, score under 0.15.
const DefaultThreshold = 0.5

// Index holds the signatures of stored documents and the story each
// belongs to. It is safe for concurrent use.
type Index struct {
	threshold float64

	mu      sync.Mutex
	docs    map[string]*entry
	buckets map[uint64][]string // band key -> document IDs
}

type entry struct {
	sig   Signature
	story string
}

// NewIndex returns an empty index; threshold 0 means DefaultThreshold.
func NewIndex(threshold float64) *Index {
	return &Index{
		threshold: cmp.Or(threshold, DefaultThreshold),
		docs:      make(map[string]*entry),
		buckets:   make(map[uint64][]string),
	}
}

// StoryID returns the story ID a document founding a story gets: "story-"
// and 12 hex digits of its ID's SHA-256.
func StoryID(docID string) string {
	sum := sha256.Sum256([]byte(docID))
	return "story-" + hex.EncodeToString(sum[:6])
}

// Assign adds the document id with text to the index and returns its
// story: that of the most similar indexed document at or above the
// threshold, else a new one (StoryID(id)), and that document's ID ("" for
// a new story). Assigning an ID again replaces its earlier text; a
// document keeps its story while some copy still matches it. A text too
// short to compare founds its own story.
func (ix *Index) Assign(id, text string) (story, like string) {
	sig, ok := Sign(text)
	return ix.AssignSigned(id, sig, ok)
}

// AssignSigned is Assign for a text already signed (Sign's results), so
// that a bulk load signs texts in parallel and assigns them in order.
func (ix *Index) AssignSigned(id string, sig Signature, ok bool) (story, like string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	prev := ix.docs[id]
	ix.remove(id)
	if !ok {
		story = StoryID(id)
		if prev != nil {
			story = prev.story
		}
		return story, ""
	}
	best, bestSim := "", 0.0
	seen := make(map[string]bool)
	for _, k := range sig.bands() {
		for _, other := range ix.buckets[k] {
			if seen[other] {
				continue
			}
			seen[other] = true
			if s := sig.Similarity(&ix.docs[other].sig); s >= ix.threshold && (s > bestSim || s == bestSim && other < best) {
				best, bestSim = other, s
			}
		}
	}
	switch {
	case best != "":
		story = ix.docs[best].story
	case prev != nil:
		story = prev.story
	default:
		story = StoryID(id)
	}
	ix.add(id, &entry{sig: sig, story: story})
	return story, best
}

// Set records that document id with text belongs to story, as read back
// from a store.
func (ix *Index) Set(id, text, story string) {
	sig, ok := Sign(text)
	ix.SetSigned(id, sig, ok, story)
}

// SetSigned is Set for a text already signed.
func (ix *Index) SetSigned(id string, sig Signature, ok bool, story string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.remove(id)
	if ok {
		ix.add(id, &entry{sig: sig, story: story})
	}
}

// Remove forgets document id.
func (ix *Index) Remove(id string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.remove(id)
}

// Len returns how many documents the index holds.
func (ix *Index) Len() int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return len(ix.docs)
}

func (ix *Index) add(id string, e *entry) {
	ix.docs[id] = e
	for _, k := range e.sig.bands() {
		ix.buckets[k] = append(ix.buckets[k], id)
	}
}

func (ix *Index) remove(id string) {
	e, ok := ix.docs[id]
	if !ok {
		return
	}
	delete(ix.docs, id)
	for _, k := range e.sig.bands() {
		ids := ix.buckets[k]
		for i, other := range ids {
			if other == id {
				ids[i] = ids[len(ids)-1]
				ids = ids[:len(ids)-1]
				break
			}
		}
		if len(ids) == 0 {
			delete(ix.buckets, k)
		} else {
			ix.buckets[k] = ids
		}
	}
}

// Ingester stores and removes documents.
type Ingester interface {
	Ingest(ctx context.Context, docs []retrieval.Document) ([]retrieval.IngestResult, error)
	Delete(ctx context.Context, id string) error
}

// Writer gives each document its story ID before handing it to the
// ingester it wraps, and keeps the index in step with deletions.
type Writer struct {
	Index *Index
	Next  Ingester
	// Ready, when set, is closed once Index holds the stored documents:
	// writes wait for it, so that a server can answer searches while its
	// index of stories is still being built.
	Ready <-chan struct{}
}

// wait blocks until the index is ready.
func (w Writer) wait(ctx context.Context) error {
	if w.Ready == nil {
		return nil
	}
	select {
	case <-w.Ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Ingest sets each document's StoryID and stores the documents. A story
// ID the document already carries is kept.
func (w Writer) Ingest(ctx context.Context, docs []retrieval.Document) ([]retrieval.IngestResult, error) {
	if err := w.wait(ctx); err != nil {
		return nil, err
	}
	out := make([]retrieval.Document, len(docs))
	for i, d := range docs {
		story, _ := w.Index.Assign(d.ID, d.Text)
		if d.StoryID == "" {
			d.StoryID = story
		}
		out[i] = d
	}
	res, err := w.Next.Ingest(ctx, out)
	if err != nil {
		for _, d := range out {
			w.Index.Remove(d.ID)
		}
	}
	return res, err
}

// Delete removes the document from the store and the index.
func (w Writer) Delete(ctx context.Context, id string) error {
	if err := w.wait(ctx); err != nil {
		return err
	}
	if err := w.Next.Delete(ctx, id); err != nil {
		return err
	}
	w.Index.Remove(id)
	return nil
}
