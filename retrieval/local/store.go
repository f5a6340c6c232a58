// Package local is ragd's embedded search engine: chunk vectors scanned
// exactly in memory and a BM25 index over the same chunks, persisted in a
// data directory as a snapshot, a vector file in chromem-go's export format
// and an append-only log of the changes since (see persist.go). *Store
// implements retrieval.Backend.
package local

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/ragd/ragd/embed"
	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/analysis"
	"github.com/ragd/ragd/retrieval/chunk"
	"github.com/ragd/ragd/retrieval/rank"

	"github.com/philippgille/chromem-go"
)

// Defaults applied to zero Config fields.
const (
	// DefaultEmbedBatch is how many chunk texts are embedded per call.
	DefaultEmbedBatch = 256
	// DefaultCandidates is how many results each ranking contributes to fusion.
	DefaultCandidates = 100
	// DefaultDocWeight, DefaultRecencyWeight and DefaultRecencyHalfLife
	// were chosen on the first half of the RealTime QA weeks and checked on
	// SciFact's train split (see README).
	DefaultDocWeight       = 0.5
	DefaultRecencyWeight   = 0.5
	DefaultRecencyHalfLife = 30 * 24 * time.Hour
	// DefaultSentenceWeight was chosen on the first half of SQuAD's
	// articles and checked on the other half, on SciFact and on RealTime QA
	// (see README).
	DefaultSentenceWeight = 0.8
)

// Config configures a Store.
type Config struct {
	// Dir is the data directory. Empty keeps everything in memory.
	Dir string
	// Embedder embeds chunks and queries. Required.
	Embedder retrieval.Embedder
	// Chunk controls chunking; zero fields take package defaults.
	Chunk chunk.Options
	// BM25 holds the lexical ranking parameters.
	BM25 BM25
	// Fusion is the default way dense and lexical rankings are combined.
	Fusion retrieval.Fusion
	// DocWeight is the share of a chunk's lexical score that comes from the
	// BM25 score of its whole document: DefaultDocWeight when zero, none
	// when negative.
	DocWeight float64
	// RecencyWeight is the share of a hit's final score that comes from its
	// document's recency (see SearchRequest.AsOf): DefaultRecencyWeight when
	// zero, none when negative. Undated documents get no recency credit.
	RecencyWeight float64
	// RecencyHalfLife is the age at which a document's recency credit
	// halves: DefaultRecencyHalfLife when zero.
	RecencyHalfLife time.Duration
	// SentenceWeight re-orders the best rank.SentenceDepth fused passages among
	// themselves by (1-w)*relevance + w*(the score of their best sentence),
	// before recency (see rank.Sentences): DefaultSentenceWeight when zero,
	// none when negative. It costs an embedding of every sentence of those
	// passages per query, which is cheap with a local embedder such as GloVe
	// and not with a remote one.
	SentenceWeight float64
	// Candidates is the depth of each ranking before fusion.
	Candidates int
	// EmbedBatch is the number of texts per embedding call.
	EmbedBatch int
	// Logger receives warnings found while opening the store. Nil discards them.
	Logger *slog.Logger
	// Progress, when set, is called as a data directory of an older format
	// is migrated: done of total documents.
	Progress func(done, total int)
}

// chunkTerms returns the terms of chunk i, packed: the record's until it is
// indexed, its entry's after.
func (rec *record) chunkTerms(i int) packedTerms {
	if rec.terms != nil {
		return rec.terms[i]
	}
	return rec.entries[i].terms
}

// documentTerms returns the terms of the whole document, packed.
func (rec *record) documentTerms() packedTerms {
	if rec.docTerms != nil || rec.docEntry == nil {
		return rec.docTerms
	}
	return rec.docEntry.terms
}

// record is a stored document with its chunks.
type record struct {
	doc    retrieval.Document
	hash   string
	chunks []*retrieval.Chunk
	terms  []packedTerms
	// entries are the lexicon entries of the chunks, by chunk index.
	entries []*chunkEntry
	// docTerms are the term frequencies of the whole document (title and
	// text), and docEntry its entry in the document-level statistics. terms
	// and docTerms are dropped once the record is indexed: its entries
	// hold them, packed.
	docTerms packedTerms
	docEntry *chunkEntry
}

