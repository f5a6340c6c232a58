package dedup

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
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
//
// Documents sit in numbered slots (a removed one's is reused), and each of
// a signature's bands is a link in a chain of the slots sharing its key:
// heads maps a band key to the first link, next continues each chain. A
// document costs its signature, its IDs and about a kilobyte of bands,
// where a map of keys to lists of IDs took twice as much.
type Index struct {
	threshold float64

	mu    sync.Mutex
	slot  map[string]uint32 // document ID -> slot
	slots []entry
	free  []uint32
	heads map[uint64]uint32 // band key -> first link, slot*numBands+band
	next  []uint32          // by link: the next link of its chain, or noLink
}

// noLink ends a chain.
const noLink = ^uint32(0)

type entry struct {
	id, story string
	sig       Signature
}

// NewIndex returns an empty index; threshold 0 means DefaultThreshold.
func NewIndex(threshold float64) *Index {
	return &Index{
		threshold: cmp.Or(threshold, DefaultThreshold),
		slot:      make(map[string]uint32),
		heads:     make(map[uint64]uint32),
	}
}

// Grow makes room for n more documents, so that loading a store's
// documents does not grow the index's tables again and again, each time
// leaving the smaller ones as garbage.
func (ix *Index) Grow(n int) {
	if n <= 0 {
		return
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if len(ix.slot) == 0 {
		ix.slot = make(map[string]uint32, n)
		ix.heads = make(map[uint64]uint32, n*numBands)
	}
	ix.slots = slices.Grow(ix.slots, n)
	ix.next = slices.Grow(ix.next, n*numBands)
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
	prevStory := ""
	if n, had := ix.slot[id]; had {
		prevStory = ix.slots[n].story
	}
	ix.remove(id)
	if !ok {
		return cmp.Or(prevStory, StoryID(id)), ""
	}
	best, bestStory, bestSim := "", "", 0.0
	seen := make(map[uint32]bool)
	for _, k := range sig.bands() {
		link, found := ix.heads[k]
		for ; found && link != noLink; link = ix.next[link] {
			n := link / numBands
			if seen[n] {
				continue
			}
			seen[n] = true
			other := &ix.slots[n]
			if s := sig.Similarity(&other.sig); s >= ix.threshold && (s > bestSim || s == bestSim && other.id < best) {
				best, bestStory, bestSim = other.id, other.story, s
			}
		}
	}
	story = cmp.Or(bestStory, prevStory, StoryID(id))
	ix.add(entry{id: id, sig: sig, story: story})
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
		ix.add(entry{id: id, sig: sig, story: story})
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
	return len(ix.slot)
}

func (ix *Index) add(e entry) {
	var n uint32
	if k := len(ix.free); k > 0 {
		n = ix.free[k-1]
		ix.free = ix.free[:k-1]
		ix.slots[n] = e
	} else {
		n = uint32(len(ix.slots))
		ix.slots = append(ix.slots, e)
		ix.next = append(ix.next, make([]uint32, numBands)...)
	}
	ix.slot[e.id] = n
	for b, k := range e.sig.bands() {
		link := n*numBands + uint32(b)
		head, found := ix.heads[k]
		if !found {
			head = noLink
		}
		ix.next[link] = head
		ix.heads[k] = link
	}
}

func (ix *Index) remove(id string) {
	n, ok := ix.slot[id]
	if !ok {
		return
	}
	delete(ix.slot, id)
	e := &ix.slots[n]
	for b, k := range e.sig.bands() {
		link := n*numBands + uint32(b)
		head := ix.heads[k]
		switch {
		case head == link && ix.next[link] == noLink:
			delete(ix.heads, k)
		case head == link:
			ix.heads[k] = ix.next[link]
		default:
			prev := head
			for ix.next[prev] != link {
				prev = ix.next[prev]
			}
			ix.next[prev] = ix.next[link]
		}
	}
	*e = entry{}
	ix.free = append(ix.free, n)
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