// Store is a persistent hybrid index of documents: chunk vectors and a BM25
// index over the same chunks. It is safe for concurrent use; writers are
// serialised.
type Store struct {
	cfg Config
	dir string
	// lock holds the data directory's lock file open until Close (nil in
	// memory and off Unix).
	lock *os.File
	// log is the open log of the current generation, logSize its length
	// and snapSize the length of the generation's snapshot; readOnly
	// reports a data directory that can be searched and not written.
	log               *os.File
	logSize, snapSize int64
	readOnly          bool
	// wmu serialises writers with compaction, which holds mu only for
	// reading so that searches go on.
	wmu sync.Mutex
	// damage lists the quarantined entries; broken holds the records of
	// quarantined documents whose text is whole, by ID.
	damage []Damage
	broken map[string]*record

	mu   sync.RWMutex
	docs map[string]*record
	// sortedIDs caches the IDs of docs in order for List and Scan; writers
	// holding mu clear it, readers build it again.
	sortedIDs atomic.Pointer[[]string]
	lex       *lexicon
	// docStats counts the terms of whole documents, for the
	// document-level BM25 signal.
	docStats *termStats
	// vocab numbers the terms of both lexicons and of the records;
	// emptied collects the term IDs removals left without postings, for
	// forgetDeadTerms.
	vocab   *vocabulary
	emptied []uint32
	// vecs holds the chunks' unit vectors by lexicon ordinal, for dense
	// ranking: a scan of memory in order, which also applies filters that
	// chromem-go cannot.
	vecs     vectorSlab
	byChunk  map[string]*chunkEntry
	meta     storeMeta
	metaPath string
	analyzer analysis.Analyzer
	// sentences caches what sentence re-ranking computes of a sentence.
	sentences *rank.SentenceCache
}

// storeMeta is persisted in ragd.json beside the data.
type storeMeta struct {
	Format   int    `json:"format"`
	Embedder string `json:"embedder"`
	Dim      int    `json:"dim"`
	// Analysis is the version of the text analysis that produced the
	// stored terms; 0 in stores written before it was recorded.
	Analysis int `json:"analysis"`
	// Generation numbers the snapshot, vector file and log in use.
	Generation uint64 `json:"generation"`
}

const (
	metaFile = "ragd.json"
	// collectionName is the chromem-go collection of the vector file.
	collectionName = "chunks"
	lockFile       = "LOCK"
	formatVersion  = 2
)

// Exists reports whether dir holds a store that documents were written
// to, as opposed to a missing or empty directory that Open would create.
func Exists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, metaFile))
	return err == nil
}

// Open opens the store in cfg.Dir, creating it if needed, and loads every
// document. A store indexed with another embedder is refused with an error
// wrapping ErrEmbedderMismatch. Partially written documents, left by a crash,
// are dropped and reported through the logger. On Unix the store holds a
// lock on its directory until Close: a directory another Store, in this
// process or another, has open is refused with an error wrapping ErrLocked.
func Open(ctx context.Context, cfg Config) (_ *Store, err error) {
	if cfg.Embedder == nil {
		return nil, fmt.Errorf("open store: %w: no embedder", retrieval.ErrInvalid)
	}
	if cfg.DocWeight >= 1 || cfg.RecencyWeight >= 1 || cfg.SentenceWeight >= 1 || cfg.RecencyHalfLife < 0 {
		return nil, fmt.Errorf("open store: %w: document, recency and sentence weights must be below 1 and the half-life not negative", retrieval.ErrInvalid)
	}
	cfg.Chunk = chunkDefaults(cfg.Chunk)
	cfg.Candidates = cmp.Or(cfg.Candidates, DefaultCandidates)
	cfg.DocWeight = cmp.Or(cfg.DocWeight, DefaultDocWeight)
	cfg.RecencyWeight = cmp.Or(cfg.RecencyWeight, DefaultRecencyWeight)
	cfg.RecencyHalfLife = cmp.Or(cfg.RecencyHalfLife, DefaultRecencyHalfLife)
	cfg.SentenceWeight = cmp.Or(cfg.SentenceWeight, DefaultSentenceWeight)
	cfg.EmbedBatch = cmp.Or(cfg.EmbedBatch, DefaultEmbedBatch)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{
		cfg:       cfg,
		dir:       cfg.Dir,
		docs:      make(map[string]*record),
		lex:       newLexicon(),
		docStats:  new(termStats),
		vocab:     newVocabulary(),
		byChunk:   make(map[string]*chunkEntry),
		broken:    make(map[string]*record),
		sentences: rank.NewSentenceCache(rank.DefaultSentenceCache),
		meta:      storeMeta{Format: formatVersion, Embedder: cfg.Embedder.Name(), Analysis: analysis.Version},
	}
	if s.dir == "" {
		return s, nil
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if s.lock, err = lockDir(s.dir); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			if s.log != nil {
				s.log.Close()
			}
			if s.lock != nil {
				s.lock.Close()
			}
		}
	}()
	s.metaPath = filepath.Join(s.dir, metaFile)
	if err := s.loadMeta(); err != nil {
		return nil, err
	}
	if s.isLegacy() {
		if err := s.migrate(ctx); err != nil {
			return nil, err
		}
		return s, nil
	}
	if err := s.load(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// refuseEmbedding is the collection's embedding function: ragd always passes
// vectors it computed in batches, so chromem-go must never embed by itself.
func refuseEmbedding(context.Context, string) ([]float32, error) {
	return nil, errors.New("ragd computes embeddings itself")
}

func (s *Store) loadMeta() error {
	b, err := os.ReadFile(s.metaPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read store metadata: %w", err)
	}
	var m storeMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("read store metadata %s: %w", s.metaPath, err)
	}
	if m.Format != formatVersion && m.Format != legacyFormat {
		return fmt.Errorf("open store: format %d in %s is not %d: re-index into a new data directory", m.Format, s.dir, formatVersion)
	}
	if m.Embedder != "" && m.Embedder != s.meta.Embedder {
		return fmt.Errorf("open store: %w: %s was indexed with %q (dimension %d) but ragd is using %q; re-index: delete %s and ingest again, or choose the original embedder",
			retrieval.ErrEmbedderMismatch, s.dir, m.Embedder, m.Dim, s.meta.Embedder, s.dir)
	}
	s.meta.Dim = m.Dim
	s.meta.Analysis = m.Analysis
	s.meta.Format = m.Format
	s.meta.Generation = m.Generation
	return nil
}

func (s *Store) saveMeta() error {
	if s.dir == "" {
		return nil
	}
	b, err := json.MarshalIndent(s.meta, "", "  ")
	if err != nil {
		return fmt.Errorf("save store metadata: %w", err)
	}
	return writeFileAtomic(s.metaPath, b)
}

// Embedder returns the name of the embedding model the store uses.
func (s *Store) Embedder() string { return s.meta.Embedder }

// Len returns the number of documents and chunks in the store.
func (s *Store) Len() (docs, chunks int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.docs), s.lex.n
}

// Stats reports the number of documents and chunks, the embedder and the
// analysis version of the stored terms.
func (s *Store) Stats(context.Context) (retrieval.Stats, error) {
	docs, chunks := s.Len()
	return retrieval.Stats{Documents: docs, Chunks: chunks, Embedder: s.Embedder(), Analysis: analysis.Version}, nil
}

// Close releases the store. Every acknowledged write is already on disk.
func (s *Store) Close() error {
	if s.dir == "" {
		return nil
	}
	var err error
	if s.log != nil {
		err = s.log.Close()
		s.log = nil
	}
	if s.lock != nil {
		// Closing the file releases the lock.
		err = errors.Join(err, s.lock.Close())
		s.lock = nil
	}
	return err
}

// prepared is a document chunked and embedded, ready to be applied.
type prepared struct {
	rec     *record
	vectors [][]float32
	// gen is the vocabulary's generation before rec's terms were numbered.
	gen uint64
	// frame is rec's log frame, encoded before the write lock is taken;
	// nil when it must be encoded under it.
	frame []byte
}

// Ingest adds or replaces documents. A document whose content is unchanged
// since it was stored is skipped without work. Documents are validated first:
// if any is invalid, nothing is written and the error wraps ErrInvalid.
func (s *Store) Ingest(ctx context.Context, docs []retrieval.Document) ([]retrieval.IngestResult, error) {
	for i := range docs {
		if err := retrieval.NormalizeDocument(&docs[i]); err != nil {
			return nil, fmt.Errorf("ingest: %w", err)
		}
	}
	results := make([]retrieval.IngestResult, len(docs))
	type change struct {
		doc  retrieval.Document
		hash string
		res  *retrieval.IngestResult
	}
	var changes []change
	seen := make(map[string]int, len(docs))
	s.mu.RLock()
	for i, d := range docs {
		if j, dup := seen[d.ID]; dup {
			s.mu.RUnlock()
			return nil, fmt.Errorf("ingest: %w: document %q appears twice (items %d and %d)", retrieval.ErrInvalid, d.ID, j, i)
		}
		seen[d.ID] = i
		h := s.hashOf(d)
		results[i] = retrieval.IngestResult{ID: d.ID, Status: retrieval.Added}
		if old, ok := s.docs[d.ID]; ok {
			results[i].Status = retrieval.Updated
			if old.hash == h {
				results[i] = retrieval.IngestResult{ID: d.ID, Chunks: len(old.chunks), Status: retrieval.Unchanged}
				continue
			}
		}
		changes = append(changes, change{doc: d, hash: h, res: &results[i]})
	}
	s.mu.RUnlock()
	if len(changes) == 0 {
		return results, nil
	}

	// Chunk and analyse outside the lock, on every core: searches and
	// other writers go on.
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	todo := make([]*prepared, len(changes))
	indexTexts := make([][]string, len(changes))
	gen := s.vocab.generation() // before numbering the terms
	parallel(len(changes), func(i int) {
		ch := changes[i]
		rec, texts := s.chunkDocument(ch.doc, ch.hash)
		ch.res.Chunks = len(rec.chunks)
		todo[i] = &prepared{rec: rec, gen: gen}
		indexTexts[i] = texts
	})
	var texts []string
	for _, t := range indexTexts {
		texts = append(texts, t...)
	}
	if err := ctx.Err(); err != nil {
		s.mu.Lock()
		s.dropPrepared(todo)
		s.mu.Unlock()
		return nil, fmt.Errorf("ingest: %w", err)
	}

	vectors, err := s.embed(ctx, texts)
	if err != nil {
		s.mu.Lock()
		s.dropPrepared(todo)
		s.mu.Unlock()
		return nil, fmt.Errorf("ingest: %w", err)
	}
	for _, p := range todo {
		p.vectors, vectors = vectors[:len(p.rec.chunks)], vectors[len(p.rec.chunks):]
	}
	if s.dir != "" {
		// The log frames are encoded on every core too; commit encodes
		// again any whose terms were renumbered meanwhile.
		parallel(len(todo), func(i int) {
			if f, err := s.putFrame(nil, todo[i].rec, todo[i].vectors); err == nil {
				todo[i].frame = f
			}
		})
	}

	s.wmu.Lock()
	defer s.wmu.Unlock()
	err = func() error {
		s.mu.Lock()
		defer s.mu.Unlock()
		applied := 0
		defer func() { s.dropPrepared(todo[applied:]) }()
		if err := s.checkDim(todo); err != nil {
			return err
		}
		if err := s.commit(ctx, todo); err != nil {
			return err
		}
		applied = len(todo)
		return nil
	}()
	if err != nil {
		return nil, err
	}
	s.compactIfDue(ctx)
	return results, nil
}

// compactIfDue compacts when the log has grown enough, holding s.mu only
// for reading so that searches go on. The caller holds s.wmu. A failure
// is logged: the writes are in the log, and a later write compacts.
func (s *Store) compactIfDue(ctx context.Context) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.shouldCompact() {
		return
	}
	if err := s.compactLocked(ctx); err != nil {
		s.cfg.Logger.Warn("could not compact the data directory", "err", err)
	}
}

// embed embeds texts in batches of cfg.EmbedBatch.
func (s *Store) embed(ctx context.Context, texts []string) ([][]float32, error) {
	out, err := embed.Batches(ctx, texts, s.cfg.EmbedBatch, s.cfg.Embedder.Embed)
	if err != nil {
		return nil, fmt.Errorf("embed: %s: %w", s.cfg.Embedder.Name(), err)
	}
	return out, nil
}

// checkDim records the embedding dimension on first use and refuses vectors
// of another dimension afterwards.
func (s *Store) checkDim(todo []*prepared) error {
	for _, p := range todo {
		for _, v := range p.vectors {
			if s.meta.Dim == 0 {
				if len(v) == 0 {
					return fmt.Errorf("ingest: embedder %s returned an empty vector", s.meta.Embedder)
				}
				s.meta.Dim = len(v)
				if err := s.saveMeta(); err != nil {
					return err
				}
			}
			if len(v) != s.meta.Dim {
				return fmt.Errorf("ingest: %w: the index holds %d-dimensional vectors from %q but got %d dimensions; re-index into a new data directory",
					retrieval.ErrEmbedderMismatch, s.meta.Dim, s.meta.Embedder, len(v))
			}
		}
	}
	return nil
}

// commit writes prepared documents to the log, with one append and one
// sync for them all (the commit point), and indexes them. The caller holds
// s.wmu and s.mu for writing.
func (s *Store) commit(ctx context.Context, todo []*prepared) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	for _, p := range todo {
		if s.vocab.freedSince(p.gen, p.rec.docTerms) || s.vocab.freedSince(p.gen, p.rec.terms...) {
			// Terms were forgotten since rec's were numbered, one of
			// them with an ID of rec's: it is free now, or another
			// term's.
			s.analyse(p.rec)
			p.frame = nil
		}
	}
	if s.dir != "" {
		var frames []byte
		for _, p := range todo {
			if p.frame != nil {
				frames = append(frames, p.frame...)
				continue
			}
			var err error
			if frames, err = s.putFrame(frames, p.rec, p.vectors); err != nil {
				return fmt.Errorf("ingest %s: %w", p.rec.doc.ID, err)
			}
		}
		if err := s.appendLog(frames); err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
	}
	for _, p := range todo {
		s.apply(p)
	}
	if s.vecs.axesDue(s.lex.n, s.vecs.dim) {
		// The store has grown to the size from which the codes are
		// taken on principal axes.
		s.vecs.fitAxes(s.vecs.sampleRows(len(s.lex.chunks)), s.vecs.dim)
	}
	return nil
}

// apply replaces a document's indexed chunks with prepared ones, written to
// the log already. The caller holds s.mu for writing.
func (s *Store) apply(p *prepared) {
	if old := s.docs[p.rec.doc.ID]; old != nil {
		s.unindex(old)
	}
	s.clearDamage(p.rec.doc.ID)
	s.index(p.rec, p.vectors, false)
}

// clearDamage forgets the quarantine of a document written or removed
// again. The caller holds s.mu for writing.
func (s *Store) clearDamage(id string) {
	s.damage = slices.DeleteFunc(s.damage, func(d Damage) bool { return d.DocID == id })
	delete(s.broken, id)
}

// index adds a record and its chunks' vectors to the in-memory lexicon and
// maps. unit reports vectors scaled to unit length already (read from a
// vector file), stored as they are. While the store loads, the vectors and
// postings are left to load, which sets them on every core at the end.
func (s *Store) index(rec *record, vectors [][]float32, unit bool) {
	rec.entries = make([]*chunkEntry, len(rec.chunks))
	for i, c := range rec.chunks {
		e := s.lex.add(c, rec, rec.terms[i])
		if unit {
			s.vecs.setUnit(e.ord, vectors[i])
		} else {
			s.vecs.set(e.ord, vectors[i])
		}
		rec.entries[i] = e
		s.byChunk[c.ID] = e
	}
	docLen := 0
	if len(rec.chunks) > 0 {
		docLen = s.docStats.add(rec.docTerms)
	}
	s.finishIndex(rec, docLen)
}

// indexCounted is index for a bulk load: the term statistics count the
// record's chunks and document already (lens are its chunks' lengths,
// docLen its document's), and the vectors and postings follow for all
// records at once.
func (s *Store) indexCounted(rec *record, lens []int, docLen int) {
	rec.entries = make([]*chunkEntry, len(rec.chunks))
	for i, c := range rec.chunks {
		e := s.lex.addCounted(c, rec, rec.terms[i], lens[i])
		rec.entries[i] = e
		s.byChunk[c.ID] = e
	}
	s.finishIndex(rec, docLen)
}

// finishIndex gives an indexed record its document entry and stores it.
func (s *Store) finishIndex(rec *record, docLen int) {
	if len(rec.chunks) > 0 {
		rec.docEntry = &chunkEntry{chunk: rec.chunks[0], doc: rec, length: docLen, terms: rec.docTerms}
		// The entries hold the terms, packed, from now on.
		rec.terms, rec.docTerms = nil, nil
	}
	s.docs[rec.doc.ID] = rec
	s.sortedIDs.Store(nil)
}

// unindex removes a record from the in-memory indexes and maps.
func (s *Store) unindex(rec *record) {
	if rec.docEntry != nil {
		s.emptied = s.docStats.remove(rec.docEntry, s.emptied)
	}
	for _, e := range rec.entries {
		s.emptied = s.lex.remove(e, s.emptied)
		delete(s.byChunk, e.chunk.ID)
	}
	delete(s.docs, rec.doc.ID)
	s.sortedIDs.Store(nil)
}

// dropPrepared forgets the terms of prepared documents that were not
// indexed (an error stopped the batch), unless something else holds them,
// along with those removals left without postings. The caller holds s.mu
// for writing.
func (s *Store) dropPrepared(todo []*prepared) {
	for _, p := range todo {
		for _, tfs := range p.rec.terms {
			for tf := range tfs.all() {
				s.emptied = append(s.emptied, tf.id)
			}
		}
		for tf := range p.rec.docTerms.all() {
			s.emptied = append(s.emptied, tf.id)
		}
	}
	s.forgetDeadTerms()
}

// forgetDeadTerms forgets the terms that unindex left without postings and
// that nothing indexed since holds, so that the vocabulary does not keep
// every term ever ingested. The caller holds s.mu for writing; it runs at
// the end of a write, so that a batch's own prepared records keep their
// numbering.
func (s *Store) forgetDeadTerms() {
	slices.Sort(s.emptied)
	var dead []uint32
	for _, id := range slices.Compact(s.emptied) {
		if !s.lex.has(id) && !s.docStats.has(id) {
			dead = append(dead, id)
		}
	}
	s.emptied = s.emptied[:0]
	s.vocab.forget(dead)
}

// Delete removes a document, its chunks, vectors and postings. It returns an
// error wrapping ErrNotFound if there is no such document.
func (s *Store) Delete(ctx context.Context, id string) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.deleteLocked(ctx, id); err != nil {
		return err
	}
	s.compactIfDue(ctx)
	return nil
}

// deleteLocked removes a document; the caller holds s.wmu.
func (s *Store) deleteLocked(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.forgetDeadTerms()
	rec, ok := s.docs[id]
	if !ok && !s.isDamaged(id) {
		return fmt.Errorf("delete %q: %w", id, retrieval.ErrNotFound)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete %q: %w", id, err)
	}
	if s.dir != "" {
		if err := s.appendLog(appendFrame(nil, kindDelete, id, nil)); err != nil {
			return fmt.Errorf("delete %q: %w", id, err)
		}
	}
	if rec != nil {
		s.unindex(rec)
	}
	s.clearDamage(id)
	return nil
}

// isDamaged reports whether a document is quarantined. The caller holds
// s.mu.
func (s *Store) isDamaged(id string) bool {
	return slices.ContainsFunc(s.damage, func(d Damage) bool { return d.DocID == id })
}

// Get returns a stored document, or an error wrapping ErrNotFound.
func (s *Store) Get(_ context.Context, id string) (retrieval.StoredDocument, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rec, ok := s.docs[id]
	if !ok && s.isDamaged(id) {
		return retrieval.StoredDocument{}, fmt.Errorf("get %q: %w: its stored entry is damaged and quarantined; ragd check --repair repairs it", id, retrieval.ErrNotFound)
	}
	if !ok {
		return retrieval.StoredDocument{}, fmt.Errorf("get %q: %w", id, retrieval.ErrNotFound)
	}
	out := retrieval.StoredDocument{Document: rec.doc, Chunks: make([]retrieval.Chunk, len(rec.chunks))}
	for i, c := range rec.chunks {
		out.Chunks[i] = *c
	}
	return out, nil
}

// List returns documents ordered by ID, skipping offset and returning at
// most limit, with the total number of documents.
func (s *Store) List(_ context.Context, offset, limit int) ([]retrieval.DocumentInfo, int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := s.ids()
	total := len(ids)
	offset = min(max(offset, 0), total)
	end := min(offset+max(limit, 0), total)
	out := make([]retrieval.DocumentInfo, 0, end-offset)
	for _, id := range ids[offset:end] {
		r := s.docs[id]
		out = append(out, retrieval.DocumentInfo{
			ID: id, Title: r.doc.Title, Source: r.doc.Source, Author: r.doc.Author,
			Published: r.doc.Published, Chunks: len(r.chunks), Chars: utf8.RuneCountInString(r.doc.Text),
		})
	}
	return out, total, nil
}

// ids returns the stored document IDs in order. The caller holds s.mu.
func (s *Store) ids() []string {
	if p := s.sortedIDs.Load(); p != nil {
		return *p
	}
	ids := make([]string, 0, len(s.docs))
	for id := range s.docs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	s.sortedIDs.Store(&ids)
	return ids
}

// Scan calls fn with the stored documents in ID order, at most page a
// call (all at once when page < 1), without holding the store's lock
// while fn runs. Quarantined documents are not scanned.
func (s *Store) Scan(ctx context.Context, page int, fn func([]retrieval.Document) error) error {
	s.mu.RLock()
	ids := s.ids()
	s.mu.RUnlock()
	if page < 1 {
		page = max(len(ids), 1)
	}
	for start := 0; start < len(ids); start += page {
		if err := ctx.Err(); err != nil {
			return err
		}
		part := ids[start:min(start+page, len(ids))]
		docs := make([]retrieval.Document, 0, len(part))
		s.mu.RLock()
		for _, id := range part {
			if r, ok := s.docs[id]; ok {
				docs = append(docs, r.doc)
			}
		}
		s.mu.RUnlock()
		if err := fn(docs); err != nil {
			return err
		}
	}
	return nil
}

// hashOf fingerprints everything that determines a document's stored form.
func (s *Store) hashOf(d retrieval.Document) string {
	h := sha256.New()
	fmt.Fprintf(h, "v1\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%d\x00%d\x00",
		d.ID, d.Title, d.Text, d.Source, d.Author, d.Published.UTC().Format(time.RFC3339),
		s.cfg.Chunk.TargetTokens, s.cfg.Chunk.OverlapTokens)
	for _, sec := range d.Sections {
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00", sec.Heading, sec.Start, sec.End)
	}
	// Fields of fetched articles, hashed only when set, so that documents
	// stored before them keep their hash.
	if !d.Modified.IsZero() || d.Language != "" || d.SiteName != "" || d.StoryID != "" {
		fmt.Fprintf(h, "news\x00%s\x00%s\x00%s\x00%s\x00", d.Modified.UTC().Format(time.RFC3339), d.Language, d.SiteName, d.StoryID)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// chunkDocument splits a document into chunks and analyses them. It also
// returns each chunk's index text, which is what gets embedded.
func (s *Store) chunkDocument(d retrieval.Document, hash string) (*record, []string) {
	spans := chunk.Split(d.Text, s.cfg.Chunk)
	rec := &record{doc: d, hash: hash, chunks: make([]*retrieval.Chunk, 0, len(spans))}
	texts := make([]string, 0, len(spans))
	// Starts increase and ends increase; one counter each keeps the
	// conversion a single pass despite the overlap between chunks.
	starts, ends := chunk.NewRuneCounter(d.Text), chunk.NewRuneCounter(d.Text)
	for i, sp := range spans {
		start, end := starts.Runes(sp.Start), ends.Runes(sp.End)
		c := &retrieval.Chunk{
			ID:      d.ID + "#" + strconv.Itoa(i),
			DocID:   d.ID,
			Index:   i,
			Text:    d.Text[sp.Start:sp.End],
			Start:   start,
			End:     end,
			Section: d.SectionAt(start),
		}
		rec.chunks = append(rec.chunks, c)
		texts = append(texts, s.indexText(d, c))
	}
	s.analyse(rec)
	return rec, texts
}

// analyse computes the lexical terms of a record's chunks and document.
// Each stretch of text is analysed once: the title, each section heading,
// and each chunk's text in two parts, the sentences it repeats from the
// chunk before and the rest. A chunk's terms are those of its index text
// (see indexText) and the document's those of its title and text, because
// the analysis of texts joined at white space is the analyses of the
// texts, and chunks hold every sentence (TestAnalysisInPieces checks both
// on real articles).
func (s *Store) analyse(rec *record) {
	d := rec.doc
	starts := make([]int, len(rec.chunks))
	for i, c := range rec.chunks {
		starts[i] = stringOffset(d.Text, c.Text)
		if starts[i] < 0 || (i > 0 && starts[i] < starts[i-1]) {
			s.analyseWhole(rec) // chunks that are not the text's, in order
			return
		}
	}
	rec.terms = make([]packedTerms, len(rec.chunks))
	count := func(text string) []termFreq { return s.vocab.count(s.analyzer.Terms(text)) }
	var title, doc, sectionTerms []termFreq
	if d.Title != "" {
		title = count(d.Title)
		if !strings.HasPrefix(d.Text, d.Title) {
			doc = title
		}
	}
	section, prevEnd := "", 0
	for i, c := range rec.chunks {
		start, end := starts[i], starts[i]+len(c.Text)
		split := min(max(start, prevEnd), end)
		prevEnd = end
		fresh := count(d.Text[split:end])
		doc = mergeTermFreqs(doc, fresh)
		tfs := mergeTermFreqs(count(d.Text[start:split]), fresh)
		if d.Title != "" && !strings.HasPrefix(c.Text, d.Title) {
			tfs = mergeTermFreqs(title, tfs)
		}
		if c.Section != "" && !strings.HasPrefix(c.Text, c.Section) {
			if c.Section != section {
				section, sectionTerms = c.Section, count(c.Section)
			}
			tfs = mergeTermFreqs(sectionTerms, tfs)
		}
		rec.terms[i] = packTerms(tfs)
	}
	rec.docTerms = packTerms(doc)
}

// analyseWhole is analyse by analysing each chunk's index text and the
// whole document.
func (s *Store) analyseWhole(rec *record) {
	rec.terms = make([]packedTerms, len(rec.chunks))
	for i, c := range rec.chunks {
		rec.terms[i] = packTerms(s.vocab.count(s.analyzer.Terms(s.indexText(rec.doc, c))))
	}
	rec.docTerms = s.documentTerms(rec.doc)
}

// documentTerms analyses a whole document for the document-level BM25 index:
// its title, unless the text starts with it, and its text.
func (s *Store) documentTerms(d retrieval.Document) packedTerms {
	text := d.Text
	if d.Title != "" && !strings.HasPrefix(d.Text, d.Title) {
		text = d.Title + "\n" + d.Text
	}
	return packTerms(s.vocab.count(s.analyzer.Terms(text)))
}

// mergeTermFreqs adds two term-frequency lists sorted by ID, into a new
// list.
func mergeTermFreqs(a, b []termFreq) []termFreq {
	out := make([]termFreq, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		switch {
		case a[0].id < b[0].id:
			out, a = append(out, a[0]), a[1:]
		case a[0].id > b[0].id:
			out, b = append(out, b[0]), b[1:]
		default:
			out = append(out, termFreq{id: a[0].id, count: a[0].count + b[0].count})
			a, b = a[1:], b[1:]
		}
	}
	return append(append(out, a...), b...)
}

// indexText is what is embedded and indexed for a chunk: the document title,
// the section heading and the chunk text.
func (s *Store) indexText(d retrieval.Document, c *retrieval.Chunk) string {
	var b strings.Builder
	b.Grow(len(d.Title) + len(c.Section) + len(c.Text) + 2)
	if d.Title != "" && !strings.HasPrefix(c.Text, d.Title) {
		b.WriteString(d.Title)
		b.WriteByte('\n')
	}
	if c.Section != "" && !strings.HasPrefix(c.Text, c.Section) {
		b.WriteString(c.Section)
		b.WriteByte('\n')
	}
	b.WriteString(c.Text)
	return b.String()
}

// textKey is the metadata key of a chunk's text fingerprint.
const textKey = "text_sha256"

// textFingerprint is the first 16 bytes of the SHA-256 of text, in hex.
func textFingerprint(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:16])
}

// vectorHolds reports whether a stored vector document was computed from
// c's text: by its fingerprint, or by its content in stores written before
// fingerprints.
func vectorHolds(d chromem.Document, c *retrieval.Chunk) bool {
	if fp, ok := d.Metadata[textKey]; ok {
		return fp == textFingerprint(c.Text)
	}
	return d.Content == c.Text
}

func chunkIDs(chunks []*retrieval.Chunk) []string {
	ids := make([]string, len(chunks))
	for i, c := range chunks {
		ids[i] = c.ID
	}
	return ids
}

// chunkDefaults fills zero chunking options with the package defaults.
func chunkDefaults(o chunk.Options) chunk.Options {
	o.TargetTokens = cmp.Or(o.TargetTokens, chunk.DefaultTokens)
	o.OverlapTokens = cmp.Or(o.OverlapTokens, chunk.DefaultOverlap)
	return o
}

// parallelism is the number of goroutines used for CPU-bound loading work.
func parallelism() int { return max(1, runtime.GOMAXPROCS(0)) }

// IDF returns the inverse document frequency over chunks of each analysed
// term, as BM25 computes it: rare terms weigh more, and a term absent from
// the index weighs the most.
func (s *Store) IDF(terms []string) []float64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]float64, len(terms))
	for i, t := range terms {
		out[i] = s.termIDF(t)
	}
	return out
}

// termIDF is the chunk-level IDF of an analysed term. The caller holds s.mu.
func (s *Store) termIDF(t string) float64 {
	if id, ok := s.vocab.lookup(t); ok {
		return s.lex.idf(id)
	}
	return s.lex.idfOf(0)
}

// Store is the embedded retrieval.Backend.
var _ retrieval.Backend = (*Store)(nil)
